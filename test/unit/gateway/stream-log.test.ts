import { test } from 'node:test';
import assert from 'node:assert/strict';
import { queryObjects } from 'node:v8';
import { StreamLog } from '../../../main/gateway/front/stream-log.js';

/** Stands for what a call's abandon callback holds in its closure (its request, response, socket). */
class CallState {
  readonly payload = 'x'.repeat(1000);
}

/** Live CallState objects (queryObjects collects garbage first). */
const liveCalls = (): number => queryObjects(CallState, { format: 'count' }) as number;

// A finished POST stream stays in its session for the resume grace period (30 s): under load that is
// thousands of calls, so it must keep only its events, not the call (issue 16).
test('a finished stream kept for a resume lets go of the call, and still replays its events', () => {
  const state = { abandoned: 0 };
  const log = new StreamLog('p1', {
    graceMs: 60_000,
    onAbandoned: ((call: CallState) => () => {
      state.abandoned += call.payload.length > 0 ? 1 : 0;
    })(new CallState()),
  });
  const progress = log.add('{"jsonrpc":"2.0","method":"notifications/progress"}');
  assert.equal(liveCalls(), 1, 'held while the call is in flight');
  const answer = log.add('{"jsonrpc":"2.0","id":1,"result":{}}');
  log.write(answer, true);
  assert.equal(liveCalls(), 0, 'let go once answered');
  assert.equal(state.abandoned, 0);

  // A resume after the answer still gets every event after the id it names.
  let replayed = '';
  const res = {
    writeHead: () => res,
    end: (chunk?: string) => void (replayed += chunk ?? ''),
  } as unknown as Parameters<StreamLog['resume']>[0];
  log.resume(res, 0, {});
  assert.equal(replayed, progress + answer);
});
