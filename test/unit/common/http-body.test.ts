// readBody on a real node:http server, fed by a raw socket so that what arrives in one read is known.
// A body whose declared length came with the headers (an MCP call's) is taken at the first tick, before
// Node reports the message complete (issue 16: that body is on its way to an upstream); a body that
// comes in parts, one without a length, and the limits still work, and the connection stays usable.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { test } from 'node:test';
import { readBody, type BodyResult } from '../../../main/common/http-body.js';

interface Seen {
  result: BodyResult;
  /** Whether the request had emitted 'end' when readBody resolved. */
  endedFirst: boolean;
}

async function serve(limit: number) {
  const seen: Seen[] = [];
  let arrived: (() => void) | undefined;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    arrived?.();
    let ended = false;
    req.once('end', () => (ended = true));
    void readBody(req, limit).then((result) => {
      seen.push({ result, endedFirst: ended });
      res.end(JSON.stringify(result));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    seen,
    port,
    /** Resolves when the server's handler has the next request (its headers). */
    nextRequest: () => new Promise<void>((r) => (arrived = r)),
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(r));
    },
  };
}

/** Reads HTTP answers off a raw socket: resolves with the next complete one's body. */
function answers(socket: Socket): () => Promise<string> {
  let buf = Buffer.alloc(0);
  const waiting: ((body: string) => void)[] = [];
  socket.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    for (;;) {
      const head = buf.indexOf('\r\n\r\n');
      const len = head < 0 ? null : /content-length: (\d+)/i.exec(buf.subarray(0, head).toString());
      const end = head + 4 + Number(len?.[1]);
      if (!len || buf.length < end) return;
      const body = buf.subarray(head + 4, end).toString('utf8');
      buf = buf.subarray(end);
      waiting.shift()?.(body);
    }
  });
  return () => new Promise((r) => waiting.push(r));
}

const post = (body: string, headers = `Content-Length: ${Buffer.byteLength(body)}\r\n`): string =>
  `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${headers}\r\n${body}`;

test('a body that came with its headers is read before the request ends; the connection is kept', async () => {
  const srv = await serve(1000);
  const socket = connect(srv.port, '127.0.0.1');
  const next = answers(socket);
  try {
    for (const body of ['{"jsonrpc":"2.0","id":1,"method":"ping"}', '{"é":"ü"}', '']) {
      const answer = next();
      socket.write(post(body));
      assert.deepEqual(JSON.parse(await answer), { ok: true, text: body, bytes: Buffer.byteLength(body) });
    }
    // (An empty body has no data to wait for: Node ends it at once, either way.)
    assert.deepEqual(
      srv.seen.slice(0, 2).map((s) => s.endedFirst),
      [false, false],
      'taken at the first tick, not after the message completed',
    );
  } finally {
    socket.destroy();
    await srv.close();
  }
});

test('a body in parts, a chunked body and one over the limit are read as they arrive', async () => {
  const srv = await serve(20);
  const socket = connect(srv.port, '127.0.0.1');
  const next = answers(socket);
  try {
    let answer = next();
    const held = srv.nextRequest();
    socket.write(post('{"a":', 'Content-Length: 8\r\n'));
    await held;
    socket.write('12}');
    assert.deepEqual(JSON.parse(await answer), { ok: true, text: '{"a":12}', bytes: 8 });

    answer = next();
    socket.write(post('3\r\n{"b\r\n4\r\n":2}\r\n0\r\n\r\n', 'Transfer-Encoding: chunked\r\n'));
    assert.deepEqual(JSON.parse(await answer), { ok: true, text: '{"b":2}', bytes: 7 });

    for (const [body, headers] of [
      ['x'.repeat(30), 'Content-Length: 30\r\n'],
      [`1e\r\n${'x'.repeat(30)}\r\n0\r\n\r\n`, 'Transfer-Encoding: chunked\r\n'],
    ]) {
      answer = next();
      socket.write(post(body!, headers));
      assert.deepEqual(JSON.parse(await answer), { ok: false, reason: 'too-large' });
    }
  } finally {
    socket.destroy();
    await srv.close();
  }
});
