/**
 * The per-server log against real processes: a stdio fixture that writes to stderr, sends a log
 * message and crashes (test/fixtures/upstream/crashing-stdio-server.mjs), and server-everything's
 * simulated logging. The manager's store gets stderr (masked), log messages, status notes and the
 * crash with its exit code and stderr tail.
 */
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { createUpstreamManager, type UpstreamManager } from '../../../main/gateway/upstream/manager.js';
import type { ServerLogEntry } from '../../../main/gateway/upstream/server-log.js';
import { EVERYTHING } from './helpers.js';

const CRASHY = resolve(import.meta.dirname, '../../fixtures/upstream/crashing-stdio-server.mjs');
const TOKEN = 'sk-test-9f8e7d6c5b4a';
const fast = { stdinGraceMs: 300, termGraceMs: 1000 };

/** Resolves with the first entry (new or already logged) of `server` that matches. */
function nextEntry(
  m: UpstreamManager,
  server: string,
  match: (e: ServerLogEntry) => boolean,
): Promise<ServerLogEntry> {
  return new Promise((done) => {
    const found = m.logs.view(server).entries.find(match);
    if (found) return done(found);
    const off = m.logs.subscribe((e) => {
      if (e.server === server && match(e)) {
        off();
        done(e);
      }
    });
  });
}

test('stderr lines and log messages arrive masked; a crash leaves its exit code and stderr tail', async () => {
  // A long first backoff: the crashed server stays down while we look at its log.
  const m = createUpstreamManager({ shutdown: fast, backoff: { baseMs: 60_000 } });
  try {
    await m.apply({
      crashy: {
        command: process.execPath,
        args: [CRASHY],
        env: { CRASHY_TOKEN: TOKEN, CRASHY_EXIT_CODE: '7' },
      },
    });
    assert.equal(m.get('crashy')!.state().status, 'ready');
    await nextEntry(m, 'crashy', (e) => e.kind === 'stderr' && e.text.startsWith('crashy: using token'));
    let texts = m.logs.view('crashy').entries.map((e) => `${e.kind}:${e.text}`);
    assert.ok(texts.includes('stderr:crashy: using token ***'), texts.join('\n'));
    assert.ok(texts.includes('gateway:starting'));
    assert.ok(texts.some((t) => t.startsWith('gateway:ready (crashy 1.0.0')));

    await m.get('crashy')!.request('tools/call', { name: 'log', arguments: {} });
    const message = await nextEntry(m, 'crashy', (e) => e.kind === 'message');
    assert.equal(message.level, 'warning');
    assert.equal(message.logger, 'crashy');
    assert.equal(message.text, '{"note":"disk almost full","token":"***"}');

    const exit = nextEntry(m, 'crashy', (e) => e.kind === 'exit');
    await assert.rejects(m.get('crashy')!.request('tools/call', { name: 'crash', arguments: {} }));
    const crash = await exit;
    assert.equal(crash.text, 'crashed: exit code 7');
    assert.equal(crash.level, 'error');
    assert.equal(crash.exit?.code, 7);
    assert.equal(crash.exit?.signal, null);
    assert.deepEqual(crash.exit?.tail.slice(-3), [
      'crashy: about to fail',
      'Error: boom (token ***)',
      '    at crash (crashy.mjs:1:1)',
    ]);
    const view = m.logs.view('crashy');
    assert.deepEqual(view.lastCrash, crash.exit);
    // The supervisor's note follows the crash.
    await nextEntry(m, 'crashy', (e) => e.kind === 'gateway' && /restarting in \d+ s$/.test(e.text));
    texts = m.logs.view('crashy').entries.map((e) => e.text);
    assert.ok(!JSON.stringify(m.logs.view('crashy')).includes(TOKEN), 'the secret never reaches the log');
    assert.ok(texts.indexOf('crashed: exit code 7') < texts.findIndex((t) => t.includes('restarting in')));
  } finally {
    await m.close();
  }
  assert.deepEqual(m.logs.view('crashy').entries, [], 'a removed server’s log is dropped');
});

test('server-everything: its stderr banner and its simulated log messages, with their levels', async () => {
  const m = createUpstreamManager({ shutdown: fast });
  try {
    await m.apply({ everything: { command: process.execPath, args: [EVERYTHING, 'stdio'] } });
    await nextEntry(
      m,
      'everything',
      (e) => e.kind === 'stderr' && /Starting default \(STDIO\) server/.test(e.text),
    );
    await m.get('everything')!.request('tools/call', { name: 'toggle-simulated-logging', arguments: {} });
    const msg = await nextEntry(m, 'everything', (e) => e.kind === 'message');
    assert.match(msg.text, /^(Debug|Info|Notice|Warning|Error|Critical|Alert|Emergency)[- ]level/i);
    assert.ok(msg.level, 'the level is kept');
  } finally {
    await m.close();
  }
});

test('a process killed by a signal: the signal is named, with what it wrote before', async () => {
  const m = createUpstreamManager({ shutdown: fast, backoff: { baseMs: 60_000 } });
  try {
    await m.apply({ crashy: { command: process.execPath, args: [CRASHY], env: { CRASHY_TOKEN: TOKEN } } });
    await nextEntry(m, 'crashy', (e) => e.kind === 'stderr' && e.text.startsWith('crashy: using token'));
    const exit = nextEntry(m, 'crashy', (e) => e.kind === 'exit');
    process.kill(m.get('crashy')!.pid!, 'SIGKILL');
    const crash = await exit;
    assert.equal(crash.text, 'crashed: killed by signal SIGKILL');
    assert.deepEqual(
      { code: crash.exit?.code, signal: crash.exit?.signal },
      { code: null, signal: 'SIGKILL' },
    );
    assert.ok(crash.exit?.tail.includes('crashy: using token ***'));
  } finally {
    await m.close();
  }
});
