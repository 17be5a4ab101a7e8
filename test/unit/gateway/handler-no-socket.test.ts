import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { Writable } from 'node:stream';
import { createGateway } from '../../../main/gateway/gateway.js';
import { FakeUpstream, FakeUpstreamSource } from '../../helpers/mcp-fake-upstream.js';
import { buildTestServer } from '../../helpers/mcp-test-server.js';

/** Drives the request listener with in-memory request/response objects: no port, no socket I/O. */
async function call(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  method: string,
  headers: Record<string, string>,
  body?: string,
) {
  const req = new IncomingMessage(new Socket());
  req.method = method;
  req.url = '/mcp';
  req.headers = headers;
  if (body !== undefined) req.push(body);
  req.push(null);
  const res = new ServerResponse(req);
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  res.assignSocket(sink as unknown as Socket);
  const finished = new Promise<void>((resolve) => res.on('finish', () => resolve()));
  handler(req, res);
  await finished;
  const raw = Buffer.concat(chunks).toString('utf8');
  const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
  const headersOut: Record<string, string> = {};
  for (const line of head.split('\r\n').slice(1))
    headersOut[line.slice(0, line.indexOf(':')).toLowerCase()] = line.slice(line.indexOf(':') + 1).trim();
  return { status: res.statusCode, headers: headersOut, body: raw.slice(head.length + 4) };
}

test('the request listener works without a socket: initialize, then a call on the session', async () => {
  const source = new FakeUpstreamSource();
  source.add(await new FakeUpstream('a', () => buildTestServer('a')).start());
  const gateway = createGateway({ upstreams: source });
  gateway.setPortForTesting(8740);
  const host = {
    host: '127.0.0.1:8740',
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
  };
  const init = await call(
    gateway.handler,
    'POST',
    host,
    JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
    }),
  );
  assert.equal(init.status, 200);
  const sid = String(init.headers['mcp-session-id']);
  assert.match(sid, /^[0-9a-f]{32}$/);
  assert.match(init.body, /"name":"tunnelgate"/);
  const echo = await call(
    gateway.handler,
    'POST',
    { ...host, 'mcp-session-id': sid },
    JSON.stringify({
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'a__echo', arguments: { text: 'no socket' } },
    }),
  );
  assert.match(echo.body, /"structuredContent":\{"echoed":"no socket"\}/);
  const wrongHost = await call(gateway.handler, 'POST', { ...host, host: 'evil.example' }, '{}');
  assert.equal(wrongHost.status, 403);
  await gateway.close();
});
