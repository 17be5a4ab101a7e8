import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createControlService, type ControlService } from '../../../main/control/control-service.js';
import {
  readControlConnection,
  removeControlConnection,
  writeControlConnection,
} from '../../../main/control/connection-file.js';
import { connectControlClient, createControlHttpClient } from '../../../main/control/http-client.js';
import { secretEquals } from '../../../main/auth/secret-equals.js';
import { generateControlToken } from '../../../main/control/http-guard.js';
import { createControlHttpListener, type ControlHttpListener } from '../../../main/control/http-listener.js';
import { API_EVENTS, subscriberOf } from '../../../preload/contract.js';
import { createFakes, type Fakes } from './fakes.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** node:http rather than fetch, because fetch will not send a Host header of our choosing. */
function send(
  port: number,
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: opts.headers, timeout: 5000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end(opts.body);
  });
}

describe('dashboard HTTP listener', () => {
  let dir: string;
  let fakes: Fakes;
  let service: ControlService;
  let listener: ControlHttpListener;
  let port: number;
  const token = generateControlToken();
  const auth = () => ({ Authorization: `Bearer ${token}` });
  const api = (method: string, args: unknown, headers: Record<string, string> = {}) =>
    send(port, `/api/${method}`, {
      method: 'POST',
      headers: { ...auth(), 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify(args),
    });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tg-dash-'));
    await mkdir(join(dir, 'assets'));
    await writeFile(
      join(dir, 'index.html'),
      '<!doctype html><title>Tunnelgate</title><script type="module" src="./assets/app.js"></script>',
    );
    await writeFile(join(dir, 'assets', 'app.js'), 'console.log(1)');
    await writeFile(join(tmpdir(), 'tg-outside.txt'), 'outside');
    fakes = createFakes({ mcpServers: { memory: { command: 'node' } } });
    service = createControlService(fakes.deps);
    listener = createControlHttpListener({ service, token, staticDir: dir });
    const bound = await listener.listen(0);
    port = bound.port;
    assert.equal(bound.dashboardUrl, `http://127.0.0.1:${port}/?token=${token}`);
  });
  after(async () => {
    await listener.close();
    service.close();
    await rm(dir, { recursive: true, force: true });
    await rm(join(tmpdir(), 'tg-outside.txt'), { force: true });
  });

  it('compares tokens exactly', () => {
    assert.ok(secretEquals(token, token));
    assert.ok(!secretEquals(token.slice(0, -1), token));
    assert.ok(!secretEquals('', token));
  });

  it('refuses requests without the token', async () => {
    const page = await send(port, '/');
    assert.equal(page.status, 401);
    assert.match(page.body, /Dashboard link/);
    const call = await send(port, '/api/getStatus', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '[]',
    });
    assert.equal(call.status, 401);
    assert.equal((await send(port, '/api/events')).status, 401);
    assert.equal((await send(port, '/', { headers: { Authorization: 'Bearer nope' } })).status, 401);
    assert.equal((await send(port, '/?token=nope')).status, 401);
  });

  it('trades the token in the address for a strict HttpOnly cookie, then serves the page with a CSP', async () => {
    const first = await send(port, `/?token=${token}`);
    assert.equal(first.status, 303);
    assert.equal(first.headers.location, '/');
    const cookie = String(first.headers['set-cookie']);
    assert.match(
      cookie,
      new RegExp(`^tunnelgate_dashboard_${port}=${token}; HttpOnly; SameSite=Strict; Path=/`),
    );
    const page = await send(port, '/', { headers: { Cookie: cookie.split(';')[0] ?? '' } });
    assert.equal(page.status, 200);
    assert.match(page.body, /<title>Tunnelgate<\/title>/);
    assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
    assert.doesNotMatch(String(page.headers['content-security-policy']), /unsafe-inline/);
    const js = await send(port, '/assets/app.js', { headers: { Cookie: cookie.split(';')[0] ?? '' } });
    assert.equal(js.status, 200);
    assert.match(String(js.headers['content-type']), /javascript/);
  });

  it('refuses any Host but its own loopback name and port (DNS rebinding)', async () => {
    for (const host of [
      'evil.example:' + port,
      '127.0.0.1',
      `127.0.0.1:${port + 1}`,
      `localhost.evil.example:${port}`,
      `[::1]:${port}`,
    ]) {
      const r = await send(port, '/', { headers: { ...auth(), Host: host } });
      assert.equal(r.status, 403, `Host ${host}`);
    }
    assert.equal((await send(port, '/', { headers: { ...auth(), Host: `localhost:${port}` } })).status, 200);
  });

  it('refuses cross-site origins and non-JSON posts', async () => {
    assert.equal((await api('getStatus', [], { Origin: 'https://evil.example' })).status, 403);
    assert.equal((await api('getStatus', [], { Origin: `http://127.0.0.1:${port}` })).status, 200);
    const form = await send(port, '/api/getStatus', {
      method: 'POST',
      headers: { ...auth(), 'Content-Type': 'text/plain' },
      body: '[]',
    });
    assert.equal(form.status, 415);
  });

  it('calls contract methods with a JSON argument array', async () => {
    const status = await api('getStatus', []);
    assert.equal(status.status, 200);
    assert.equal(JSON.parse(status.body).result.gateway.localUrl, 'http://127.0.0.1:8740/mcp');
    const saved = await api('saveServer', ['everything', { command: 'npx', args: ['server-everything'] }]);
    assert.deepEqual(JSON.parse(saved.body), { result: null });
    assert.deepEqual(fakes.config.current.mcpServers.everything, {
      command: 'npx',
      args: ['server-everything'],
    });
    const bad = await api('saveServer', ['web', { url: 'htps:/x' }]);
    assert.equal(bad.status, 400);
    assert.match(JSON.parse(bad.body).error, /mcpServers\.web\.url: not a URL/);
    assert.equal((await api('close', [])).status, 404, 'only contract methods are callable');
    assert.equal((await api('constructor', [])).status, 404);
    assert.equal((await api('getStatus', { not: 'an array' })).status, 400);
    assert.equal((await send(port, '/api/getStatus', { headers: auth() })).status, 405);
    const big = await api('setSecret', ['x', 'y'.repeat(1100 * 1024)]);
    assert.equal(big.status, 413);
  });

  it('never serves files outside the renderer folder', async () => {
    for (const p of [
      '/../tg-outside.txt',
      '/%2e%2e/tg-outside.txt',
      '/assets/../../tg-outside.txt',
      '/nope.js',
    ]) {
      const r = await send(port, p, { headers: auth() });
      assert.equal(r.status, 404, p);
      assert.doesNotMatch(r.body, /outside/);
    }
  });

  it('streams status, servers, activity and approvals as server-sent events', async () => {
    const controller = new AbortController();
    const res = await fetch(`http://127.0.0.1:${port}/api/events`, {
      headers: auth(),
      signal: controller.signal,
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const waitFor = async (re: RegExp) => {
      const deadline = Date.now() + 5000;
      while (!re.test(text)) {
        if (Date.now() > deadline) throw new Error(`no ${re} in SSE stream: ${text}`);
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        text += value;
      }
    };
    await waitFor(/: connected/);
    fakes.activity.push({
      time: 1,
      kind: 'request',
      method: 'tools/call',
      target: 'memory__read_graph',
      outcome: 'ok',
    });
    await waitFor(/event: activity\ndata: \{[^\n]*"target":"memory__read_graph"/);
    fakes.tunnel.setState({ phase: 'ready', url: 'https://x.trycloudflare.com' });
    await waitFor(/event: status\ndata: \{[^\n]*"connectorUrl":"https:\/\/x\.trycloudflare\.com\/mcp"/);
    fakes.auth.pending.push({
      id: 'r9',
      pairingCode: 'QWE-RTY',
      clientId: 'c',
      clientName: 'ChatGPT',
      redirectHost: 'chatgpt.com',
      redirectUri: 'https://chatgpt.com/connector/oauth/abc',
      requestedScopes: [],
      createdAt: 1,
      expiresAt: 2,
    });
    await api('deny', ['nope']);
    await waitFor(/event: approvals\ndata: \[[^\n]*"pairingCode":"QWE-RTY"/);
    fakes.upstreams.changed();
    await waitFor(/event: servers\ndata: \[[^\n]*"name":"memory"/);
    controller.abort();
    await reader.cancel().catch(() => {});
  });

  it(
    'streams every event the contract lists (API_EVENTS), whatever its name',
    { timeout: 10_000 },
    async () => {
      // A service whose subscription methods hand each listener back to the test: every name in
      // API_EVENTS must be subscribed through its onX method and arrive under its own event name.
      const fired = new Map<string, (data: unknown) => void>();
      const probe = new Proxy(service, {
        get: (target, key, receiver) =>
          typeof key === 'string' && /^on[A-Z]/.test(key)
            ? (l: (data: unknown) => void) => (fired.set(key, l), () => fired.delete(key))
            : Reflect.get(target, key, receiver),
      });
      const other = createControlHttpListener({ service: probe, token, staticDir: dir });
      const { port: probePort } = await other.listen(0);
      const controller = new AbortController();
      try {
        const res = await fetch(`http://127.0.0.1:${probePort}/api/events`, {
          headers: auth(),
          signal: controller.signal,
        });
        const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
        let text = '';
        while (!text.includes(': connected')) text += (await reader.read()).value ?? '';
        assert.deepEqual([...fired.keys()].sort(), API_EVENTS.map((e) => subscriberOf(e)).sort());
        for (const event of API_EVENTS) {
          fired.get(subscriberOf(event))!({ probe: event });
          const expected = `event: ${event}\ndata: {"probe":"${event}"}\n\n`;
          while (!text.includes(expected)) text += (await reader.read()).value ?? '';
        }
        controller.abort();
        await reader.cancel().catch(() => {});
      } finally {
        await other.close();
      }
    },
  );

  it('serves the CLI through the HTTP client and the 0600 connection file', async () => {
    const data = await mkdtemp(join(tmpdir(), 'tg-data-'));
    try {
      const file = await writeControlConnection(data, { port, token, pid: process.pid });
      assert.equal((await stat(file)).mode & 0o777, 0o600);
      assert.deepEqual(await readControlConnection(data), { port, token, pid: process.pid });
      fakes.auth.pending.push({
        id: 'r10',
        pairingCode: 'ZZZ-111',
        clientId: 'c',
        clientName: 'mcp-remote',
        redirectHost: '127.0.0.1',
        redirectUri: 'http://127.0.0.1:5555/callback',
        requestedScopes: [],
        createdAt: 1,
        expiresAt: 2,
      });
      const client = await connectControlClient(data);
      assert.ok((await client.listApprovals()).some((p) => p.id === 'r10'));
      await client.approve('r10', ['mcp:read']);
      assert.deepEqual(fakes.auth.approved.at(-1), { id: 'r10', scopes: ['mcp:read'] });
      await assert.rejects(client.approve('r10', ['root']), /scopes must be/);
      await assert.rejects(
        createControlHttpClient({ port, token: 'wrong' }).listApprovals(),
        /refused the dashboard token/,
      );
      await removeControlConnection(data, process.pid + 1);
      await readControlConnection(data); // not ours to remove: still there
      await removeControlConnection(data);
      await assert.rejects(readControlConnection(data), /No running gateway found/);
    } finally {
      await rm(data, { recursive: true, force: true });
    }
  });

  it('says so when nothing listens', async () => {
    const spare = createControlHttpListener({ service, token, staticDir: dir });
    const { port: p } = await spare.listen(0);
    await spare.close();
    await assert.rejects(
      createControlHttpClient({ port: p, token }).getStatus(),
      /Is "tunnelgate serve" running\?/,
    );
  });
});
