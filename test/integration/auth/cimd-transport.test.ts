import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createHttpsCimdTransport } from '../../../main/auth/cimd-transport.js';
import { startTlsServer } from '../../fixtures/auth/tls-cimd-server.js';

describe('real CIMD transport over TLS on 127.0.0.1', () => {
  let srv: Awaited<ReturnType<typeof startTlsServer>>;
  before(async () => {
    srv = await startTlsServer((req, res) => {
      if (req.url === '/ok.json') res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"a":1}');
      else if (req.url === '/big.json')
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('x'.repeat(10_000));
      else if (req.url === '/chunked-big.json') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        for (let i = 0; i < 10; i++) res.write('y'.repeat(1000));
        res.end();
      } else if (req.url === '/redirect.json')
        res.writeHead(302, { Location: 'https://cimd.test/ok.json' }).end();
      // Never answers: only the transport's own time limit can end the request.
      else if (req.url === '/slow.json') return;
      else res.writeHead(404).end();
    });
  });
  after(async () => srv.close());
  // The time limit is short only where it is the subject: a first TLS handshake on a loaded machine
  // took longer than 500 ms (CI, load 24), and the other checks are not about time.
  const limits = { timeoutMs: 30_000, maxBytes: 5120 };
  const get = (path: string, timeoutMs = limits.timeoutMs) =>
    createHttpsCimdTransport({ ca: srv.ca }).get(new URL(srv.origin + path), '127.0.0.1', 4, {
      ...limits,
      timeoutMs,
    });

  it('fetches from the pinned address with TLS checked against the URL host', async () => {
    const res = await get('/ok.json');
    assert.equal(res.status, 200);
    assert.equal(res.body, '{"a":1}');
  });
  it('fails TLS when the certificate is not trusted', async () => {
    await assert.rejects(
      createHttpsCimdTransport().get(new URL(`${srv.origin}/ok.json`), '127.0.0.1', 4, limits),
      /connection failed/,
    );
  });
  it('stops at the size limit (declared or streamed)', async () => {
    await assert.rejects(get('/big.json'), /larger than 5120/);
    await assert.rejects(get('/chunked-big.json'), /larger than 5120/);
  });
  it('does not follow redirects', async () => {
    const res = await get('/redirect.json');
    assert.equal(res.status, 302);
  });
  it('gives up after the time limit', { timeout: 20_000 }, async () => {
    await assert.rejects(get('/slow.json', 500), /within 500 ms/);
  });
});
