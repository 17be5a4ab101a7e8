// POST SSE streams carry event ids and (2025-11-25) a priming event, and a client whose connection
// drops resumes the stream with GET + Last-Event-ID (Streamable HTTP 2025-11-25, "Resumability and
// Redelivery"). Driven by a raw client, so every byte on the wire is the gateway's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rawInitialize, startFakeGateway } from '../../helpers/mcp-gateway-fixture.js';

interface SseEvent {
  id?: string;
  data: string;
  retry?: string;
}

/** Reads SSE events from a fetch body as they arrive; `next()` resolves with the next one (or undefined at the end). */
function sseReader(body: ReadableStream<Uint8Array>) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  return {
    async next(): Promise<SseEvent | undefined> {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (block.split('\n').every((l) => l.startsWith(':'))) continue; // keep-alive comment
          const ev: SseEvent = { data: '' };
          for (const line of block.split('\n')) {
            const i = line.indexOf(': ');
            const [field, value] =
              i < 0 ? [line.replace(/:$/, ''), ''] : [line.slice(0, i), line.slice(i + 2)];
            if (field === 'id') ev.id = value;
            else if (field === 'data') ev.data += value;
            else if (field === 'retry') ev.retry = value;
          }
          return ev;
        }
        const { value, done } = await reader.read();
        if (done) return undefined;
        buffer += decoder.decode(value, { stream: true });
      }
    },
    cancel: () => reader.cancel().catch(() => {}),
  };
}

async function postSlowCall(
  url: URL,
  sessionId: string,
  version: string,
  steps: number,
  signal: AbortSignal,
) {
  const res = await fetch(url, {
    method: 'POST',
    signal,
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-session-id': sessionId,
      'mcp-protocol-version': version,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 42,
      method: 'tools/call',
      params: { name: 'a__slow', arguments: { steps, delayMs: 15 }, _meta: { progressToken: 'tok' } },
    }),
  });
  assert.equal(res.headers.get('content-type'), 'text/event-stream');
  return sseReader(res.body!);
}

const progressOf = (e: SseEvent): number | undefined => {
  const msg = JSON.parse(e.data) as { method?: string; params?: { progress?: number } };
  return msg.method === 'notifications/progress' ? msg.params?.progress : undefined;
};

test('2025-11-25: a POST stream starts with a priming event, and a dropped stream resumes with Last-Event-ID', async (t) => {
  const fx = await startFakeGateway();
  t.after(() => fx.gateway.close());
  const { sessionId } = await rawInitialize(fx.url, '2025-11-25');
  const ac = new AbortController();
  const steps = 30;
  const first = await postSlowCall(fx.url, sessionId, '2025-11-25', steps, ac.signal);

  const priming = await first.next();
  assert.ok(priming?.id !== undefined && /^p\d+-0$/.test(priming.id), `priming id ${priming?.id}`);
  assert.equal(priming.data, '', 'the priming event has empty data');
  assert.equal(priming.retry, '1000');

  const seen: SseEvent[] = [];
  while (seen.length < 2) seen.push((await first.next())!);
  assert.deepEqual(seen.map(progressOf), [1, 2]);
  const stream = priming.id.split('-')[0]!;
  assert.deepEqual(
    seen.map((e) => e.id),
    [`${stream}-1`, `${stream}-2`],
    'each event has the next id of its stream',
  );
  ac.abort(); // the connection drops (a tunnel hiccup): the call goes on

  const resumed = await fetch(fx.url, {
    headers: {
      accept: 'text/event-stream',
      'mcp-session-id': sessionId,
      'mcp-protocol-version': '2025-11-25',
      'last-event-id': seen[1]!.id!,
    },
  });
  assert.equal(resumed.status, 200);
  const rest = sseReader(resumed.body!);
  const after: SseEvent[] = [];
  for (let e = await rest.next(); e !== undefined; e = await rest.next()) after.push(e);
  const last = JSON.parse(after.at(-1)!.data) as { id?: number; result?: { content: { text: string }[] } };
  assert.equal(last.id, 42, 'the answer comes on the resumed stream, and the stream ends');
  assert.equal(last.result?.content[0]?.text, `done after ${steps} steps`);
  const progress = after.slice(0, -1).map(progressOf);
  assert.deepEqual(
    progress,
    Array.from({ length: steps - 2 }, (_, i) => i + 3),
    'every event after Last-Event-ID once, none before it',
  );
  assert.deepEqual(
    after.map((e) => e.id),
    after.map((_, i) => `${stream}-${i + 3}`),
  );
  assert.ok(
    !fx.a.sent.some((m) => m['method'] === 'notifications/cancelled'),
    'a dropped connection is not a cancellation',
  );

  // The same Last-Event-ID again, after the answer: replayed from the log, then closed.
  const again = await fetch(fx.url, {
    headers: {
      accept: 'text/event-stream',
      'mcp-session-id': sessionId,
      'last-event-id': `${stream}-${steps}`,
    },
  });
  const replay = sseReader(again.body!);
  const tail = await replay.next();
  assert.equal((JSON.parse(tail!.data) as { id?: number }).id, 42);
  assert.equal(await replay.next(), undefined);
});

