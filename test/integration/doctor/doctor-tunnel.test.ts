import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { DoctorReport } from '../../../main/doctor/types.js';
import { startPublicGateway, type PublicGateway } from './doctor-harness.js';

const levels = (r: DoctorReport) => Object.fromEntries(r.steps.map((s) => [s.id, s.level]));

describe('the connection doctor through the fake cloudflared', () => {
  const open: PublicGateway[] = [];
  after(async () => {
    for (const g of open) await g.close();
  });

  it(
    'a healthy gateway: every step passes, each timed, through the public URL',
    { timeout: 60_000 },
    async () => {
      const g = await startPublicGateway();
      open.push(g);
      const report = await g.tg.services.control.runDoctor();
      assert.equal(report.target, g.connector);
      assert.match(report.auth, /two-minute token minted in this process/);
      assert.deepEqual(
        levels(report),
        {
          dns: 'pass',
          tls: 'pass',
          challenge: 'pass',
          'resource-metadata': 'pass',
          'as-metadata': 'pass',
          registration: 'pass',
          cimd: 'pass',
          discover: 'pass',
          initialize: 'pass',
          'tools-list': 'pass',
          stream: 'pass',
          widget: 'pass',
          'tool-drift': 'pass',
          'stale-grants': 'pass',
        },
        JSON.stringify(report.steps, null, 1),
      );
      assert.equal(report.level, 'pass');
      assert.ok(report.steps.every((s) => Number.isInteger(s.durationMs) && s.durationMs >= 0));
      assert.equal(report.toolList?.count, 3);
      // Dry runs store nothing: no client registered, no approval request waiting.
      assert.deepEqual(await g.tg.services.control.listApprovals(), []);
      assert.deepEqual(await g.tg.services.control.listGrants(), []);
      // The doctor's calls went through the public path, with its own principal.
      const events = await g.tg.services.control.getActivity({ limit: 50 });
      assert.ok(events.some((e) => e.method === 'tools/list' && e.client?.name === 'Tunnelgate doctor'));
      await g.close();
    },
  );
  // SSE held back by the tunnel: doctor-cli.test.ts, on the gateway its CLI checks.
});
