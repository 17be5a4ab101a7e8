import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRedactor, isSecretKey, REDACTED } from '../../../main/activity/index.js';
import { isSharedJson, shareJson } from '../../../main/common/json-text.js';

describe('redaction', () => {
  it('recognises credential keys in any case and spelling, but keeps protocol fields', () => {
    for (const k of [
      'Authorization',
      'token',
      'access_token',
      'Refresh_Token',
      'password',
      'secret',
      'api_key',
      'apiKey',
      'X-API-Key',
      'Cookie',
      'client_secret',
      'GITHUB_TOKEN',
    ])
      assert.equal(isSecretKey(k), true, k);
    for (const k of ['progressToken', 'maxTokens', 'name', 'path', 'nextCursor', 'description'])
      assert.equal(isSecretKey(k), false, k);
  });

  it('redacts values under credential keys at any depth', () => {
    const r = createRedactor();
    const out = r.redact({
      arguments: { query: 'cats', headers: { Authorization: 'Bearer abc', accept: 'json' } },
      _meta: { progressToken: 7 },
      list: [{ password: 'hunter2' }, { apikey: 'k' }],
    });
    assert.deepEqual(out, {
      arguments: { query: 'cats', headers: { Authorization: REDACTED, accept: 'json' } },
      _meta: { progressToken: 7 },
      list: [{ password: REDACTED }, { apikey: REDACTED }],
    });
  });

  it('redacts registered secret values wherever they appear, longest first', () => {
    const r = createRedactor();
    r.addSecretValues(['ghp_abcdefgh123', 'ghp_abcdefgh123XYZ', 'ab']);
    assert.deepEqual(
      r.redact({ text: 'token is ghp_abcdefgh123XYZ and ghp_abcdefgh123.', n: ['x ghp_abcdefgh123'] }),
      {
        text: `token is ${REDACTED} and ${REDACTED}.`,
        n: [`x ${REDACTED}`],
      },
    );
    // Too-short values are not registered (they would blank ordinary words).
    assert.equal(r.redactText('about'), 'about');
    assert.equal(r.redactText('Error: 401 for ghp_abcdefgh123'), `Error: 401 for ${REDACTED}`);
  });

  it('truncates long strings, big arrays, deep nesting and huge payloads with markers', () => {
    const r = createRedactor({ maxStringLength: 10, maxArrayItems: 3, maxDepth: 3, maxTotalChars: 200 });
    assert.equal(r.redact('0123456789abcdef'), '0123456789...[truncated 6 chars]');
    assert.deepEqual(r.redact([1, 2, 3, 4, 5]), [1, 2, 3, '[truncated 2 more items]']);
    assert.deepEqual(r.redact({ a: { b: { c: { d: 1 } } } }), {
      a: { b: { c: '[truncated: nested too deeply]' } },
    });
    const big = r.redact({
      items: Array.from({ length: 3 }, () => ({ s: 'x'.repeat(10), more: { t: 'y'.repeat(10) } })),
      tail: 'z'.repeat(10),
    });
    assert.ok(JSON.stringify(big).length < 400, JSON.stringify(big));
  });

  it('never leaves half a secret when cutting a string', () => {
    const r = createRedactor({ maxStringLength: 12 });
    r.addSecretValues(['supersecretvalue']);
    const out = r.redact('aaaa supersecretvalue bbbb') as string;
    assert.ok(!out.includes('supersec'), out);
  });

  it('redacts a shared value (the merged tool list) once per set of secrets, and shares the result', () => {
    const r = createRedactor();
    const list = shareJson({ tools: [{ name: 'a__x', description: 'uses sk_live_123456 inside' }] });
    const first = r.redactCapped(list);
    assert.equal(r.redactCapped(list), first, 'the same answer again is not walked again');
    assert.ok(isSharedJson(first.value), 'the redacted copy is final too (its JSON is cached)');
    assert.match(JSON.stringify(first.value), /sk_live_123456/);
    // A new secret value must show in the next event, not be hidden behind the cached copy.
    r.addSecretValues(['sk_live_123456']);
    const second = r.redactCapped(list);
    assert.notEqual(second, first);
    assert.deepEqual(second.value, { tools: [{ name: 'a__x', description: `uses ${REDACTED} inside` }] });
    // Values nobody marked are walked every time (they may be changed between events).
    const plain: Record<string, unknown> = { a: 1 };
    assert.deepEqual(r.redactCapped(plain).value, { a: 1 });
    plain['token'] = 'abc';
    assert.deepEqual(r.redactCapped(plain).value, { a: 1, token: REDACTED });
  });

  it('gives back a value redaction leaves as it is, not a copy', () => {
    const r = createRedactor();
    const args = { name: 'echo', arguments: { message: 'hi', n: [1, 2, { ok: true }], none: null } };
    assert.equal(r.redactCapped(args).value, args);
    assert.equal(r.redactCapped(args).truncated, false);
    r.addSecretValues(['hunter2-secret']);
    assert.equal(r.redactCapped(args).value, args, 'no registered secret in it');
    const withSecret = { arguments: { message: 'pw hunter2-secret' } };
    assert.notEqual(r.redactCapped(withSecret).value, withSecret);
    assert.deepEqual(
      withSecret,
      { arguments: { message: 'pw hunter2-secret' } },
      'the caller’s value is not changed',
    );
  });

  it('keeps a value as it is exactly when the walk would copy it unchanged (fuzzed at the limits)', () => {
    // The walk itself runs for shared values (redacted once): it is the reference for the same value
    // unmarked. Small, random limits so that the budget, string, key, item and depth caps are all met.
    let seed = 7;
    /** mulberry32: an LCG's low bits repeat too soon for `% n`. */
    const rand = (n: number): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return Math.floor((((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * n);
    };
    const words = [
      '',
      'a',
      'hello',
      'x'.repeat(8),
      'y'.repeat(13),
      's3cret-value',
      'a s3cret-value',
      'ünïcode',
    ];
    const keys = ['name', 'args', 'token', 'progressToken', 'k', 'a_long_key_name', 'password'];
    const make = (depth: number): unknown => {
      const kind = rand(depth >= 4 ? 3 : 6);
      if (kind === 0) return words[rand(words.length)];
      if (kind === 1) return rand(1000) - 10;
      if (kind === 2) return [null, true, false, undefined][rand(4)];
      if (kind === 3) return Array.from({ length: rand(5) }, () => make(depth + 1));
      const o: Record<string, unknown> = {};
      for (let i = rand(5); i > 0; i--) o[keys[rand(keys.length)]!] = make(depth + 1);
      return o;
    };
    let kept = 0;
    let changed = 0;
    for (let i = 0; i < 10_000; i++) {
      const r = createRedactor({
        maxStringLength: 1 + rand(20),
        maxTotalChars: 1 + rand(80),
        maxKeys: 1 + rand(4),
        maxArrayItems: 1 + rand(4),
        maxDepth: 1 + rand(4),
      });
      if (rand(2) === 1) r.addSecretValues(['s3cret-value']);
      const value = make(0);
      const fast = r.redactCapped(value);
      const walked = r.redactCapped(
        typeof value === 'object' && value !== null ? shareJson(structuredClone(value)) : value,
      );
      assert.equal(JSON.stringify(fast.value), JSON.stringify(walked.value), JSON.stringify(value));
      assert.equal(fast.truncated, walked.truncated, JSON.stringify(value));
      if (typeof value === 'object' && value !== null) {
        if (fast.value === value) kept++;
        else changed++;
      }
    }
    assert.ok(kept > 100 && changed > 100, `kept ${kept}, changed ${changed}: both paths are exercised`);
  });
});
