/**
 * The gateway under attack: a real `tunnelgate serve` child (local MCP endpoint, OAuth public
 * listener on a loopback public URL, headless control listener) with real stdio upstreams from
 * node_modules, in a throw-away home; and the OAuth steps a client takes, approved by the "owner"
 * through the control listener.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { connectControlClient } from '../../main/control/http-client.js';
import { SCOPE_FULL } from '../../preload/contract.js';
import { http } from './net.js';

const ROOT = resolve(import.meta.dirname, '../..');
const modules = (p: string): string => join(ROOT, 'node_modules/@modelcontextprotocol', p);
export const STUBBORN = join(ROOT, 'test/fixtures/upstream/stubborn-server.cjs');

export interface Gateway {
  child: ChildProcess;
  pid: number;
  /** Local MCP endpoint port (no OAuth). */
  port: number;
  /** Public listener port (OAuth); the public URL is http://127.0.0.1:publicPort. */
  publicPort: number;
  base: string;
  dir: string;
  dataDir: string;
  pidFile: string;
  output(): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
}

export async function startGateway(): Promise<Gateway> {
  const dir = await mkdtemp(join(tmpdir(), 'tg-stress-'));
  const dataDir = join(dir, 'data');
  const pidFile = join(dir, 'stubborn-pids.json');
  const config = join(dir, 'config.json');
  await writeFile(
    config,
    JSON.stringify({
      mcpServers: {
        memory: {
          command: process.execPath,
          args: [modules('server-memory/dist/index.js')],
          env: { MEMORY_FILE_PATH: join(dir, 'memory.jsonl') },
        },
        everything: {
          command: process.execPath,
          args: [modules('server-everything/dist/index.js'), 'stdio'],
        },
        stubborn: { command: process.execPath, args: [STUBBORN, '--grandchild', `--pid-file=${pidFile}`] },
      },
    }),
  );
  const publicPort = await freePort();
  const base = `http://127.0.0.1:${publicPort}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: dir,
    XDG_CONFIG_HOME: join(dir, 'config'),
    TUNNELGATE_DATA_DIR: dataDir,
    TUNNELGATE_DASHBOARD_BUILD: '0',
  };
  delete env.TUNNELGATE_CONFIG;
  const args = ['--import', 'tsx', join(ROOT, 'main/cli.ts'), 'serve', '--config', config, '--port', '0'];
  args.push('--public-port', String(publicPort), '--public-url', base, '--no-tunnel', '--auth', 'oauth');
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  for (const s of [child.stdout!, child.stderr!])
    createInterface({ input: s }).on('line', (l) => (out += `${l}\n`));
  const port = await new Promise<number>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`serve did not start in 60 s:\n${out}`)), 60_000);
    const check = setInterval(() => {
      const m = /MCP endpoint: http:\/\/127\.0\.0\.1:(\d+)\/mcp/.exec(out);
      if (m && /Dashboard: /.test(out)) {
        clearInterval(check);
        clearTimeout(timer);
        ok(Number(m[1]));
      } else if (child.exitCode !== null) {
        clearInterval(check);
        clearTimeout(timer);
        fail(new Error(`serve exited:\n${out}`));
      }
    }, 100);
  });
  return {
    child,
    pid: child.pid!,
    port,
    publicPort,
    base,
    dir,
    dataDir,
    pidFile,
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const REDIRECT = 'https://chatgpt.com/connector/oauth/stress';

export async function register(
  gw: Gateway,
  from?: string,
  name = 'Stress client',
): Promise<string | undefined> {
  const r = await http({
    port: gw.publicPort,
    path: '/oauth/register',
    from,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: name,
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'none',
    }),
  });
  return r.status === 201 ? (JSON.parse(r.text) as { client_id: string }).client_id : undefined;
}

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** GET /oauth/authorize: the pending request id when the gateway queued it for the owner. */
export async function authorize(
  gw: Gateway,
  clientId: string,
  challenge: string,
  from?: string,
): Promise<{ status: number; requestId?: string }> {
  const u = new URLSearchParams({
    client_id: clientId,
    redirect_uri: REDIRECT,
    response_type: 'code',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    resource: `${gw.base}/mcp`,
    state: 's',
  });
  const r = await http({ port: gw.publicPort, path: `/oauth/authorize?${u}`, from });
  const location = String(r.headers.location ?? '');
  const requestId = /\/oauth\/approval\?request=([^&]+)/.exec(location)?.[1];
  return { status: r.status, ...(requestId ? { requestId: decodeURIComponent(requestId) } : {}) };
}

/** The owner approves through the control listener (as `tunnelgate approve ID` does). */
export async function approve(gw: Gateway, requestId: string): Promise<void> {
  const control = await connectControlClient(gw.dataDir, 15_000);
  await control.approve(requestId, [SCOPE_FULL]);
}

/** The whole flow for one client from `from`: register, authorize, owner approves, token. */
export async function approvedToken(gw: Gateway, from?: string, name?: string): Promise<string> {
  const clientId = await register(gw, from, name);
  if (!clientId) throw new Error('registration refused');
  const { verifier, challenge } = pkce();
  const { requestId } = await authorize(gw, clientId, challenge, from);
  if (!requestId) throw new Error('authorization not queued');
  await approve(gw, requestId);
  const back = await http({
    port: gw.publicPort,
    path: `/oauth/approval?request=${encodeURIComponent(requestId)}`,
    from,
  });
  const code = new URL(String(back.headers.location)).searchParams.get('code');
  if (!code) throw new Error(`no code after approval (${back.status})`);
  const token = await http({
    port: gw.publicPort,
    path: '/oauth/token',
    from,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      client_id: clientId,
      redirect_uri: REDIRECT,
      resource: `${gw.base}/mcp`,
    }).toString(),
  });
  if (token.status !== 200) throw new Error(`token refused (${token.status}): ${token.text}`);
  return (JSON.parse(token.text) as { access_token: string }).access_token;
}
