import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CHATGPT_CONNECTOR_REDIRECT,
  CHATGPT_REDIRECT,
  chatgptRegistrationBody,
  pkcePair,
  startHarness,
  type Harness,
} from '../../fixtures/auth/auth-harness.js';
import {
  authorizeUrl,
  connect,
  followApproval,
  getManual,
  register,
  registerClient,
  startAuthorization,
} from '../../fixtures/auth/oauth-steps.js';

describe('/oauth/authorize with owner approval', () => {
  let h: Harness;
  let clientId: string;
  const { challenge } = pkcePair();
  before(async () => {
    h = await startHarness({ limits: { requestsPerMinute: 1000 } });
    clientId = ((await (await register(h, chatgptRegistrationBody())).json()) as { client_id: string })
      .client_id;
  });
  after(async () => h.close());

  it('accepts both ChatGPT redirect URI forms and shows the approval page', async () => {
    for (const redirectUri of [CHATGPT_CONNECTOR_REDIRECT, CHATGPT_REDIRECT]) {
      const id = await startAuthorization(h, { clientId, redirectUri, challenge, state: 'xyz' });
      const page = await getManual(`${h.base}/oauth/approval?request=${id}`);
      assert.equal(page.status, 200);
      const html = await page.text();
      const pending = h.auth.listPending().find((p) => p.id === id)!;
      assert.ok(pending, 'listed for the owner');
      assert.match(pending.pairingCode, /^[A-Z2-9]{3}-[A-Z2-9]{3}$/);
      assert.ok(html.includes(pending.pairingCode), 'page shows the pairing code');
      assert.ok(html.includes('ChatGPT'));
      assert.ok(html.includes('chatgpt.com'), 'redirect host');
      assert.ok(html.includes('registered dynamically'));
      assert.ok(html.includes('Waiting for the owner to approve in Tunnelgate'));
      assert.equal(pending.redirectHost, 'chatgpt.com');
      assert.deepEqual(pending.requestedScopes, ['mcp:full']);
      const csp = page.headers.get('content-security-policy') ?? '';
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.match(csp, /script-src 'nonce-[^']+'/);
      assert.equal(
        /https?:\/\/(?!127\.0\.0\.1)/.test(html.replace(/chatgpt\.com[^<"]*/g, '')),
        false,
        'no external assets',
      );
      await h.auth.deny(id);
    }
  });

  it('passes state back with the code once the owner approves, and the approval is single-shot', async () => {
    const id = await startAuthorization(h, {
      clientId,
      redirectUri: CHATGPT_REDIRECT,
      challenge,
      state: 'st@te 1',
    });
    const status = await (await fetch(`${h.base}/oauth/approval/status?request=${id}`)).json();
    assert.deepEqual(status, { status: 'pending' });
    await h.auth.approve(id, ['mcp:read']);
    const back = await followApproval(h, id);
    assert.equal(`${back.origin}${back.pathname}`, CHATGPT_REDIRECT);
    assert.equal(back.searchParams.get('state'), 'st@te 1');
    assert.ok((back.searchParams.get('code') ?? '').length >= 40);
    assert.equal(back.searchParams.get('iss'), h.base, 'RFC 9207 iss names the issuer');
    await assert.rejects(h.auth.approve(id, ['mcp:full']), /No connection request/);
    assert.equal(
      h.auth.listPending().some((p) => p.id === id),
      false,
    );
  });

  it('long-polls the status endpoint and wakes on approval', async () => {
    const id = await startAuthorization(h, { clientId, redirectUri: CHATGPT_REDIRECT, challenge });
    const polled = fetch(`${h.base}/oauth/approval/status?request=${id}&wait=1`).then(
      (r) => r.json() as Promise<{ status: string; redirect: string }>,
    );
    await new Promise((r) => setTimeout(r, 100));
    await h.auth.approve(id, ['mcp:full']);
    const s = await polled;
    assert.equal(s.status, 'approved');
    assert.ok(s.redirect.startsWith(`${CHATGPT_REDIRECT}?code=`));
  });

  it('redirects with access_denied when the owner denies a client at an address approved for it', async () => {
    const approved = await registerClient(h, [CHATGPT_REDIRECT], 'ChatGPT');
    await connect(h, { clientId: approved, redirectUri: CHATGPT_REDIRECT });
    const id = await startAuthorization(h, {
      clientId: approved,
      redirectUri: CHATGPT_REDIRECT,
      challenge,
      state: 'd',
    });
    await h.auth.deny(id);
    const back = await followApproval(h, id);
    assert.equal(back.searchParams.get('error'), 'access_denied');
    assert.equal(back.searchParams.get('state'), 'd');
    assert.equal(back.searchParams.get('iss'), h.base, 'RFC 9207: error responses carry iss too');
    assert.equal(back.searchParams.has('code'), false);
  });

  it('a denial for an address never approved is a page with a link back, never a redirect (RFC 9700 §4.11.2)', async () => {
    const id = await startAuthorization(h, {
      clientId,
      redirectUri: CHATGPT_REDIRECT,
      challenge,
      state: 'd',
    });
    await h.auth.deny(id);
    const page = await getManual(`${h.base}/oauth/approval?request=${id}`);
    assert.equal(page.status, 403);
    assert.equal(page.headers.get('location'), null);
    const html = await page.text();
    assert.match(html, /The owner denied this request/);
    const href = /id="return" href="([^"]+)"/.exec(html)?.[1]?.replace(/&#38;/g, '&');
    assert.ok(href, 'a link the person may follow');
    const back = new URL(href);
    assert.equal(`${back.origin}${back.pathname}`, CHATGPT_REDIRECT);
    assert.equal(back.searchParams.get('error'), 'access_denied');
    assert.equal(back.searchParams.get('iss'), h.base);
    const status = (await (await fetch(`${h.base}/oauth/approval/status?request=${id}`)).json()) as Record<
      string,
      unknown
    >;
    assert.equal(status.status, 'denied');
    assert.equal(status.redirect, undefined, 'the page script does not redirect by itself');
    assert.equal(status.return_to, href);
  });

  it('expires pending requests after 10 minutes: page says so, the owner can no longer approve', async () => {
    const events: number[] = [];
    const off = h.auth.on('pending', (list) => events.push(list.length));
    const id = await startAuthorization(h, { clientId, redirectUri: CHATGPT_REDIRECT, challenge });
    h.clock.advance(10 * 60_000 + 1);
    const page = await getManual(`${h.base}/oauth/approval?request=${id}`);
    assert.equal(page.status, 410);
    assert.match(await page.text(), /expired/);
    assert.deepEqual(await (await fetch(`${h.base}/oauth/approval/status?request=${id}`)).json(), {
      status: 'expired',
    });
    await assert.rejects(h.auth.approve(id, ['mcp:full']), /No connection request/);
    assert.ok(events.length >= 2, 'pending events on create and on expiry');
    off();
  });

  it('offers no way to approve from the public side', async () => {
    const id = await startAuthorization(h, { clientId, redirectUri: CHATGPT_REDIRECT, challenge });
    for (const [method, path] of [
      ['POST', `/oauth/approval?request=${id}`],
      ['POST', `/oauth/approval/status?request=${id}`],
      ['GET', `/oauth/approve?request=${id}`],
      ['POST', `/oauth/approve`],
    ] as const) {
      await fetch(h.base + path, {
        method,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: method === 'POST' ? `request=${id}&approve=1` : undefined,
      });
    }
    assert.ok(
      h.auth.listPending().some((p) => p.id === id),
      'still pending',
    );
    const status = (await (await fetch(`${h.base}/oauth/approval/status?request=${id}`)).json()) as {
      status: string;
    };
    assert.equal(status.status, 'pending');
    await h.auth.deny(id);
  });

  it('defaults the scope when a reconnect sends none, and keeps known requested scopes', async () => {
    const none = await startAuthorization(h, { clientId, redirectUri: CHATGPT_REDIRECT, challenge });
    assert.deepEqual(h.auth.listPending().find((p) => p.id === none)!.requestedScopes, ['mcp:full']);
    const read = await startAuthorization(h, {
      clientId,
      redirectUri: CHATGPT_REDIRECT,
      challenge,
      scope: 'mcp:read openid',
    });
    assert.deepEqual(h.auth.listPending().find((p) => p.id === read)!.requestedScopes, ['mcp:read']);
    await h.auth.deny(none);
    await h.auth.deny(read);
  });

  it('accepts the resource with a trailing slash', async () => {
    const id = await startAuthorization(h, {
      clientId,
      redirectUri: CHATGPT_REDIRECT,
      challenge,
      resource: `${h.base}/mcp/`,
    });
    await h.auth.deny(id);
  });

  describe('errors shown as a page, never redirected', () => {
    const cases: [string, () => string][] = [
      [
        'unknown client',
        () => authorizeUrl(h, { clientId: 'tgc_nope', redirectUri: CHATGPT_REDIRECT, challenge }),
      ],
      [
        'missing client_id',
        () =>
          authorizeUrl(h, { clientId: '', redirectUri: CHATGPT_REDIRECT, challenge }).replace(
            'client_id=&',
            '',
          ),
      ],
      [
        'unregistered redirect URI',
        () => authorizeUrl(h, { clientId, redirectUri: 'https://evil.example/cb', challenge }),
      ],
      [
        'look-alike host',
        () =>
          authorizeUrl(h, {
            clientId,
            redirectUri: 'https://chatgpt.com.evil.example/connector_platform_oauth_redirect',
            challenge,
          }),
      ],
      [
        'look-alike path suffix',
        () => authorizeUrl(h, { clientId, redirectUri: `${CHATGPT_REDIRECT}/../x`, challenge }),
      ],
      [
        'extra trailing slash',
        () => authorizeUrl(h, { clientId, redirectUri: `${CHATGPT_REDIRECT}/`, challenge }),
      ],
      ['extra query', () => authorizeUrl(h, { clientId, redirectUri: `${CHATGPT_REDIRECT}?x=1`, challenge })],
      [
        'upper-case host',
        () =>
          authorizeUrl(h, {
            clientId,
            redirectUri: CHATGPT_REDIRECT.replace('chatgpt.com', 'ChatGPT.com'),
            challenge,
          }),
      ],
      [
        'http instead of https',
        () =>
          authorizeUrl(h, { clientId, redirectUri: CHATGPT_REDIRECT.replace('https:', 'http:'), challenge }),
      ],
      ['no redirect_uri while several are registered', () => authorizeUrl(h, { clientId, challenge })],
      [
        'a repeated parameter',
        () =>
          `${authorizeUrl(h, { clientId, redirectUri: CHATGPT_REDIRECT, challenge })}&client_id=${clientId}`,
      ],
    ];
    for (const [what, url] of cases) {
      it(what, async () => {
        const res = await getManual(url());
        assert.equal(res.status, 400);
        assert.equal(res.headers.get('location'), null);
        assert.match(res.headers.get('content-type') ?? '', /text\/html/);
        assert.match(await res.text(), /refused/);
      });
    }
  });

  describe('errors redirected, with state, only to a redirect URI the owner approved for the client', () => {
    let approved: string;
    before(async () => {
      // Registers both ChatGPT URIs; the owner approves it through one of them only.
      approved = ((await (await register(h, chatgptRegistrationBody())).json()) as { client_id: string })
        .client_id;
      await connect(h, { clientId: approved, redirectUri: CHATGPT_REDIRECT });
    });
    const cases: [string, (clientId: string) => string, string][] = [
      [
        'response_type token',
        (clientId) =>
          authorizeUrl(h, {
            clientId,
            redirectUri: CHATGPT_REDIRECT,
            challenge,
            state: 'k',
            responseType: 'token',
          }),
        'unsupported_response_type',
      ],
      [
        'missing code_challenge',
        (clientId) => authorizeUrl(h, { clientId, redirectUri: CHATGPT_REDIRECT, state: 'k' }),
        'invalid_request',
      ],
      [
        'plain PKCE method',
        (clientId) =>
          authorizeUrl(h, {
            clientId,
            redirectUri: CHATGPT_REDIRECT,
            challenge,
            state: 'k',
            method: 'plain',
          }),
        'invalid_request',
      ],
      [
        'missing PKCE method (means plain)',
        (clientId) =>
          authorizeUrl(h, { clientId, redirectUri: CHATGPT_REDIRECT, challenge, state: 'k', method: null }),
        'invalid_request',
      ],
      [
        'malformed challenge',
        (clientId) =>
          authorizeUrl(h, { clientId, redirectUri: CHATGPT_REDIRECT, challenge: 'short', state: 'k' }),
        'invalid_request',
      ],
      [
        'missing resource',
        (clientId) =>
          authorizeUrl(h, { clientId, redirectUri: CHATGPT_REDIRECT, challenge, state: 'k', resource: null }),
        'invalid_target',
      ],
      [
        'wrong resource',
        (clientId) =>
          authorizeUrl(h, {
            clientId,
            redirectUri: CHATGPT_REDIRECT,
            challenge,
            state: 'k',
            resource: 'https://other.example/mcp',
          }),
        'invalid_target',
      ],
      [
        'resource of another path',
        (clientId) =>
          authorizeUrl(h, {
            clientId,
            redirectUri: CHATGPT_REDIRECT,
            challenge,
            state: 'k',
            resource: `${h.base}/`,
          }),
        'invalid_target',
      ],
    ];
    for (const [what, url, error] of cases) {
      it(what, async () => {
        const before = h.auth.listPending().length;
        const res = await getManual(url(approved));
        assert.equal(res.status, 302);
        const loc = new URL(res.headers.get('location')!);
        assert.equal(`${loc.origin}${loc.pathname}`, CHATGPT_REDIRECT);
        assert.equal(loc.searchParams.get('error'), error);
        assert.equal(loc.searchParams.get('state'), 'k');
        assert.equal(loc.searchParams.get('iss'), h.base, 'RFC 9207 iss on error redirects');
        assert.equal(h.auth.listPending().length, before, 'no pending request created');
      });
      it(`${what}: a page, not a redirect, for a client the owner never approved (RFC 9700 §4.11.2)`, async () => {
        const before = h.auth.listPending().length;
        const res = await getManual(url(clientId));
        assert.equal(res.status, 400);
        assert.equal(res.headers.get('location'), null);
        assert.match(res.headers.get('content-type') ?? '', /text\/html/);
        const html = await res.text();
        assert.match(html, /refused/);
        assert.ok(html.includes(`(${error})`), 'the page names the error');
        assert.match(html, /return to chatgpt\.com/, 'a link back the person may choose');
        assert.equal(h.auth.listPending().length, before, 'no pending request created');
      });
    }

    it('a page for a URI the client registered but the owner approved it through another one', async () => {
      const res = await getManual(
        authorizeUrl(h, {
          clientId: approved,
          redirectUri: CHATGPT_CONNECTOR_REDIRECT,
          challenge,
          method: 'plain',
        }),
      );
      assert.equal(res.status, 400);
      assert.equal(res.headers.get('location'), null);
    });
  });

  it('escapes what the client says about itself on the page (no markup injection)', async () => {
    const res = await register(h, {
      client_name: '<script>alert(1)</script><img src=x>',
      redirect_uris: [CHATGPT_REDIRECT],
    });
    const evil = ((await res.json()) as { client_id: string }).client_id;
    const id = await startAuthorization(h, { clientId: evil, redirectUri: CHATGPT_REDIRECT, challenge });
    const html = await (await getManual(`${h.base}/oauth/approval?request=${id}`)).text();
    assert.equal(html.includes('<script>alert'), false);
    assert.equal(html.includes('<img src=x>'), false);
    assert.ok(html.includes('&#60;script&#62;alert(1)&#60;/script&#62;'));
    await h.auth.deny(id);
  });

  it('refuses methods other than GET on /oauth/authorize without creating a request', async () => {
    const before = h.auth.listPending().length;
    for (const method of ['HEAD', 'POST']) {
      const res = await fetch(authorizeUrl(h, { clientId, redirectUri: CHATGPT_REDIRECT, challenge }), {
        method,
        redirect: 'manual',
      });
      assert.equal(res.status, 405);
    }
    assert.equal(h.auth.listPending().length, before);
  });

  it('caps pending requests per address so the owner is not flooded: the oldest one is replaced', async () => {
    const before = h.auth.listPending().length;
    const ids: string[] = [];
    for (let i = 0; i < 6; i++)
      ids.push(await startAuthorization(h, { clientId, redirectUri: CHATGPT_REDIRECT, challenge }));
    const open = h.auth.listPending().map((r) => r.id);
    assert.equal(open.length, Math.min(5, before + 6));
    assert.ok(!open.includes(ids[0]!), 'the oldest request from this address expired');
    assert.ok(open.includes(ids[5]!));
    const status = (await (
      await fetch(`${h.base}/oauth/approval/status?request=${encodeURIComponent(ids[0]!)}`)
    ).json()) as { status: string };
    assert.equal(status.status, 'expired');
    for (const id of ids.slice(1)) await h.auth.deny(id);
  });
});
