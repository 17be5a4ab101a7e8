import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createControlService } from '../../../main/control/control-service.js';
import { createFakes, nextValue } from './fakes.js';

const crashy = { command: 'node', args: ['crashy.mjs'] };

describe('control service: per-server logs', () => {
  it('returns a server’s log with its last crash, and pushes each new entry', async () => {
    const f = createFakes({ mcpServers: { crashy } });
    const svc = createControlService(f.deps);
    f.upstreams.logs.add('crashy', { kind: 'stderr', text: 'hello' });
    f.upstreams.logs.add('crashy', {
      kind: 'exit',
      level: 'error',
      text: 'crashed: exit code 3',
      exit: { at: 0, code: 3, signal: null, tail: ['hello', 'Error: boom'] },
    });
    const view = await svc.getServerLogs('crashy');
    assert.deepEqual(
      view.entries.map((e) => [e.kind, e.text]),
      [
        ['stderr', 'hello'],
        ['exit', 'crashed: exit code 3'],
      ],
    );
    assert.equal(view.lastCrash?.code, 3);
    assert.deepEqual(view.lastCrash?.tail, ['hello', 'Error: boom']);

    const pushed = nextValue(svc.onServerLog);
    f.upstreams.logs.add('crashy', { kind: 'message', level: 'info', text: 'ping' });
    f.upstreams.logs.add('crashy', { kind: 'stderr', text: 'pong' });
    const batch = await pushed;
    assert.deepEqual(
      batch.map((e) => [e.server, e.text]),
      [
        ['crashy', 'ping'],
        ['crashy', 'pong'],
      ],
      'one event for the entries of one turn, in order',
    );
    svc.close();
    assert.equal(f.subscriberCount(), 0, 'close() lets go of the log store');
  });

  it('refuses a server that is neither configured nor running, naming it', async () => {
    const f = createFakes({ mcpServers: { crashy } });
    const svc = createControlService(f.deps);
    await assert.rejects(svc.getServerLogs('nope'), /getServerLogs: no server named "nope"/);
    await assert.rejects(svc.getServerLogs(42 as unknown as string), /no server named 42/);
    f.upstreams.states = [{ name: 'demo', transport: 'builtin', status: 'ready', since: 0, restarts: 0 }];
    assert.deepEqual((await svc.getServerLogs('demo')).entries, []);
    svc.close();
  });
});

describe('control service: prompts, resources and templates per server', () => {
  it('lists what the running server offers, leaving out objects without their required fields', async () => {
    const f = createFakes({ mcpServers: { crashy, off: { ...crashy, enabled: false } } });
    f.upstreams.lists.crashy = {
      prompts: [
        {
          name: 'summarize',
          title: 'Summarize',
          arguments: [{ name: 'text', description: 'What', required: true }, { name: 'style' }, {}],
        },
        { description: 'no name' },
      ],
      resources: [
        { uri: 'crashy://a', name: 'a', mimeType: 'text/plain' },
        { uri: 'crashy://b' },
        { name: 'x' },
      ],
      resourceTemplates: [{ uriTemplate: 'crashy://{day}', name: 'by day', description: 'Notes' }, {}],
    };
    f.upstreams.lists.off = { prompts: [{ name: 'hidden' }] };
    const svc = createControlService(f.deps);
    const [s, off] = await svc.listServers();
    assert.deepEqual(s?.prompts, [
      {
        name: 'summarize',
        title: 'Summarize',
        arguments: [
          { name: 'text', description: 'What', required: true },
          { name: 'style', required: false },
        ],
      },
    ]);
    assert.deepEqual(s?.resources, [
      { uri: 'crashy://a', name: 'a', mimeType: 'text/plain' },
      { uri: 'crashy://b', name: 'crashy://b' },
    ]);
    assert.deepEqual(s?.resourceTemplates, [
      { uriTemplate: 'crashy://{day}', name: 'by day', description: 'Notes' },
    ]);
    assert.deepEqual(off?.prompts, [], 'a disabled server lists nothing');
    svc.close();
  });
});
