/**
 * When the authorization-server metadata cannot be read (offline, the tunnel down), the registration
 * and CIMD steps say they were not tried: "No registration endpoint advertised" would blame the
 * gateway for what the network did.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runDoctor, type DoctorDeps } from '../../../main/doctor/doctor.js';

test('registration and CIMD are "not tried" when the authorization-server metadata is unreachable', async () => {
  const host = 'orbit-river-meadow-orbit.trycloudflare.com';
  const offline = (): never => {
    throw new Error(`getaddrinfo ENOTFOUND ${host}`);
  };
  const report = await runDoctor({
    connectorUrl: () => `https://${host}/mcp`,
    authMode: 'oauth',
    mintToken: () => ({ token: 'doctor-token', origin: `https://${host}` }),
    network: {
      lookup: async () => [{ address: '198.51.100.7', family: 4 }],
      fetch: offline,
      tls: async () => ({ authorized: true, reached: true, protocol: 'TLSv1.3' }),
    } as unknown as DoctorDeps['network'],
  });
  const step = (id: string) => report.steps.find((s) => s.id === id);
  assert.equal(step('as-metadata')?.level, 'failure');
  for (const id of ['registration', 'cimd']) {
    assert.equal(step(id)?.level, 'info', id);
    assert.equal(
      step(id)?.detail,
      'Not tried: the authorization-server metadata (the step above) could not be read.',
      id,
    );
  }
  assert.doesNotMatch(
    JSON.stringify(report.steps),
    /No registration endpoint advertised|CIMD is not advertised/,
  );
});
