/**
 * A whole headless Tunnelgate (bootstrap) made public through the fake cloudflared, with the
 * connection doctor's network pointed at the fake edge (DNS, TLS with a throw-away certificate, and
 * fetch), as a real machine's would point at Cloudflare.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTunnelgate, type Tunnelgate } from '../../../main/bootstrap.js';
import { createMemorySecretStore } from '../../../main/secrets/memory-secret-store.js';
import type { AppStatus } from '../../../preload/contract.js';
import {
  installFakeCloudflared,
  makeEdgeCertificate,
  publicNetwork,
} from '../../fixtures/fake-cloudflared/install.js';
import { publicFetch } from '../../fixtures/fake-cloudflared/install.js';
import { createChatGptStandIn, type ChatGptStandIn } from '../../fixtures/chatgpt/chatgpt-client.js';

export interface PublicGateway {
  tg: Tunnelgate;
  dir: string;
  stateFile: string;
  connector: string;
  dataDir: string;
  network: ReturnType<typeof publicNetwork>;
  close(): Promise<void>;
}

export async function startPublicGateway(
  opts: { config?: Record<string, unknown>; fakeEnv?: Record<string, string>; dashboard?: boolean } = {},
): Promise<PublicGateway> {
  const dir = await mkdtemp(join(tmpdir(), 'tg-doctor-'));
  const stateFile = join(dir, 'fake-state.json');
  const cert = makeEdgeCertificate(dir);
  const configPath = join(dir, 'config.json');
  if (opts.config) await writeFile(configPath, JSON.stringify(opts.config));
  const network = publicNetwork(stateFile, cert.ca);
  const tg = await createTunnelgate({
    configPath,
    dataDir: join(dir, 'data'),
    port: 0,
    tunnel: true,
    auth: 'oauth',
    dashboard: opts.dashboard ?? false,
    secretStore: createMemorySecretStore(),
    log: { info: () => undefined, warn: () => undefined },
    tunnelDeps: {
      env: {
        ...process.env,
        CLOUDFLARED_BIN: installFakeCloudflared(dir),
        FAKE_CLOUDFLARED_STATE: stateFile,
        TUNNELGATE_REACHABILITY_CHECK: '0',
        ...cert.env,
        ...opts.fakeEnv,
      },
      fetch: publicFetch(stateFile),
    },
    doctorNetwork: network,
  });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await tg.stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await tg.start();
    const connector = await connectorUrl(tg);
    return { tg, dir, stateFile, connector, dataDir: join(dir, 'data'), network, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * A ChatGPT stand-in (DCR, session era) that reaches the gateway through the fake edge, approved with
 * full access by the owner, signed in and past the MCP handshake.
 */
export async function connectChatGpt(g: PublicGateway): Promise<ChatGptStandIn> {
  const client = createChatGptStandIn({
    fetch: publicFetch(g.stateFile),
    serverUrl: g.connector,
    identity: 'dcr',
    speaks: 'session',
    approve: (id) => g.tg.services.control.approve(id, ['mcp:full']),
  });
  await client.connect();
  await client.handshake();
  return client;
}

/** Resolves with the connector URL once the tunnel is ready (status events, no polling). */
export async function connectorUrl(tg: Tunnelgate, timeoutMs = 30_000): Promise<string> {
  const s = await statusWhere(tg, (st) => !!st.gateway.connectorUrl?.startsWith('https://'), timeoutMs);
  return s.gateway.connectorUrl!;
}

/** Resolves with the first status (now or pushed later) that satisfies `ok`. */
export function statusWhere(
  tg: Tunnelgate,
  ok: (s: AppStatus) => boolean,
  timeoutMs = 30_000,
  what = 'the expected status',
): Promise<AppStatus> {
  const control = tg.services.control;
  return new Promise((resolve, reject) => {
    let off = () => {};
    let last: AppStatus | undefined;
    const timer = setTimeout(() => {
      off();
      reject(new Error(`${what} did not come; last status: ${JSON.stringify(last)}`));
    }, timeoutMs);
    const check = (s: AppStatus) => {
      last = s;
      if (ok(s)) {
        clearTimeout(timer);
        off();
        resolve(s);
      }
    };
    off = control.onStatus(check);
    void control.getStatus().then(check, reject);
  });
}
