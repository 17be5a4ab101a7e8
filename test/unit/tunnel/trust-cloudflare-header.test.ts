import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { trustsCloudflareHeader } from '../../../main/bootstrap-ports.js';
import type { TunnelState } from '../../../main/tunnel/tunnel-state.js';

const state = (edit: Partial<TunnelState>): TunnelState => ({
  mode: 'quick',
  phase: 'ready',
  url: 'https://abc.trycloudflare.com',
  reachable: 'yes',
  ...edit,
});

// Cf-Connecting-Ip names the caller only when Cloudflare's edge wrote it. Behind the user's own proxy
// (--public-url) a client writes it, and trusting it would let one sender pose as many addresses.
describe('trustsCloudflareHeader', () => {
  it('without --public-url only cloudflared forwards to the public listener: trusted', () => {
    assert.equal(trustsCloudflareHeader(false, undefined), true);
  });

  it('with --public-url: trusted only while a Cloudflare tunnel is up', () => {
    assert.equal(trustsCloudflareHeader(true, undefined), false, 'no tunnel ever started');
    assert.equal(trustsCloudflareHeader(true, state({ phase: 'failed', url: null })), false, 'failed start');
    assert.equal(trustsCloudflareHeader(true, state({ phase: 'stopped', url: null })), false, 'stopped');
    assert.equal(trustsCloudflareHeader(true, state({ phase: 'starting', url: null })), false, 'starting');
    assert.equal(
      trustsCloudflareHeader(true, state({ mode: 'openai', url: null })),
      false,
      "OpenAI's tunnel",
    );
    assert.equal(trustsCloudflareHeader(true, state({})), true, 'quick tunnel ready');
    assert.equal(trustsCloudflareHeader(true, state({ mode: 'named' })), true, 'named tunnel ready');
  });
});
