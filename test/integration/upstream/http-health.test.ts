import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createUpstream } from '../../../main/gateway/upstream/connection.js';
import { startHttpFixture } from '../../fixtures/upstream/http-fixture.js';
import { until } from './helpers.js';

test('http health check: an idle upstream whose server went away is noticed without any call', async () => {
  const srv = await startHttpFixture({ noGetStream: true });
  const up = createUpstream({ name: 'idle', kind: 'http', config: { url: srv.url } }, { healthCheckMs: 150 });
  try {
    await up.start();
    await until(() => srv.requests.some((r) => r.rpcMethod === 'ping'), 5000, 'a ping');
    assert.equal(up.state().status, 'ready', 'a server that answers ping stays ready');
    await srv.close();
    await until(() => up.state().status === 'failed', 5000, 'noticed');
    // Refused, or cut mid-ping and then silent: either way it is declared down without any call.
    assert.match(
      up.state().error!,
      /^Upstream 'idle' (is unreachable at http:\/\/127\.0\.0\.1:\d+\/mcp|did not answer a health-check ping)/,
    );
  } finally {
    await up.close();
    await srv.close().catch(() => {});
  }
});

test('http health check: a server that accepts but never answers is declared down', async () => {
  const srv = await startHttpFixture({ noGetStream: true });
  const up = createUpstream({ name: 'hung', kind: 'http', config: { url: srv.url } }, { healthCheckMs: 150 });
  try {
    await up.start();
    srv.freeze();
    await until(() => up.state().status === 'failed', 5000, 'declared down');
    assert.equal(up.state().error, "Upstream 'hung' did not answer a health-check ping within 150 ms");
  } finally {
    await up.close();
    await srv.close();
  }
});