test('a dropped stream is cancelled upstream only when nobody resumes it within the grace period', async (t) => {
  const fx = await startFakeGateway({ resumeGraceMs: 2000 });
  t.after(() => fx.gateway.close());
  const { sessionId } = await rawInitialize(fx.url, '2025-11-25');
  const ac = new AbortController();
  const reader = await postSlowCall(fx.url, sessionId, '2025-11-25', 2000, ac.signal);
  await reader.next(); // priming
  const seen = (await reader.next())!;
  ac.abort();
  // Resumed within the grace period: the call is still running and goes on streaming here.
  const ac2 = new AbortController();
  const resumed = await fetch(fx.url, {
    signal: ac2.signal,
    headers: { accept: 'text/event-stream', 'mcp-session-id': sessionId, 'last-event-id': seen.id! },
  });
  const next = await sseReader(resumed.body!).next();
  assert.equal(progressOf(next!), progressOf(seen)! + 1, 'the call went on after the first drop');
  const cancelled = (): boolean => fx.a.sent.some((m) => m['method'] === 'notifications/cancelled');
  assert.equal(cancelled(), false);
  ac2.abort(); // dropped again, and this time nobody comes back
  for (let i = 0; i < 1000 && !cancelled(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cancelled(), 'upstream told to cancel once the grace period passed');
});

test('2025-06-18: events carry ids, and no empty priming event is sent to an older client', async (t) => {
  const fx = await startFakeGateway();
  t.after(() => fx.gateway.close());
  const { sessionId } = await rawInitialize(fx.url, '2025-06-18');
  const reader = await postSlowCall(fx.url, sessionId, '2025-06-18', 3, new AbortController().signal);
  const events: SseEvent[] = [];
  for (let e = await reader.next(); e !== undefined; e = await reader.next()) events.push(e);
  assert.ok(
    events.every((e) => e.data !== ''),
    'no empty-data event',
  );
  assert.equal(events.length, 4);
  assert.ok(
    events.every((e, i) => e.id?.endsWith(`-${i + 1}`)),
    events.map((e) => e.id).join(' '),
  );
});

test('a finished stream is replayed within the grace period, and let go after it', async (t) => {
  // A grace period long enough that a slow machine reaches the first resume well within it.
  const fx = await startFakeGateway({ resumeGraceMs: 2000 });
  t.after(() => fx.gateway.close());
  const { sessionId } = await rawInitialize(fx.url, '2025-11-25');
  const steps = 2;
  const reader = await postSlowCall(fx.url, sessionId, '2025-11-25', steps, new AbortController().signal);
  const stream = (await reader.next())!.id!.split('-')[0]!;
  while ((await reader.next()) !== undefined); // to the answer and the end of the stream
  const resume = async (): Promise<SseEvent[]> => {
    const ac = new AbortController();
    const res = await fetch(fx.url, {
      signal: ac.signal,
      headers: {
        accept: 'text/event-stream',
        'mcp-session-id': sessionId,
        'last-event-id': `${stream}-${steps}`,
      },
    });
    const events = sseReader(res.body!);
    const out: SseEvent[] = [];
    // A replay ends by itself; the session's own GET stream (no log to resume) stays open.
    const stop = setTimeout(() => ac.abort(), 500);
    try {
      for (let e = await events.next(); e !== undefined; e = await events.next()) out.push(e);
    } catch {
      // aborted: the GET stream did not end
    } finally {
      clearTimeout(stop);
    }
    return out;
  };
  const answered = (events: SseEvent[]): boolean =>
    events.some((e) => e.data !== '' && (JSON.parse(e.data) as { id?: number }).id === 42);
  assert.ok(answered(await resume()), 'replayed within the grace period');
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal(answered(await resume()), false, 'the log was let go after the grace period');
});
