import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import {
  InvalidClientError,
  InvalidGrantError,
  InvalidRequestError,
  ServerError,
  TemporarilyUnavailableError,
  TooManyRequestsError,
} from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { classifyTokenError, describeError } from '../../../main/auth/upstream/errors.js';
import {
  RedirectPortInUseError,
  SignInRefusedError,
  startLoopbackReceiver,
} from '../../../main/auth/upstream/loopback-receiver.js';
import { parseBearerChallenge } from '../../../main/auth/upstream/www-authenticate.js';

describe('WWW-Authenticate Bearer challenge', () => {
  it('reads resource_metadata, scope and error, quoted or not', () => {
    assert.deepEqual(
      parseBearerChallenge(
        'Bearer resource_metadata="https://a.example/.well-known/oauth-protected-resource/mcp", scope="files:read files:write", error="insufficient_scope"',
      ),
      {
        resourceMetadataUrl: 'https://a.example/.well-known/oauth-protected-resource/mcp',
        scope: 'files:read files:write',
        error: 'insufficient_scope',
      },
    );
    assert.deepEqual(
      parseBearerChallenge(
        'Basic realm="x", Bearer error=invalid_token, resource_metadata="https://b.example/m"',
      ),
      { resourceMetadataUrl: 'https://b.example/m', scope: undefined, error: 'invalid_token' },
    );
  });
  it('ignores other schemes, stops at the next scheme, drops an unparsable URL', () => {
    assert.deepEqual(parseBearerChallenge('Basic realm="r"'), {});
    assert.deepEqual(parseBearerChallenge(undefined), {});
    assert.equal(parseBearerChallenge('Bearer realm="api", Basic scope="not-ours"').scope, undefined);
    assert.equal(parseBearerChallenge('Bearer resource_metadata="not a url"').resourceMetadataUrl, undefined);
    assert.equal(parseBearerChallenge('Bearer scope="a \\"b\\""').scope, 'a "b"');
  });
});

describe('token error classification', () => {
  it('a refused grant or client means sign in again; network, 5xx and rate limits are transient', () => {
    assert.equal(classifyTokenError(new InvalidGrantError('revoked')), 'sign-in');
    assert.equal(classifyTokenError(new InvalidClientError('gone')), 'sign-in');
    assert.equal(classifyTokenError(new InvalidRequestError('bad')), 'sign-in');
    assert.equal(classifyTokenError(new ServerError('HTTP 400: Invalid OAuth error response')), 'sign-in');
    assert.equal(classifyTokenError(new ServerError('HTTP 503: Invalid OAuth error response')), 'transient');
    assert.equal(classifyTokenError(new ServerError('HTTP 429: slow down')), 'transient');
    assert.equal(classifyTokenError(new TemporarilyUnavailableError('later')), 'transient');
    assert.equal(classifyTokenError(new TooManyRequestsError('later')), 'transient');
    assert.equal(classifyTokenError(new TypeError('fetch failed')), 'transient');
    assert.equal(
      classifyTokenError(
        Object.assign(new Error('request failed'), { cause: new Error('connect ECONNREFUSED 127.0.0.1:1') }),
      ),
      'transient',
    );
  });
  it('describes OAuth errors by code', () => {
    assert.equal(
      describeError(new InvalidGrantError('refresh token revoked')),
      'invalid_grant: refresh token revoked',
    );
  });
});

describe('loopback redirect receiver', () => {
  const get = (url: string) => fetch(url, { signal: AbortSignal.timeout(5000) });

  it('listens on 127.0.0.1, ignores a wrong state, accepts the right one with a friendly page', async () => {
    const r = await startLoopbackReceiver({ expectedState: 'S1', timeoutMs: 10_000, serverName: 'srv' });
    assert.match(r.redirectUri, /^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    const forged = await get(`${r.redirectUri}?code=evil&state=other`);
    assert.equal(forged.status, 400);
    assert.match(await forged.text(), /does not match/);
    assert.equal((await get(r.redirectUri.replace('/callback', '/other'))).status, 404);
    const ok = await get(`${r.redirectUri}?code=the-code&state=S1`);
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), /You can close this tab/);
    assert.equal(await r.code, 'the-code');
    await assert.rejects(get(`${r.redirectUri}?code=again&state=S1`), 'closed after one answer');
  });

  it('an error answer rejects with what the server said', async () => {
    const r = await startLoopbackReceiver({ expectedState: 'S2', timeoutMs: 10_000, serverName: 'srv' });
    const res = await get(
      `${r.redirectUri}?error=access_denied&error_description=${encodeURIComponent('<b>user said no</b>')}&state=S2`,
    );
    assert.equal(res.status, 400);
    assert.doesNotMatch(await res.text(), /<b>user/, 'escaped');
    await assert.rejects(
      r.code,
      (e: unknown) =>
        e instanceof SignInRefusedError &&
        e.oauthError === 'access_denied' &&
        /Signing in to "srv" did not complete.*access_denied.*user said no/.test(e.message),
    );
  });

  it('times out, and close() cancels', async () => {
    const r = await startLoopbackReceiver({ expectedState: 'S3', timeoutMs: 200, serverName: 'srv' });
    await assert.rejects(r.code, /timed out/);
    const c = await startLoopbackReceiver({ expectedState: 'S4', timeoutMs: 10_000, serverName: 'srv' });
    c.close();
    await assert.rejects(c.code, /cancelled/);
  });

  it('a taken fixed port is reported as such', async () => {
    const blocker = createServer();
    await new Promise<void>((res) => blocker.listen(0, '127.0.0.1', res));
    const port = (blocker.address() as { port: number }).port;
    try {
      await assert.rejects(
        startLoopbackReceiver({ port, expectedState: 'S', timeoutMs: 1000, serverName: 'srv' }),
        (e: unknown) => e instanceof RedirectPortInUseError && e.port === port,
      );
    } finally {
      blocker.close();
    }
  });
});
