import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff, DEFAULT_BACKOFF } from '../../../main/gateway/upstream/backoff.js';
import { ManualClock } from '../../fixtures/manual-clock.js';

test('ceilings double from 0.5 s up to 30 s (random = 1 gives the ceiling)', () => {
  const b = new Backoff(DEFAULT_BACKOFF, new ManualClock(), () => 1);
  const delays = Array.from({ length: 9 }, () => b.next());
  assert.deepEqual(delays, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  assert.equal(b.failures, 9);
});

test('full jitter: the delay is random * ceiling', () => {
  const rolls = [0, 0.5, 0.25];
  const b = new Backoff(DEFAULT_BACKOFF, new ManualClock(), () => rolls.shift()!);
  assert.deepEqual([b.next(), b.next(), b.next()], [0, 500, 500]);
});

test('60 s healthy resets the sequence; a short healthy spell does not', () => {
  const clock = new ManualClock();
  const b = new Backoff(DEFAULT_BACKOFF, clock, () => 1);
  b.next();
  b.next();
  b.succeeded();
  clock.advance(59_000);
  assert.equal(b.next(), 2000, 'healthy for only 59 s: keeps growing');
  b.succeeded();
  clock.advance(60_000);
  assert.equal(b.next(), 500, 'healthy for 60 s: starts over');
});
