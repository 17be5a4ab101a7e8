import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  logMessageEntry,
  ServerLogStore,
  statusNote,
  type ServerLogEntry,
} from '../../../main/gateway/upstream/server-log.js';
import { createRedactor } from '../../../main/activity/redact.js';
import { StderrTail } from '../../../main/gateway/upstream/stderr-tail.js';
import { makeRedactor } from '../../../main/gateway/upstream/wire-transport.js';
import { ManualClock } from '../../fixtures/manual-clock.js';

test('keeps the last N entries per server, counts what it dropped, numbers entries across servers', () => {
  const store = new ServerLogStore({ maxEntries: 3 });
  for (let i = 1; i <= 5; i++) store.add('a', { kind: 'stderr', text: `a${i}` });
  store.add('b', { kind: 'stderr', text: 'b1' });
  const a = store.view('a');
  assert.deepEqual(
    a.entries.map((e) => e.text),
    ['a3', 'a4', 'a5'],
  );
  assert.equal(a.dropped, 2);
  assert.deepEqual(
    a.entries.map((e) => e.seq),
    [3, 4, 5],
  );
  assert.deepEqual(store.view('b').entries[0]?.seq, 6);
  assert.deepEqual(store.view('never'), { server: 'never', entries: [], dropped: 0 });
});

test('long texts and crash tails are cut to their bounds', () => {
  const store = new ServerLogStore({ maxEntries: 10, maxTextChars: 5, maxTailLines: 2 });
  const e = store.add('a', { kind: 'stderr', text: 'abcdefghij' });
  assert.equal(e.text, 'abcde…');
  store.add('a', {
    kind: 'exit',
    level: 'error',
    text: 'crashed: exit code 1',
    exit: { at: 0, code: 1, signal: null, tail: ['one', 'two', 'three-long-line'] },
  });
  assert.deepEqual(store.view('a').lastCrash?.tail, ['two', 'three…']);
});

test('the last crash outlives the entries that push it out of the ring, with the clock time', () => {
  const clock = new ManualClock(5000);
  const store = new ServerLogStore({ maxEntries: 2, clock });
  store.add('a', {
    kind: 'exit',
    level: 'error',
    text: 'crashed: killed by signal SIGKILL',
    exit: { at: 0, code: null, signal: 'SIGKILL', tail: ['last words'] },
  });
  clock.advance(10);
  store.add('a', { kind: 'gateway', level: 'info', text: 'starting' });
  store.add('a', { kind: 'gateway', level: 'info', text: 'ready' });
  const v = store.view('a');
  assert.ok(v.entries.every((e) => e.kind !== 'exit'));
  assert.deepEqual(v.lastCrash, { at: 5000, code: null, signal: 'SIGKILL', tail: ['last words'] });
});

test('forget drops a server; listeners get each entry; a throwing listener does not stop the others', () => {
  const store = new ServerLogStore();
  const seen: ServerLogEntry[] = [];
  store.subscribe(() => {
    throw new Error('window gone');
  });
  const off = store.subscribe((e) => seen.push(e));
  store.add('a', { kind: 'stderr', text: 'x' });
  off();
  store.add('a', { kind: 'stderr', text: 'y' });
  assert.deepEqual(
    seen.map((e) => [e.server, e.text]),
    [['a', 'x']],
  );
  store.forget('a');
  assert.deepEqual(store.view('a').entries, []);
  assert.deepEqual(store.servers(), []);
});

test('a log message keeps its level and logger; data becomes text; configured secrets are masked', () => {
  const redact = makeRedactor(['sk-live-123456']);
  assert.deepEqual(
    logMessageEntry(
      { level: 'warning', logger: 'db', data: { note: 'full', token: 'sk-live-123456' } },
      redact,
    ),
    { kind: 'message', level: 'warning', logger: 'db', text: '{"note":"full","token":"***"}' },
  );
  assert.deepEqual(logMessageEntry({ level: 'loud', data: 'plain sk-live-123456' }, redact), {
    kind: 'message',
    text: 'plain ***',
  });
  assert.deepEqual(logMessageEntry(undefined, redact), { kind: 'message', text: '' });
});

test('stderr lines reach the live log masked, as the tail keeps them', () => {
  const lines: string[] = [];
  const tail = new StderrTail(5, makeRedactor(['sk-live-123456']), (l) => lines.push(l));
  tail.write('token=sk-live-123456\npart');
  assert.deepEqual(lines, ['token=***']);
  tail.write('ial\n');
  assert.deepEqual(lines, ['token=***', 'partial']);
});

test('status notes say what happened in words', () => {
  const base = { name: 'a', transport: 'stdio' as const, since: 0, restarts: 1 };
  assert.deepEqual(statusNote({ ...base, status: 'starting' }, 0), {
    kind: 'gateway',
    level: 'info',
    text: 'starting',
  });
  assert.equal(
    statusNote(
      { ...base, status: 'ready', serverInfo: { name: 'ev', version: '2' }, protocolVersion: '2025-11-25' },
      0,
    )?.text,
    'ready (ev 2, protocol 2025-11-25)',
  );
  assert.deepEqual(
    statusNote(
      { ...base, status: 'restarting', error: "Upstream 'a' exited with code 3", nextRetryAt: 2600 },
      1000,
    ),
    { kind: 'gateway', level: 'warning', text: "Upstream 'a' exited with code 3; restarting in 2 s" },
  );
  assert.equal(statusNote({ ...base, status: 'failed', error: 'gave up' }, 0)?.level, 'error');
});

test('keychain values are masked wherever they appear: in text and in a crash tail, before any cut', () => {
  const redactor = createRedactor();
  redactor.addSecretValues(['ARGSECRET_abc123XYZ']);
  const store = new ServerLogStore({ maxTextChars: 30, mask: (t) => redactor.redactText(t) });
  const e = store.add('leak', { kind: 'stderr', text: 'arg token: ARGSECRET_abc123XYZ' });
  assert.doesNotMatch(e.text, /ARGSECRET/);
  // A cut in the middle of the value must not leave its start behind either.
  const cut = store.add('leak', { kind: 'stderr', text: `${'x'.repeat(20)} ARGSECRET_abc123XYZ` });
  assert.doesNotMatch(cut.text, /ARGSEC/);
  store.add('leak', {
    kind: 'exit',
    level: 'error',
    text: 'crashed: exit code 1',
    exit: { at: 0, code: 1, signal: null, tail: ['Bearer ARGSECRET_abc123XYZ'] },
  });
  assert.doesNotMatch(JSON.stringify(store.view('leak')), /ARGSECRET/);
});
