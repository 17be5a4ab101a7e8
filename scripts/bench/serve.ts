/**
 * `tunnelgate serve` as the benches start it: the bundled CLI with a config of its own, a private
 * data folder, no tunnel and no keychain (no secrets in these configs), so nothing of the user's is
 * touched. Ready once its tools/list names every tool in `expect`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rawList } from './clients.js';
import { freePort, type Children, type Started } from './processes.js';

export interface Gateway {
  proc: Started;
  url: string;
  /** The temporary folder (config and data): the caller removes it. */
  dir: string;
  /** The raw client's tools/list on a session of its own (clients.ts). */
  list: () => Promise<string[]>;
}

export async function startGateway(
  children: Children,
  opts: {
    cli: string;
    name: string;
    servers: Record<string, unknown>;
    expect: string[];
    /** The checkout it runs in. */
    cwd: string;
    /** Node options before the CLI (a CPU profile). */
    nodeArgs?: string[];
  },
): Promise<Gateway> {
  const dir = mkdtempSync(join(tmpdir(), 'tg-bench-'));
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ mcpServers: opts.servers }));
  const port = await freePort();
  const proc = children.start(
    opts.name,
    process.execPath,
    [...(opts.nodeArgs ?? []), opts.cli, 'serve', '--config', config, '--no-tunnel', '--port', String(port)],
    {
      cwd: opts.cwd,
      env: {
        ...process.env,
        TUNNELGATE_DATA_DIR: join(dir, 'data'),
        XDG_CONFIG_HOME: dir,
        DBUS_SESSION_BUS_ADDRESS: '',
      },
    },
  );
  await proc.waitFor(/MCP endpoint/);
  const url = `http://127.0.0.1:${port}/mcp`;
  const list = await rawList(url);
  const end = Date.now() + 60_000;
  for (;;) {
    const names = await list();
    if (opts.expect.every((t) => names.includes(t))) break;
    if (Date.now() > end)
      throw new Error(`${opts.name}: upstreams not ready (tools: ${names.slice(0, 10).join(', ')})`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { proc, url, dir, list };
}
