import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, it } from 'node:test';
import { createTunnelgate, type Tunnelgate } from '../../../main/bootstrap.js';
import { createMemorySecretStore } from '../../../main/secrets/memory-secret-store.js';
import type { AppStatus } from '../../../preload/contract.js';
import { createFakeControlPlane } from '../../fixtures/openai-control-plane/fake-control-plane.js';
import { tempDir } from './helpers.js';

// The whole headless service with `"tunnel": {"mode": "openai"}`: it connects at start, the window's
// status says so (no connector URL), ChatGPT's requests answer from a real upstream, the tunnel is
// its own client in the activity log, stop/start from the control service work, and the key never
// leaves the keychain (no log line, status, activity event or file holds it).
const TUNNEL = 'tunnel_00112233445566778899aabbccddeeff';
const KEY = 'sk-proj-tunnel-key-do-not-leak-7f3a';
const root = resolve(import.meta.dirname, '../../..');
const { dir, cleanup } = tempDir();
const fake = createFakeControlPlane({ tunnelId: TUNNEL, apiKey: KEY });
let tg: Tunnelgate | undefined;
after(async () => {
  await tg?.stop().catch(() => undefined);
  await fake.close();
  cleanup();
});

function filesUnder(d: string): string[] {
  return readdirSync(d).flatMap((n) => {
    const p = join(d, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

it(
  'tunnel.mode "openai": connected at start, shown in the status, serving ChatGPT',
  { timeout: 60_000 },
  async () => {
    await fake.start();
    const configPath = join(dir, 'config.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        mcpServers: {
          everything: {
            command: process.execPath,
            args: [join(root, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js'), 'stdio'],
          },
        },
        tunnel: { mode: 'openai', tunnelId: TUNNEL },
      }),
    );
    const lines: string[] = [];
    tg = await createTunnelgate({
      configPath,
      dataDir: join(dir, 'data'),
      port: 0,
      secretStore: createMemorySecretStore({ initial: { 'openai-tunnel-api-key': KEY } }),
      log: { info: (l) => lines.push(l), warn: (l) => lines.push(`warn: ${l}`) },
      tunnelDeps: { env: { ...process.env, TUNNELGATE_OPENAI_BASE_URL: fake.url } },
    });
    await tg.start();
    const control = tg.services.control;
    const statusWhere = async (pred: (s: AppStatus) => boolean): Promise<AppStatus> => {
      const now = await control.getStatus();
      if (pred(now)) return now;
      return new Promise((res) => {
        const off = control.onStatus((s) => {
          if (!pred(s)) return;
          off();
          res(s);
        });
      });
    };

    const ready = await statusWhere((s) => s.tunnel.phase === 'ready');
    assert.equal(ready.tunnel.mode, 'openai');
    assert.equal(ready.tunnel.tunnelId, TUNNEL);
    assert.equal(ready.gateway.connectorUrl, null, 'no URL to paste');
    assert.equal(ready.checklist.tunnelReady, true);
    assert.ok(
      lines.some((l) => l.startsWith(`Connected to OpenAI's tunnel ${TUNNEL}`)),
      lines.join('\n'),
    );

    const init = await fake.answered(
      fake.enqueue({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-11-25',
          capabilities: {},
          clientInfo: { name: 'openai-mcp', version: '1' },
        },
      }),
    );
    const sid = (init[0]!.body['resp_headers'] as Record<string, string[]>)['Mcp-Session-Id']![0]!;
    const call = await fake.answered(
      fake.enqueue(
        {
          jsonrpc: '2.0',
          id: 2,
          method: 'tools/call',
          params: { name: 'everything__echo', arguments: { message: 'through the tunnel' } },
        },
        { headers: { 'Mcp-Session-Id': [sid] } },
      ),
    );
    assert.match(JSON.stringify(call.at(-1)!.body['resp_json']), /through the tunnel/);
    const logged = tg.services.activity.recent({ limit: 50 }).filter((e) => e.method === 'tools/call');
    assert.equal(logged.at(-1)?.client?.id, `openai-tunnel:${TUNNEL}`);

    await control.stopTunnel();
    assert.equal((await control.getStatus()).tunnel.phase, 'stopped');
    assert.equal((await control.getStatus()).tunnel.mode, 'openai', 'the page stays on the OpenAI tunnel');
    await control.startTunnel();
    assert.equal((await control.getStatus()).tunnel.phase, 'ready');
    assert.deepEqual(fake.violations, []);

    await tg.stop();
    tg = undefined;
    const everything = [
      lines.join('\n'),
      JSON.stringify(ready),
      JSON.stringify(logged),
      ...filesUnder(dir).map((f) => readFileSync(f, 'utf8')),
    ].join('\n');
    assert.doesNotMatch(everything, new RegExp(KEY), 'the API key is in no log, state, event or file');
  },
);
