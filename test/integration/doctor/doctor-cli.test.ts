import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { makeSandbox, runCli, type Sandbox } from '../../helpers/cli-harness.js';
import { startPublicGateway, type PublicGateway } from './doctor-harness.js';

// One gateway whose tunnel holds SSE back serves both checks, the report in this process and the
// CLI's (each start is a whole Tunnelgate, a fake cloudflared and a certificate).
let started: Promise<PublicGateway> | undefined;
const sseHeldBack = (): Promise<PublicGateway> =>
  (started ??= startPublicGateway({ dashboard: true, fakeEnv: { FAKE_CLOUDFLARED_BUFFER_SSE: '1' } }));
let sandbox: Sandbox | undefined;
after(async () => {
  await (await started?.catch(() => undefined))?.close();
  await sandbox?.cleanup();
});

it('SSE held back by the tunnel turns the streaming step red', { timeout: 60_000 }, async () => {
  const g = await sseHeldBack();
  const report = await g.tg.services.control.runDoctor();
  const stream = report.steps.find((s) => s.id === 'stream')!;
  assert.equal(stream.level, 'failure', stream.detail);
  assert.match(stream.detail, /arrived together/);
  assert.match(stream.fix ?? '', /buffering/);
  const toolsList = report.steps.find((s) => s.id === 'tools-list')!;
  assert.equal(toolsList.level, 'pass', 'only the streaming step is red');
  assert.equal(report.level, 'failure');
});

it(
  'tunnelgate doctor prints the report of the running gateway and exits 1 on a failed step',
  { timeout: 90_000 },
  async () => {
    // The gateway (with its control listener) runs here; the CLI finds it through control.json.
    const g = await sseHeldBack();
    sandbox = await makeSandbox();
    const env = { ...sandbox.env, TUNNELGATE_DATA_DIR: g.dataDir };
    const r = await runCli(['doctor'], env, undefined, 60_000);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(`^Checking ${g.connector.replace(/[.]/g, '\\.')} as ChatGPT would$`, 'm'),
    );
    assert.match(r.stdout, /^PASS {2}tools\/list and the tool-list checks \(\d+ ms\)$/m);
    assert.match(
      r.stdout,
      /^FAIL {2}A streamed response through the tunnel \(\d+ ms\)\n {6}All \d events arrived together/m,
    );
    assert.match(r.stdout, /^ {6}Fix: Turn off response buffering/m);
    assert.match(r.stdout, /step\(s\) failed/);

    const json = await runCli(['doctor', '--json'], env, undefined, 60_000);
    const report = JSON.parse(json.stdout) as { steps: { id: string; level: string }[] };
    assert.equal(report.steps.find((s) => s.id === 'stream')?.level, 'failure');

    // Nothing running there: says so, exits 1.
    const none = await runCli(['doctor'], sandbox.env, undefined, 30_000);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /No running gateway found/);
  },
);
