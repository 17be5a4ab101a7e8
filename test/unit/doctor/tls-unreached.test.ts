/**
 * A public host that cannot be reached (the tunnel's DNS not there yet, a refused port) is reported
 * as unreachable, with the tunnel fix, not as an untrusted certificate: no certificate was seen.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { runDoctor, type DoctorDeps } from '../../../main/doctor/doctor.js';
import { tlsHandshake } from '../../../main/doctor/network.js';

/** A loopback port nothing listens on: bound by the OS, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('a refused TLS connection says no handshake took place', async () => {
  const result = await tlsHandshake('localhost', await closedPort(), { connectHost: '127.0.0.1' });
  assert.equal(result.authorized, false);
  assert.equal(result.reached, false);
  assert.match(result.error ?? '', /ECONNREFUSED/);
});

test('the doctor blames the tunnel, not the certificate, when the public host is unreachable', async () => {
  const host = 'orbit-river-meadow-orbit.trycloudflare.com';
  const unreachable = (): never => {
    throw new Error(`getaddrinfo ENOTFOUND ${host}`);
  };
  const refused = await closedPort();
  const report = await runDoctor({
    connectorUrl: () => `https://${host}/mcp`,
    authMode: 'none',
    mintToken: () => null,
    network: {
      lookup: unreachable,
      fetch: unreachable,
      tls: async (h: string) => tlsHandshake(h, refused, { connectHost: '127.0.0.1' }),
    } as unknown as DoctorDeps['network'],
  });
  const tls = report.steps.find((s) => s.id === 'tls');
  assert.equal(tls?.level, 'failure');
  assert.match(tls?.detail ?? '', new RegExp(`^No TLS connection to ${host.replace(/\./g, '\\.')}: `));
  assert.doesNotMatch(`${tls?.detail} ${tls?.fix}`, /not trusted|public CA/);
  assert.equal(tls?.fix, 'Check that the gateway runs and the tunnel is up (Connect page).');
});
