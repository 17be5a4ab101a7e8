import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StderrTail } from '../../../main/gateway/upstream/stderr-tail.js';
import { makeRedactor } from '../../../main/gateway/upstream/wire-transport.js';

test('keeps the last N lines, joins partial chunks', () => {
  const t = new StderrTail(3);
  t.write('one\ntw');
  t.write('o\nthree\nfour\nfi');
  assert.deepEqual(t.lines(), ['two', 'three', 'four', 'fi']);
});

test('summary picks the error line of a Node stack trace', () => {
  const t = new StderrTail(50);
  t.write(
    [
      'node:internal/modules/cjs/loader:1228',
      '  throw err;',
      '  ^',
      '',
      "Error: Cannot find module '/nope/index.js'",
      '    at Module._resolveFilename (node:internal/modules/cjs/loader:1225:15)',
      '{',
      "  code: 'MODULE_NOT_FOUND',",
      '}',
      '',
      'Node.js v20.20.2',
      '',
    ].join('\n'),
  );
  assert.equal(t.summary(), "Error: Cannot find module '/nope/index.js'");
});

test('summary falls back to the last meaningful line, or nothing when only errors are wanted', () => {
  const t = new StderrTail(50);
  t.write('starting\nlistening on stdio\n');
  assert.equal(t.summary(), 'listening on stdio');
  assert.equal(t.summary(true), undefined);
});

test('configured secret values are masked in captured stderr', () => {
  const t = new StderrTail(5, makeRedactor(['sk-live-123456', 'abc']));
  t.write('token=sk-live-123456 short=abc\n');
  assert.deepEqual(t.lines(), ['token=*** short=abc']);
});
