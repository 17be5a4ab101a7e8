// A request to a remote upstream is sent in the turn it is made when its Authorization header is
// known without waiting (no OAuth, or tokens in memory): at c=1 every microsecond before the
// upstream write is added to the call (issue 16). Otherwise the token lookup decides, as before.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HttpRequestInit, HttpResponse, HttpSend } from '../../../main/gateway/upstream/http-client.js';
import { createRemoteFetch } from '../../../main/gateway/upstream/remote-fetch.js';
import type { UpstreamAuth } from '../../../main/gateway/upstream/upstream-auth.js';

/** An answer with `status` whose body nobody reads. */
function answer(status: number): HttpResponse {
  return {
    status,
    ok: status >= 200 && status < 300,
    header: () => undefined,
    text: async () => '',
    body: undefined as unknown as HttpResponse['body'],
    discard: () => {},
  };
}

/** A send that records each request's Authorization header and answers the statuses given, in turn. */
function recordingSend(...statuses: number[]): { send: HttpSend; sent: (string | undefined)[] } {
  const sent: (string | undefined)[] = [];
  const send: HttpSend = (_url: string, init: HttpRequestInit) => {
    sent.push(init.headers['authorization'] as string | undefined);
    return Promise.resolve(answer(statuses.shift() ?? 200));
  };
  return { send, sent };
}

function auth(now: string | undefined | null, slow: string | undefined): UpstreamAuth & { asked: number } {
  const a = {
    asked: 0,
    authorization: async () => {
      a.asked++;
      return slow;
    },
    authorizationNow: () => now,
    unauthorized: async () => 'needs-sign-in' as const,
    signIn: async () => {},
    signOut: async () => {},
  };
  return a;
}

const URL_ = 'http://127.0.0.1:9/mcp';

test('a request whose Authorization is known now is sent in the turn it is made', async () => {
  for (const [label, a, header] of [
    ['no OAuth', undefined, undefined],
    ['tokens in memory', auth('Bearer now', 'Bearer slow'), 'Bearer now'],
    ['known to be none', auth(undefined, 'Bearer slow'), undefined],
  ] as const) {
    const { send, sent } = recordingSend();
    const remoteFetch = createRemoteFetch({ name: 'up', auth: a, send });
    const res = remoteFetch(URL_, { method: 'POST', body: '{}' });
    assert.deepEqual(sent, [header], `${label}: sent before remoteFetch returned`);
    assert.equal((await res).status, 200);
    if (a) assert.equal(a.asked, 0, `${label}: authorization() was not needed`);
  }
});

test('a 401 tells UpstreamAuth the header that was refused: the one known now, else the one awaited', async () => {
  for (const [label, now, slow, configured, want] of [
    ['known now', 'Bearer now', 'Bearer slow', undefined, 'Bearer now'],
    ['looked up', null, 'Bearer loaded', undefined, 'Bearer loaded'],
    ['configured header', undefined, 'Bearer slow', 'Bearer configured', 'Bearer configured'],
  ] as const) {
    const { send, sent } = recordingSend(401);
    let refused: string | undefined;
    const a = auth(now, slow);
    a.unauthorized = async (info) => {
      refused = info.authorization;
      return 'needs-sign-in';
    };
    const headers = configured === undefined ? undefined : { Authorization: configured };
    const remoteFetch = createRemoteFetch({ name: 'up', auth: a, send, headers });
    await assert.rejects(remoteFetch(URL_, { method: 'POST', body: '{}' }), { name: 'NeedsSignInError' });
    assert.deepEqual(sent, [want], label);
    assert.equal(refused, want, label);
    assert.equal(a.asked, now === null ? 1 : 0, `${label}: authorization() asked only when needed`);
  }
});
