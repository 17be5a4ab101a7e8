import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configSchema } from '../../../main/config/schema.js';
import {
  filterResponseHeaders,
  parseResponseTimeout,
  parseRetryAfter,
  serverInfoHeader,
} from '../../../main/tunnel/openai-wire.js';
import { checkServerInfo } from '../../fixtures/openai-control-plane/contract-checks.js';

describe('response_timeout (protocol.md "Response timeout")', () => {
  it('reads one non-negative integer and one unit', () => {
    assert.equal(parseResponseTimeout('30s'), 30_000);
    assert.equal(parseResponseTimeout('4500ms'), 4500);
    assert.equal(parseResponseTimeout('0s'), 0, 'a valid zero: already expired');
    assert.equal(parseResponseTimeout('2m'), 120_000);
    assert.equal(parseResponseTimeout('1h'), 3_600_000);
    assert.equal(parseResponseTimeout('1500us'), 1.5);
    assert.equal(parseResponseTimeout('2000000ns'), 2);
  });
  it('fails open (no deadline) on everything the grammar rejects', () => {
    for (const v of [
      undefined,
      null,
      30,
      '4.5s',
      '-1s',
      '+1s',
      '1m30s',
      ' 1s',
      '1s ',
      '1e3s',
      '30d',
      '30S',
      '',
      's',
      '999999999999999999999999h',
    ])
      assert.equal(parseResponseTimeout(v), undefined, JSON.stringify(v));
  });
});

describe('X-Tunnel-MCP-Server-Info', () => {
  it('v1 when nothing is stateless, v2 when a channel is; false values omitted, canonical order', () => {
    assert.equal(serverInfoHeader([{ name: 'main' }]), '{"version":1,"channels":[{"name":"main"}]}');
    assert.equal(
      serverInfoHeader([{ name: 'main', procAffinity: true }]),
      '{"version":1,"channels":[{"name":"main","proc_affinity":true}]}',
    );
    const v2 = serverInfoHeader([{ name: 'main', stateless: true, procAffinity: true }]);
    assert.equal(v2, '{"version":2,"channels":[{"name":"main","stateless":true,"proc_affinity":true}]}');
    assert.deepEqual(checkServerInfo(v2), []);
  });
  it('refuses duplicate, invalid and over-limit declarations before sending', () => {
    assert.throws(() => serverInfoHeader([{ name: 'main' }, { name: 'main' }]), /duplicate/);
    assert.throws(() => serverInfoHeader([{ name: 'Main!' }]), /bad channel name/);
    assert.throws(() => serverInfoHeader([]), /1 to 32/);
    assert.throws(
      () => serverInfoHeader(Array.from({ length: 33 }, (_, i) => ({ name: `c${i}` }))),
      /1 to 32/,
    );
  });
});

describe('resp_headers allowlist', () => {
  it('keeps only the protocol headers, drops Connection and what it names, and empty values', () => {
    const out = filterResponseHeaders({
      'content-type': 'application/json',
      'mcp-session-id': 'abc',
      'mcp-protocol-version': '',
      connection: 'keep-alive, WWW-Authenticate',
      'www-authenticate': 'Bearer',
      'set-cookie': ['a=b'],
      'x-powered-by': 'node',
    });
    assert.deepEqual(out, { 'Content-Type': ['application/json'], 'Mcp-Session-Id': ['abc'] });
  });
});

describe('Retry-After', () => {
  const now = Date.parse('2026-12-01T12:00:00Z');
  it('delta-seconds and HTTP-date, capped; malformed, negative and past values ignored', () => {
    assert.equal(parseRetryAfter('5', now, 60_000), 5000);
    assert.equal(parseRetryAfter('Tue, 01 Dec 2026 12:00:30 GMT', now, 60_000), 30_000);
    assert.equal(parseRetryAfter('86400', now, 60_000), 60_000);
    for (const v of [null, '-3', 'soon', 'Tue, 01 Dec 2026 11:00:00 GMT', '1.5', '0'])
      assert.equal(parseRetryAfter(v, now, 60_000), undefined, String(v));
  });
});

describe('config: tunnel.mode "openai"', () => {
  it('needs a tunnel id of the right shape, and takes apiKeySecret and readOnly', () => {
    const ok = configSchema.safeParse({
      tunnel: { mode: 'openai', tunnelId: 'tunnel_abc', apiKeySecret: 'my-key', readOnly: true },
    });
    assert.equal(ok.success, true);
    const missing = configSchema.safeParse({ tunnel: { mode: 'openai' } });
    assert.equal(missing.success, false);
    assert.match(JSON.stringify(missing.error?.issues), /tunnelId.*required when tunnel.mode is 'openai'/);
    const bad = configSchema.safeParse({ tunnel: { mode: 'openai', tunnelId: 'https://x' } });
    assert.equal(bad.success, false);
  });
});
