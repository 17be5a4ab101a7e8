import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEMO_SERVER_NAME, demoBuiltin } from '../../../main/gateway/demo/demo-builtin.js';
import { createUpstreamManager } from '../../../main/gateway/upstream/manager.js';
import type { SupervisedUpstream } from '../../../main/gateway/upstream/supervised-upstream.js';
import type { UpstreamListKind, UpstreamState } from '../../../main/gateway/upstream/types.js';

// The manager and its upstreams are typed emitters (EventEmitter<Events>): `npm run typecheck` fails
// on each @ts-expect-error below if an event map is lost (an untyped emitter accepts all of them).
test('the upstream manager and its upstreams emit what their event maps say', async () => {
  const manager = createUpstreamManager({ builtins: { [DEMO_SERVER_NAME]: demoBuiltin } });
  const added: SupervisedUpstream[] = [];
  const states: UpstreamState[] = [];
  const lists: UpstreamListKind[] = [];
  manager.on('added', (u) => added.push(u));
  manager.on('state', (s) => states.push(s));
  manager.on('list-changed', ({ upstream, kind }) => upstream === DEMO_SERVER_NAME && lists.push(kind));
  // @ts-expect-error: there is no 'ready' event (state changes come as 'state')
  manager.on('ready', () => {});
  // @ts-expect-error: 'removed' carries the server's name, not the upstream
  manager.on('removed', (u: SupervisedUpstream) => void u);
  try {
    await manager.apply({}, { builtins: [DEMO_SERVER_NAME] });
    const demo = manager.get(DEMO_SERVER_NAME)!;
    assert.deepEqual(added, [demo]);
    assert.equal(states.at(-1)?.status, 'ready');
    assert.ok(lists.includes('tools'), 'becoming ready announces its lists');
    const own: UpstreamState[] = [];
    demo.on('state', (s) => own.push(s));
    // @ts-expect-error: an upstream's 'state' carries an UpstreamState, not a string
    demo.on('state', (s: string) => void s);
    await manager.restart(DEMO_SERVER_NAME);
    assert.deepEqual(
      own.map((s) => s.status),
      ['starting', 'ready'],
    );
  } finally {
    await manager.close();
  }
});
