import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { ChatGptStandIn } from '../../fixtures/chatgpt/chatgpt-client.js';
import { connectChatGpt, startPublicGateway, statusWhere, type PublicGateway } from './doctor-harness.js';

// Tool-list drift (issue 13): ChatGPT keeps the tool list it fetched until the owner presses Refresh.
// Two ChatGPT stand-ins connect through the fake tunnel; the owner switches a tool off; only the one
// that has not listed since is warned about, and its warning clears when it lists again.
const root = join(import.meta.dirname, '../../..');
const memory = join(root, 'node_modules/@modelcontextprotocol/server-memory/dist/index.js');

describe('tool-list drift per client', { timeout: 120_000 }, () => {
  let g: PublicGateway;
  after(async () => g?.close());

  const connect = (): Promise<ChatGptStandIn> => connectChatGpt(g);
  const listed = async (c: ChatGptStandIn): Promise<string[]> =>
    ((await c.call('tools/list')) as { tools: { name: string }[] }).tools.map((t) => t.name);

  it('appears for the client that listed before the change only, and clears when it lists again', async () => {
    g = await startPublicGateway({
      config: {
        mcpServers: {
          memory: { command: process.execPath, args: [memory], env: { MEMORY_FILE_PATH: '/dev/null' } },
        },
      },
    });
    const control = g.tg.services.control;
    const a = await connect();
    const b = await connect();
    const [grantA, grantB] = (await control.listGrants()).map((x) => x.id);
    assert.ok(grantA && grantB && grantA !== grantB, 'two grants');
    assert.ok((await listed(a)).includes('memory__delete_entities'));
    assert.ok((await listed(b)).includes('memory__delete_entities'));
    assert.equal((await control.getStatus()).toolDrift, undefined, 'nothing changed yet');

    // The owner switches a tool off (Servers page); the config reload takes it out of the list.
    await control.setToolEnabled('memory', 'delete_entities', false);
    const drifted = await statusWhere(g.tg, (s) => (s.toolDrift?.length ?? 0) === 2, 30_000, 'drift');
    for (const d of drifted.toolDrift!) {
      assert.deepEqual(d.removed, ['memory__delete_entities']);
      assert.deepEqual([d.added, d.changed], [[], []]);
    }

    // B lists again (Refresh pressed in its settings): only A is still warned about.
    assert.ok(!(await listed(b)).includes('memory__delete_entities'));
    const onlyA = await statusWhere(g.tg, (s) => s.toolDrift?.length === 1, 30_000, 'B cleared');
    assert.equal(onlyA.toolDrift![0]!.grantId, grantA);
    assert.match(onlyA.toolDrift![0]!.clientName, /./);

    // The doctor says the same, with the fix, headless too.
    const report = await control.runDoctor();
    const step = report.steps.find((s) => s.id === 'tool-drift')!;
    assert.equal(step.level, 'warning', step.detail);
    assert.match(step.detail, /1 client\(s\).*still lists memory__delete_entities, no longer exposed/);
    assert.match(step.fix ?? '', /Press Refresh in the plugin's settings in ChatGPT/);

    // Switching it back on changes the list again: A's snapshot has it, B's does not.
    await control.setToolEnabled('memory', 'delete_entities', true);
    const back = await statusWhere(
      g.tg,
      (s) => s.toolDrift?.length === 1 && s.toolDrift[0]!.grantId === grantB,
      30_000,
      'B drifts the other way',
    );
    assert.deepEqual(back.toolDrift![0]!.added, ['memory__delete_entities']);
    assert.deepEqual(back.toolDrift![0]!.removed, []);

    await listed(b);
    await statusWhere(g.tg, (s) => s.toolDrift === undefined, 30_000, 'all cleared');
    const clean = await control.runDoctor();
    assert.equal(clean.steps.find((s) => s.id === 'tool-drift')?.level, 'pass');
  });
});
