import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redirectHost, redirectUriMatches, redirectUriProblem } from '../../../main/auth/redirect-uri.js';

describe('redirect URI registration rules', () => {
  for (const ok of [
    'https://chatgpt.com/connector/oauth/abc',
    'https://chatgpt.com/connector_platform_oauth_redirect',
    'http://127.0.0.1:3000/cb',
    'http://localhost/cb',
    'http://[::1]:9/cb',
    'https://x.example/cb?a=1',
  ]) {
    it(`accepts ${ok}`, () => assert.equal(redirectUriProblem(ok), null));
  }
  for (const bad of [
    'http://chatgpt.com/cb',
    'http://127.0.0.2/cb',
    'https://a.example/cb#frag',
    'https://user:pw@a.example/cb',
    'javascript:alert(1)',
    'cursor://cb',
    'https://evil.example/cb?\u001b[2K\u001b[1GOK\r',
    'https://evil.example/c b',
    'https://evil.example/cb\u0085',
    '/cb',
    '',
    42,
  ]) {
    it(`refuses ${JSON.stringify(bad)}`, () => assert.notEqual(redirectUriProblem(bad), null));
  }
});

describe('redirect URI matching (exact, loopback port may vary)', () => {
  const reg = [
    'https://chatgpt.com/connector/oauth/abc',
    'http://127.0.0.1/callback',
    'http://localhost:8080/oauth/callback',
  ];
  it('matches exactly registered URIs', () => {
    for (const r of reg) assert.equal(redirectUriMatches(reg, r), true);
  });
  for (const look of [
    'https://chatgpt.com/connector/oauth/abcd',
    'https://chatgpt.com/connector/oauth/abc/',
    'https://chatgpt.com/connector/oauth/ab',
    'https://chatgpt.com.evil.example/connector/oauth/abc',
    'https://evil.example/chatgpt.com/connector/oauth/abc',
    'https://CHATGPT.com/connector/oauth/abc',
    'https://chatgpt.com:443/connector/oauth/abc',
    'https://chatgpt.com/connector/oauth/abc?x=1',
    'https://chatgpt.com/connector/oauth/%61bc',
    'https://chatgpt.com/connector/oauth/./abc',
    'http://chatgpt.com/connector/oauth/abc',
    'http://127.0.0.1:5000/callback/x',
    'http://127.0.0.1.evil.example:5000/callback',
    'http://localhost:8080/oauth/callback2',
    'http://[::1]:5000/callback',
    'https://127.0.0.1:5000/callback',
  ]) {
    it(`refuses look-alike ${look}`, () => assert.equal(redirectUriMatches(reg, look), false));
  }
  it('allows any port on a registered loopback URI (RFC 8252 §7.3)', () => {
    assert.equal(redirectUriMatches(reg, 'http://127.0.0.1:54321/callback'), true);
    assert.equal(redirectUriMatches(reg, 'http://localhost:1234/oauth/callback'), true);
    assert.equal(redirectUriMatches(reg, 'http://localhost/oauth/callback'), true);
  });
  it('names the host for the owner', () => {
    assert.equal(redirectHost('https://chatgpt.com/connector/oauth/abc'), 'chatgpt.com');
    assert.equal(redirectHost('http://127.0.0.1:3000/cb'), '127.0.0.1:3000');
  });
});
