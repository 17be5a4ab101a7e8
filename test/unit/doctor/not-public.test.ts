import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDoctor, type DoctorDeps } from '../../../main/doctor/doctor.js';

/** The doctor of a gateway with no public URL, in a given tunnel state: the one step's fix. */
async function fixWhen(publicSide: DoctorDeps['publicSide']): Promise<string | undefined> {
  const report = await runDoctor({
    connectorUrl: () => null,
    authMode: 'oauth',
    mintToken: () => null,
    network: {
      lookup: () => assert.fail('no network without a public URL'),
      fetch: () => assert.fail('no network without a public URL'),
    } as unknown as DoctorDeps['network'],
    ...(publicSide ? { publicSide } : {}),
  });
  assert.equal(report.target, '(not public)');
  assert.deepEqual(
    report.steps.map((s) => [s.id, s.level]),
    [['public-url', 'failure']],
  );
  return report.steps[0]!.fix;
}

test("no public URL: the fix names the Connect page's button for the tunnel's state", async () => {
  const cloudflared = (phase: 'stopped' | 'starting' | 'failed') => () => ({
    localOnly: false,
    tunnel: { mode: 'quick' as const, phase },
  });
  assert.equal(await fixWhen(cloudflared('stopped')), 'Press Go public (start tunnel) on the Connect page.');
  assert.equal(
    await fixWhen(cloudflared('failed')),
    'The tunnel failed: press Retry tunnel on the Connect page (it shows why it failed).',
  );
  assert.match((await fixWhen(cloudflared('starting'))) ?? '', /still starting: check again in a moment/);
  const openai = () => ({ localOnly: false, tunnel: { mode: 'openai' as const, phase: 'stopped' as const } });
  assert.equal(await fixWhen(openai), 'Press Connect the tunnel on the Connect page.');
});

test('no public URL on a gateway started without a tunnel: restart without --no-tunnel (no button exists)', async () => {
  const fix = await fixWhen(() => ({ localOnly: true, tunnel: { mode: 'quick', phase: 'stopped' } }));
  assert.match(fix ?? '', /started without a tunnel .*restart "tunnelgate serve" without --no-tunnel/);
  assert.doesNotMatch(fix ?? '', /Go public|Retry/);
});
