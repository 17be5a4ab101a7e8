import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { runDoctor } from '../../../main/doctor/doctor.js';
import { CHATGPT_CIMD_DOCUMENT } from '../../../main/doctor/chatgpt-client.js';
import type { DoctorReport } from '../../../main/doctor/types.js';
import { startPublicGateway, type PublicGateway } from './doctor-harness.js';

const SCRIPTED = resolve(import.meta.dirname, '../../fixtures/upstream/scripted-stdio-server.mjs');
const hints = { readOnlyHint: true, destructiveHint: false, openWorldHint: false };
const step = (r: DoctorReport, id: string) => r.steps.find((s) => s.id === id)!;
const red = (r: DoctorReport) => r.steps.filter((s) => s.level === 'failure').map((s) => s.id);

/** A config with one scripted stdio server serving exactly these tools and resources. */
function scripted(tools: unknown[], resources: Record<string, unknown[]> = {}) {
  return {
    mcpServers: {
      s: {
        command: process.execPath,
        args: [SCRIPTED],
        env: { SCRIPTED_TOOLS: JSON.stringify(tools), SCRIPTED_RESOURCES: JSON.stringify(resources) },
      },
    },
  };
}

describe('the doctor against broken set-ups: the right step turns red', () => {
  const open: PublicGateway[] = [];
  after(async () => {
    for (const g of open) await g.close();
  });

  it('metadata missing: a tunnel that routes only /mcp', { timeout: 60_000 }, async () => {
    const g = await startPublicGateway({ fakeEnv: { FAKE_CLOUDFLARED_ONLY_PATH: '/mcp' } });
    open.push(g);
    const report = await g.tg.services.control.runDoctor();
    const prm = step(report, 'resource-metadata');
    assert.equal(prm.level, 'failure');
    assert.match(prm.detail, /oauth-protected-resource\/mcp answered 404/);
    assert.match(prm.fix ?? '', /forwards \/\.well-known\//);
    assert.equal(step(report, 'as-metadata').level, 'failure');
    assert.equal(step(report, 'challenge').level, 'pass', '/mcp itself still answers 401');
    await g.close();
  });

  // One gateway serves the scripted tools and the CIMD check (each start is a whole Tunnelgate, a fake
  // cloudflared and a certificate): the CIMD and registration steps do not touch the tools.
  let scriptedGateway: Promise<PublicGateway> | undefined;
  const withScriptedTools = (): Promise<PublicGateway> =>
    (scriptedGateway ??= startPublicGateway({
      config: scripted(
        [
          { name: 'good', description: 'Fine.', inputSchema: { type: 'object' }, annotations: hints },
          {
            name: 'bad',
            description: 'Broken schema.',
            inputSchema: { type: 'object', properties: { q: { type: 'text' } } },
            annotations: hints,
          },
          {
            name: 'show',
            description: 'Shows a widget.',
            inputSchema: { type: 'object' },
            annotations: hints,
            _meta: { ui: { resourceUri: 'ui://s/w.html' } },
          },
        ],
        { 'ui://s/w.html': [{ uri: 'ui://s/w.html', text: '<p>hi</p>' }] },
      ),
    }).then((g) => {
      open.push(g);
      return g;
    }));

  it(
    'a tool with an invalid input schema fails tools/list, and a widget without its MIME type fails the widget read',
    { timeout: 60_000 },
    async () => {
      const g = await withScriptedTools();
      const report = await g.tg.services.control.runDoctor();
      const tools = step(report, 'tools-list');
      assert.equal(tools.level, 'failure');
      assert.match(tools.detail, /refused by ChatGPT: s__bad/);
      assert.deepEqual(
        report.toolList?.tools.map((t) => [t.exposedName, t.findings.map((f) => f.code)]),
        [
          ['s__good', []],
          ['s__bad', ['schema-invalid']],
          ['s__show', []],
        ],
      );
      const widget = step(report, 'widget');
      assert.equal(widget.level, 'failure');
      assert.match(widget.detail, /ui:\/\/s\/w\.html has MIME type null/);
      assert.deepEqual(red(report), ['tools-list', 'widget'], 'only these two steps are red');
    },
  );

  it('CIMD refused: a metadata document the gateway will not accept', { timeout: 60_000 }, async () => {
    const g = await withScriptedTools();
    const auth = g.tg.services.auth!;
    // ChatGPT's document, but with a client secret method no metadata document may use.
    const report = await runDoctor({
      connectorUrl: () => g.connector,
      authMode: 'oauth',
      mintToken: () => auth.mintDoctorToken(),
      network: g.network,
      cimdDocument: { ...CHATGPT_CIMD_DOCUMENT, token_endpoint_auth_method: 'client_secret_basic' },
    });
    const cimd = step(report, 'cimd');
    assert.equal(cimd.level, 'failure');
    assert.match(cimd.detail, /\(client_secret_basic\) is refused: .*token_endpoint_auth_method/);
    assert.match(cimd.fix ?? '', /does not fall back to registration/);
    assert.equal(step(report, 'registration').level, 'pass');
    assert.deepEqual(
      await g.tg.services.control.listApprovals(),
      [],
      'a dry run creates no approval request',
    );
  });
});
