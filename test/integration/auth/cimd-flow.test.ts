import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createHttpsCimdTransport, type CimdTransport } from '../../../main/auth/cimd-transport.js';
import { pkcePair, startHarness, type Harness } from '../../fixtures/auth/auth-harness.js';
import {
  authorizeUrl,
  callMcp,
  followApproval,
  getManual,
  startAuthorization,
  tokenRequest,
  type Tokens,
} from '../../fixtures/auth/oauth-steps.js';
import { startTlsServer } from '../../fixtures/auth/tls-cimd-server.js';

const REDIRECT = 'https://chatgpt.com/connector/oauth/cimd1';

describe('authorization with a Client ID Metadata Document', () => {
  let srv: Awaited<ReturnType<typeof startTlsServer>>;
  let h: Harness;
  let fetched = 0;
  before(async () => {
    srv = await startTlsServer((req, res) => {
      fetched++;
      const id = `https://cimd.test:${srv.port}${req.url}`;
      if (req.url === '/chatgpt.json')
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(
          JSON.stringify({
            client_id: id,
            client_name: 'ChatGPT',
            redirect_uris: [REDIRECT],
            token_endpoint_auth_method: 'none',
          }),
        );
      else if (req.url === '/huge.json')
        res
          .writeHead(200, { 'Content-Type': 'application/json' })
          .end(JSON.stringify({ client_id: id, redirect_uris: [REDIRECT], pad: 'p'.repeat(8000) }));
      else res.writeHead(404).end();
    });
    const real = createHttpsCimdTransport({ ca: srv.ca });
    // DNS is faked (cimd.test -> a public address, private.test -> 10.0.0.8); the connection is real,
    // redirected to the local TLS server so nothing leaves the machine.
    const transport: CimdTransport = {
      resolve: async (host) => [{ address: host === 'cimd.test' ? '93.184.216.34' : '10.0.0.8', family: 4 }],
      get: (url, _address, family, limits) => real.get(url, '127.0.0.1', family, limits),
    };
    h = await startHarness({ cimdTransport: transport, limits: { requestsPerMinute: 1000 } });
  });
  after(async () => {
    await h.close();
    await srv.close();
  });

  it('fetches the document, shows its URL to the owner, and issues tokens to the URL client_id', async () => {
    const clientId = `${srv.origin}/chatgpt.json`;
    const { verifier, challenge } = pkcePair();
    const id = await startAuthorization(h, { clientId, redirectUri: REDIRECT, challenge });
    const pending = h.auth.listPending().find((p) => p.id === id)!;
    assert.equal(pending.cimdUrl, clientId);
    assert.equal(pending.clientName, 'ChatGPT');
    const page = await (await getManual(`${h.base}/oauth/approval?request=${id}`)).text();
    assert.ok(page.includes(clientId));
    await h.auth.approve(id, ['mcp:full']);
    const code = (await followApproval(h, id)).searchParams.get('code')!;
    const res = await tokenRequest(h, {
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      client_id: clientId,
      redirect_uri: REDIRECT,
      resource: `${h.base}/mcp`,
    });
    assert.equal(res.status, 200);
    const t = (await res.json()) as Tokens;
    const me = (await (await callMcp(h, t.access_token)).json()) as {
      principal: { clientId: string; clientName: string };
    };
    assert.equal(me.principal.clientId, clientId);
    assert.equal(h.auth.listGrants()[0]!.clientName, 'ChatGPT');
  });

  it('refuses a redirect URI the document does not name', async () => {
    const res = await getManual(
      authorizeUrl(h, {
        clientId: `${srv.origin}/chatgpt.json`,
        redirectUri: 'https://chatgpt.com/connector/oauth/other',
        challenge: pkcePair().challenge,
      }),
    );
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('location'), null);
  });

  it('refuses a document at a private address without fetching it', async () => {
    const before = fetched;
    const res = await getManual(
      authorizeUrl(h, {
        clientId: `https://private.test:${srv.port}/chatgpt.json`,
        redirectUri: REDIRECT,
        challenge: pkcePair().challenge,
      }),
    );
    assert.equal(res.status, 400);
    const page = await res.text();
    assert.match(page, /private\.test resolves to a private, loopback or reserved address/);
    assert.ok(
      !page.includes('10.0.0.8'),
      'the public page does not reveal what an internal name resolves to',
    );
    assert.equal(fetched, before);
  });

  it('refuses a document that is too large', async () => {
    const res = await getManual(
      authorizeUrl(h, {
        clientId: `${srv.origin}/huge.json`,
        redirectUri: REDIRECT,
        challenge: pkcePair().challenge,
      }),
    );
    assert.equal(res.status, 400);
    assert.match(await res.text(), /larger than 5120 bytes/);
  });

  it('refuses an http client_id URL (not a CIMD, not registered)', async () => {
    const res = await getManual(
      authorizeUrl(h, {
        clientId: `http://cimd.test:${srv.port}/chatgpt.json`,
        redirectUri: REDIRECT,
        challenge: pkcePair().challenge,
      }),
    );
    assert.equal(res.status, 400);
  });
});
