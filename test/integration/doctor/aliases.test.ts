import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { connectChatGpt, startPublicGateway, statusWhere, type PublicGateway } from './doctor-harness.js';

// Aliases (issue 13): the owner renames exposed tools (here: a new prefix) while ChatGPT still works
// from its frozen list. An alias in the config keeps an old name callable, said so in Activity; a
// name without an alias fails plainly; the drift warning names both sides until ChatGPT refreshes.
const root = join(import.meta.dirname, '../../..');
const memory = join(root, 'node_modules/@modelcontextprotocol/server-memory/dist/index.js');

describe('aliases keep an old exposed name callable after a rename', { timeout: 120_000 }, () => {
  let g: PublicGateway;
  after(async () => g?.close());

  it('serves the old name through the alias, logs it as such, and refuses an old name without one', async () => {
    const entry = { command: process.execPath, args: [memory], env: { MEMORY_FILE_PATH: '/dev/null' } };
    g = await startPublicGateway({ config: { mcpServers: { memory: entry } } });
    const control = g.tg.services.control;
    const chatgpt = await connectChatGpt(g);
    const before = (await chatgpt.call('tools/list')) as { tools: { name: string }[] };
    assert.ok(before.tools.some((t) => t.name === 'memory__read_graph'));

    // The owner gives the server a new prefix, and keeps one old name as an alias.
    await control.saveServer('memory', {
      ...entry,
      prefix: 'kg',
      aliases: { memory__read_graph: 'read_graph' },
    });
    const drift = await statusWhere(
      g.tg,
      (s) => !!s.toolDrift?.[0]?.added.includes('kg__read_graph'),
      30_000,
      'the rename to show as drift',
    );
    assert.ok(drift.toolDrift![0]!.removed.includes('memory__read_graph'));

    // ChatGPT has not refreshed: it calls the old name, which the alias serves.
    const result = (await chatgpt.call('tools/call', { name: 'memory__read_graph', arguments: {} })) as {
      content: { type: string; text: string }[];
      isError?: boolean;
    };
    assert.notEqual(result.isError, true, JSON.stringify(result));
    assert.match(result.content[0]?.text ?? '', /entities/);
    const events = await control.getActivity({ limit: 100 });
    const alias = events.find((e) => e.method === 'gateway/alias');
    assert.ok(alias, events.map((e) => e.method).join(', '));
    assert.equal(alias.target, 'memory__read_graph -> kg__read_graph');
    assert.ok(
      events.some((e) => e.method === 'tools/call' && e.target === 'kg__read_graph' && e.outcome === 'ok'),
      'the call itself is logged under the new name',
    );

    // An old name without an alias is gone: the call fails with a clear error.
    await assert.rejects(
      chatgpt.call('tools/call', { name: 'memory__search_nodes', arguments: { query: 'x' } }),
      /memory__search_nodes/,
    );
  });
});
