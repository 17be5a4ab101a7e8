import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createMetricsClient } from '../../../main/tunnel/metrics-client.js';
import { probeReachability } from '../../../main/tunnel/reachability.js';

// Real HTTP on 127.0.0.1 standing in for "the public URL" and for cloudflared's metrics server.
let server: Server;
let origin = '';
let closedPort = 0;
before(async () => {
  server = createServer((req, res) => {
    if (req.url === '/.well-known/oauth-protected-resource') return void res.end('{"resource":"x"}');
    if (req.url === '/cf-down') return void res.writeHead(530).end('error code: 1033');
    if (req.url === '/bad-gateway') return void res.writeHead(502).end('Bad gateway');
    if (req.url === '/ready') return void res.writeHead(503).end('{"status":503,"readyConnections":0}');
    if (req.url === '/quicktunnel') return void res.end('{"hostname":"Some-Words-Here.trycloudflare.com"}');
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  closedPort = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
});
after(() => server.close());

describe('reachability probe', () => {
  it('is ok on 200 from the default metadata path', async () => {
    const r = await probeReachability({ fetch, publicOrigin: origin });
    assert.equal(r.ok, true);
    assert.match(r.detail, /answered 200 through the tunnel/);
  });

  it('explains a Cloudflare error as "the tunnel cannot reach the gateway"', async () => {
    for (const path of ['/cf-down', '/bad-gateway']) {
      const r = await probeReachability({ fetch, publicOrigin: origin, path });
      assert.equal(r.ok, false);
      assert.match(r.detail, /cloudflared cannot reach the gateway/);
    }
  });

  it('names the status when the gateway answers something else', async () => {
    const r = await probeReachability({ fetch, publicOrigin: `${origin}/`, path: '/nope' });
    assert.equal(r.ok, false);
    assert.match(r.detail, /\/nope answered 404; expected 200/);
  });

  it('says what failed when nothing answers', async () => {
    const r = await probeReachability({ fetch, publicOrigin: `http://127.0.0.1:${closedPort}` });
    assert.equal(r.ok, false);
    assert.match(r.detail, /Could not fetch .*ECONNREFUSED/);
  });
});

describe('metrics client', () => {
  it('reads /ready status and the /quicktunnel hostname (lower-cased, no scheme)', async () => {
    const port = Number(new URL(origin).port);
    const m = createMetricsClient({ fetch, port });
    assert.equal(await m.ready(), 503);
    assert.equal(await m.quickTunnelHostname(), 'some-words-here.trycloudflare.com');
    const gone = createMetricsClient({ fetch, port: closedPort });
    assert.equal(await gone.ready(), null);
    assert.equal(await gone.quickTunnelHostname(), null);
  });
});
