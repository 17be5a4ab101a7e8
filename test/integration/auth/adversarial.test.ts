import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, it } from 'node:test';
import { CHATGPT_REDIRECT, pkcePair, startHarness, type Harness } from '../../fixtures/auth/auth-harness.js';
import {
  authorizeUrl,
  callMcp,
  connect,
  followApproval,
  registerClient,
  startAuthorization,
  tokenRequest,
} from '../../fixtures/auth/oauth-steps.js';

/**
 * Findings of the security review, each reproduced as an attacker would: through the public side,
 * telling addresses apart by Cf-Connecting-Ip as Cloudflare's edge sets it.
 */

// ChatGPT's back end calls /token and /mcp from OpenAI's egress addresses, shared by every ChatGPT
// user; an attacker can make that back end send failing token requests (a forged callback to their
// own connector). Failures from a shared address must not lock out the owner's valid credentials.
const SHARED_IP = '192.0.2.200';

describe('failed-auth limits cannot lock out a valid client on the same address', () => {
  it('/oauth/token: a valid refresh token still works after others failed from the same address', async () => {
    const h = await startHarness({ limits: { failedAuthPerMinute: 3, requestsPerMinute: 1000 } });
    try {
      const { clientId, tokens } = await connect(h);
      const bad = () =>
        fetch(`${h.base}/oauth/token`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Cf-Connecting-Ip': SHARED_IP },
          body: new URLSearchParams({
            grant_type: 'authorization_code',
            code: 'forged',
            code_verifier: pkcePair().verifier,
            client_id: clientId,
          }),
        });
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await bad()).status);
      assert.deepEqual(statuses, [400, 400, 400, 429, 429], 'failures are still limited');
      const good = await fetch(`${h.base}/oauth/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Cf-Connecting-Ip': SHARED_IP },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: tokens.refresh_token,
          client_id: clientId,
        }),
      });
      assert.equal(good.status, 200, await good.clone().text());
    } finally {
      await h.close();
    }
  });

  it('/mcp: a valid access token still works after bad tokens from the same address', async () => {
    const h = await startHarness({ limits: { failedAuthPerMinute: 3, requestsPerMinute: 1000 } });
    try {
      const { tokens } = await connect(h);
      const statuses = [];
      for (let i = 0; i < 4; i++)
        statuses.push((await callMcp(h, 'forged', { 'Cf-Connecting-Ip': SHARED_IP })).status);
      assert.deepEqual(statuses, [401, 401, 401, 429]);
      assert.equal((await callMcp(h, tokens.access_token, { 'Cf-Connecting-Ip': SHARED_IP })).status, 200);
    } finally {
      await h.close();
    }
  });
});

describe('an attacker cannot fill the owner approval queue', () => {
  it('pending requests from one address are capped; the owner can still start a connection', async () => {
    const h = await startHarness({ limits: { requestsPerMinute: 10_000, failedAuthPerMinute: 10_000 } });
    try {
      const attacker = { 'Cf-Connecting-Ip': '203.0.113.66' };
      // 12 clients x 5 requests: more than the global cap of 50 waiting requests.
      for (let c = 0; c < 12; c++) {
        const clientId = await registerClient(h, [CHATGPT_REDIRECT], `Attacker ${c}`);
        for (let i = 0; i < 5; i++) {
          const res = await fetch(
            authorizeUrl(h, { clientId, redirectUri: CHATGPT_REDIRECT, challenge: pkcePair().challenge }),
            { redirect: 'manual', headers: attacker },
          );
          assert.notEqual(res.status, 500);
          await res.arrayBuffer();
        }
      }
      // Client ids are public (CIMD URLs), so the cap is per address: the attacker only replaces its own.
      assert.equal(h.auth.listPending().length, 5, 'one address holds at most 5 waiting requests');
      const owner = await registerClient(h, [CHATGPT_REDIRECT], 'ChatGPT');
      const res = await fetch(
        authorizeUrl(h, { clientId: owner, redirectUri: CHATGPT_REDIRECT, challenge: pkcePair().challenge }),
        { redirect: 'manual', headers: { 'Cf-Connecting-Ip': '198.51.100.10' } },
      );
      assert.equal(res.status, 302);
      assert.match(res.headers.get('location') ?? '', /^\/oauth\/approval\?request=/);
    } finally {
      await h.close();
    }
  });
});

/** An authorization request for `clientId` as if it came through the tunnel from `ip`. */
async function askFrom(h: Harness, clientId: string, ip: string): Promise<Response> {
  const res = await fetch(
    authorizeUrl(h, { clientId, redirectUri: CHATGPT_REDIRECT, challenge: pkcePair().challenge }),
    { redirect: 'manual', headers: { 'Cf-Connecting-Ip': ip } },
  );
  await res.arrayBuffer();
  return res;
}

describe("a full approval queue still takes the owner's sign-in (issue 10)", () => {
  it("11 addresses x 5 requests fill the queue; the owner's request gets in and stays while they go on", async () => {
    const h = await startHarness({ limits: { requestsPerMinute: 10_000, failedAuthPerMinute: 10_000 } });
    try {
      const ask = (clientId: string, ip: string) => askFrom(h, clientId, ip);
      const attacker = await registerClient(h, [CHATGPT_REDIRECT], 'ChatGPT');
      const addresses = Array.from({ length: 11 }, (_, i) => `203.0.113.${10 + i}`);
      for (const ip of addresses) for (let i = 0; i < 5; i++) await ask(attacker, ip);
      assert.equal(h.auth.listPending().length, 50, 'the queue is full (global cap 50)');
      const owner = await registerClient(h, [CHATGPT_REDIRECT], 'ChatGPT');
      const res = await ask(owner, '198.51.100.10');
      assert.equal(res.status, 302);
      const id = new URL(res.headers.get('location')!, h.base).searchParams.get('request');
      const mine = () => h.auth.listPending().find((p) => p.id === id);
      assert.ok(mine(), "the owner's request is in the queue");
      assert.equal(mine()!.address, '198.51.100.10', 'the app is told where it came from');
      // The flood goes on: each new request pushes out the largest holder's oldest, never the owner's.
      for (const ip of addresses) for (let i = 0; i < 3; i++) await ask(attacker, ip);
      assert.ok(mine(), "the owner's request is still waiting");
      assert.equal(h.auth.listPending().length, 50);
    } finally {
      await h.close();
    }
  });

  it("a flood of one request per fresh address cannot push the owner's waiting request out", async () => {
    const h = await startHarness({ limits: { requestsPerMinute: 10_000, failedAuthPerMinute: 10_000 } });
    try {
      const ask = (clientId: string, ip: string) => askFrom(h, clientId, ip);
      const owner = await registerClient(h, [CHATGPT_REDIRECT], 'ChatGPT');
      const res = await ask(owner, '198.51.100.10');
      const id = new URL(res.headers.get('location')!, h.base).searchParams.get('request');
      const attacker = await registerClient(h, [CHATGPT_REDIRECT], 'ChatGPT');
      // 120 addresses with one request each: every holder is as large as the owner's.
      for (let i = 0; i < 120; i++) await ask(attacker, `203.0.${113 + (i >> 8)}.${i & 255}`);
      assert.equal(h.auth.listPending().length, 50);
      assert.ok(
        h.auth.listPending().some((p) => p.id === id),
        "the owner's request, asked first, is still waiting",
      );
    } finally {
      await h.close();
    }
  });

  it('one IPv6 /64 is one address: it cannot hold more than its share by varying the host part', async () => {
    const h = await startHarness({ limits: { requestsPerMinute: 10_000, failedAuthPerMinute: 10_000 } });
    try {
      const clientId = await registerClient(h, [CHATGPT_REDIRECT], 'Flood');
      for (let i = 1; i <= 20; i++) {
        const res = await fetch(
          authorizeUrl(h, { clientId, redirectUri: CHATGPT_REDIRECT, challenge: pkcePair().challenge }),
          { redirect: 'manual', headers: { 'Cf-Connecting-Ip': `2001:db8:5:7::${i.toString(16)}` } },
        );
        assert.equal(res.status, 302);
        await res.arrayBuffer();
      }
      assert.equal(h.auth.listPending().length, 5, 'one /64 holds at most 5 waiting requests');
    } finally {
      await h.close();
    }
  });
});

describe('malformed input is a 4xx, never a 500', () => {
  it('/oauth/token with a Basic header whose client id is not valid percent-encoding', async () => {
    const h = await startHarness({ limits: { failedAuthPerMinute: 1000 } });
    try {
      const res = await fetch(`${h.base}/oauth/token`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          Authorization: `Basic ${Buffer.from('%E0%A4%A:').toString('base64')}`,
        },
        body: 'grant_type=refresh_token&refresh_token=x',
      });
      assert.equal(res.status, 400, await res.clone().text());
      assert.notEqual(((await res.json()) as { error: string }).error, 'server_error');
    } finally {
      await h.close();
    }
  });
});

describe('request bodies that never finish', () => {
  it('/oauth/token answers 408 and frees the connection when the body stalls', async () => {
    const h = await startHarness({ bodyTimeoutMs: 300 });
    try {
      const started = Date.now();
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(
          `${h.base}/oauth/token`,
          {
            method: 'POST',
            headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': '1000' },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.write('grant_type=refresh_token&');
        // ...and never the rest.
        setTimeout(() => req.destroy(), 5_000).unref();
      });
      assert.equal(status, 408);
      assert.ok(Date.now() - started < 4_000);
    } finally {
      await h.close();
    }
  });
});

describe('authorization code exchange', () => {
  it('redirect_uri at the token endpoint must be identical to the authorization request (RFC 6749 §4.1.3)', async () => {
    const h = await startHarness({ limits: { failedAuthPerMinute: 1000, requestsPerMinute: 1000 } });
    try {
      const clientId = await registerClient(h, ['http://127.0.0.1/callback']);
      const { verifier, challenge } = pkcePair();
      const id = await startAuthorization(h, {
        clientId,
        redirectUri: 'http://127.0.0.1:4321/callback',
        challenge,
      });
      await h.auth.approve(id, ['mcp:full']);
      const code = (await followApproval(h, id)).searchParams.get('code')!;
      const res = await tokenRequest(h, {
        grant_type: 'authorization_code',
        code,
        code_verifier: verifier,
        client_id: clientId,
        redirect_uri: 'http://127.0.0.1:9999/callback',
      });
      assert.equal(res.status, 400);
      assert.equal(((await res.json()) as { error: string }).error, 'invalid_grant');
    } finally {
      await h.close();
    }
  });
});

describe('approval long-polls cannot pile up', () => {
  // A quick tunnel serves at most 200 requests in flight for the whole URL: an attacker holding
  // long-polls on their own pending request must not be able to take those slots.
  it('only a couple of waiting polls per request; the others answer at once with a retry hint', async () => {
    const h = await startHarness({ limits: { requestsPerMinute: 1000 } });
    try {
      const clientId = await registerClient(h, [CHATGPT_REDIRECT]);
      const id = await startAuthorization(h, {
        clientId,
        redirectUri: CHATGPT_REDIRECT,
        challenge: pkcePair().challenge,
      });
      const url = `${h.base}/oauth/approval/status?request=${encodeURIComponent(id)}&wait=1`;
      const controllers = Array.from({ length: 8 }, () => new AbortController());
      const started = Date.now();
      const answers = controllers.map((c) =>
        fetch(url, { signal: c.signal }).then(
          async (r) => ({
            at: Date.now() - started,
            body: (await r.json()) as { status: string; retry_after_ms?: number },
          }),
          () => null,
        ),
      );
      // Held polls answer after 20 s (or the owner's decision): those beyond the cap come well before.
      let timer: NodeJS.Timeout | undefined;
      const settled = await Promise.race([
        Promise.all(answers.slice(2)),
        new Promise<null>((r) => (timer = setTimeout(() => r(null), 10_000))),
      ]);
      // (A pending 10 s timer would keep the test process alive that long after its last test.)
      clearTimeout(timer);
      assert.ok(settled, 'polls beyond the cap answered without waiting');
      for (const a of settled) {
        assert.equal(a?.body.status, 'pending');
        assert.ok((a?.body.retry_after_ms ?? 0) >= 1000);
      }
      // The first two are still waiting for the owner; deciding wakes them.
      await h.auth.deny(id);
      const first = await answers[0];
      assert.equal(first?.body.status, 'denied');
      for (const c of controllers) c.abort();
    } finally {
      await h.close();
    }
  });
});
