import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createTunnelManager } from '../../../main/tunnel/index.js';
import type { TunnelState, UrlChange } from '../../../main/tunnel/types.js';

// The cloudflared manager is a typed emitter (EventEmitter<TunnelEvents>): `npm run typecheck` fails
// on each @ts-expect-error below if its event map is lost (an untyped emitter accepts all of them).
test('the tunnel manager emits what its event map says', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tg-typed-'));
  const manager = createTunnelManager({
    mode: 'quick',
    localPort: 9,
    dataDir: join(dir, 'data'),
    env: { PATH: join(dir, 'empty') },
  });
  const phases: TunnelState['phase'][] = [];
  manager.on('state', (s) => phases.push(s.phase));
  manager.on('url-changed', (c: UrlChange) => void c.previous);
  // @ts-expect-error: there is no 'ready' event (phases come as 'state')
  manager.on('ready', () => {});
  // @ts-expect-error: 'log' carries one line of text, not a state
  manager.on('log', (s: TunnelState) => void s);
  try {
    await manager.start();
    assert.deepEqual(phases, ['starting', 'failed']);
    assert.equal(manager.state().errorCode, 'binary-missing');
  } finally {
    await manager.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
