/**
 * How many bytes Tunnelgate writes to disk for 1,000 Dynamic Client Registrations (issue 10: each
 * registration used to rewrite the whole clients.json, so a flood wrote gigabytes).
 *
 * Run: `npx tsx scripts/registration-writes.ts [count]`. An auth service on a throw-away data folder
 * behind a loopback HTTP listener receives `count` (1,000 by default) POST /oauth/register requests,
 * as a client would send them; every byte handed to a file write (FileHandle.writeFile, which the
 * atomic writer of the auth files uses) is counted. Loopback only; bounded by `count`.
 */
import { open, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuthService } from '../main/auth/auth-service.js';
import { createMemorySecretStore } from '../main/secrets/memory-secret-store.js';

const count = Math.min(100_000, Math.max(1, Number(process.argv[2] ?? 1000)));
const dataDir = await mkdtemp(join(tmpdir(), 'tg-registration-writes-'));

// Count what the auth files' writer hands to the disk, whatever the code version under test.
let written = 0;
let writes = 0;
const probe = await open(join(dataDir, 'probe'), 'w');
const proto = Object.getPrototypeOf(probe) as {
  writeFile: (data: unknown, ...rest: unknown[]) => Promise<void>;
};
await probe.close();
const writeFile = proto.writeFile;
proto.writeFile = function (this: unknown, data: unknown, ...rest: unknown[]) {
  writes++;
  written += typeof data === 'string' ? Buffer.byteLength(data) : (data as Uint8Array).byteLength;
  return writeFile.call(this, data, ...rest);
};

let port = 0;
const auth = await createAuthService({
  mode: 'oauth',
  publicOrigin: () => `http://127.0.0.1:${port}`,
  secrets: createMemorySecretStore(),
  dataDir,
  cimdTransport: {
    resolve: async () => Promise.reject(new Error('no network here')),
    get: async () => Promise.reject(new Error('no network here')),
  },
  // The figure is about disk writes, not the per-address rate limit (which a flood spreads over addresses).
  limits: { requestsPerMinute: 1_000_000 },
});
const server = createServer((req, res) => {
  void auth.handle(req, res, new URL(req.url ?? '/', 'http://127.0.0.1')).then((done) => {
    if (!done) res.writeHead(404).end();
  });
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
port = (server.address() as AddressInfo).port;
const before = { written, writes };
const started = performance.now();
for (let i = 0; i < count; i++) {
  const res = await fetch(`http://127.0.0.1:${port}/oauth/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      client_name: `flood ${i}`,
      redirect_uris: ['https://chatgpt.com/connector/oauth/c_0123456789abcdef'],
      token_endpoint_auth_method: 'none',
    }),
  });
  await res.arrayBuffer();
  if (res.status !== 201) throw new Error(`registration ${i}: HTTP ${res.status}`);
}
const seconds = (performance.now() - started) / 1000;
await auth.close();
server.close();
const bytes = written - before.written;
console.log(
  `${count} registrations: ${bytes} bytes written to disk in ${writes - before.writes} file writes ` +
    `(${(bytes / count).toFixed(1)} bytes per registration), ${seconds.toFixed(1)} s`,
);
await rm(dataDir, { recursive: true, force: true });
