import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { createConcurrencyCap } from '../../../main/gateway/front/concurrency-cap.js';
import { createRateLimiter } from '../../../main/auth/rate-limiter.js';
import { createTestClock } from '../../fixtures/auth/auth-harness.js';

describe('rate limiter', () => {
  it('allows `limit` events per window per key, refills over time, and says how long to wait', () => {
    const clock = createTestClock(0);
    const rl = createRateLimiter({ limit: 2, windowMs: 60_000, clock });
    assert.equal(rl.take('a'), 0);
    assert.equal(rl.take('a'), 0);
    assert.equal(rl.take('a'), 30);
    assert.equal(rl.take('b'), 0, 'keys are independent');
    clock.advance(30_000);
    assert.equal(rl.retryAfter('a'), 0);
    assert.equal(rl.take('a'), 0);
    assert.ok(rl.take('a') > 0);
  });
  it('bounds the number of keys it remembers', () => {
    const rl = createRateLimiter({ limit: 1, windowMs: 60_000, clock: createTestClock(0), maxKeys: 10 });
    for (let i = 0; i < 100; i++) rl.take(`k${i}`);
    assert.equal(rl.take('k99'), 60, 'recent key still limited');
  });
});

describe('concurrency cap', () => {
  it('tryEnter counts slots and release is idempotent', () => {
    const cap = createConcurrencyCap({ max: 2 });
    const a = cap.tryEnter()!;
    const b = cap.tryEnter()!;
    assert.equal(cap.tryEnter(), null);
    a();
    a();
    assert.equal(cap.inFlight(), 1);
    assert.ok(cap.tryEnter());
    b();
  });
  it('defaults below the quick tunnel limit of 200', () => {
    assert.ok(createConcurrencyCap().max < 200);
  });
  it('guard answers 503 with Retry-After over real HTTP when full, and frees slots when responses end', async () => {
    const cap = createConcurrencyCap({ max: 2, retryAfterSeconds: 3 });
    const held: (() => void)[] = [];
    const server = createServer((req, res) => {
      if (!cap.guard(res)) return;
      held.push(() => res.end('done'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const first = [fetch(base), fetch(base)];
      while (held.length < 2) await new Promise((r) => setTimeout(r, 10));
      const third = await fetch(base);
      assert.equal(third.status, 503);
      assert.equal(third.headers.get('retry-after'), '3');
      for (const h of held.splice(0)) h();
      await Promise.all(first);
      assert.equal(cap.inFlight(), 0);
      const again = fetch(base);
      while (held.length < 1) await new Promise((r) => setTimeout(r, 10));
      held.pop()!();
      assert.equal((await again).status, 200);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
