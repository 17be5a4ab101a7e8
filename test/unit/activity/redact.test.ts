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
    const plain = { a: 1 };
    assert.notEqual(r.redactCapped(plain).value, r.redactCapped(plain).value);
  });
});
