import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RemoteServerConfig, StdioServerConfig } from '../../../main/config/schema.js';
import { createMemorySecretStore } from '../../../main/secrets/memory-secret-store.js';
import { resolveSecretRefs, SecretRefSyntaxError, secretRefsOf } from '../../../main/secrets/secret-refs.js';

describe('secret references', () => {
  const stdio: StdioServerConfig = {
    command: 'server',
    args: ['--token=${secret:cli_token}', 'plain', '${HOME}'],
    env: { GITHUB_TOKEN: '${secret:github}', OTHER: 'x ${secret:github} y', PLAIN: 'p' },
  };
  const remote: RemoteServerConfig = {
    url: 'https://api.example.com/mcp?key=${secret:url.key}',
    headers: { Authorization: 'Bearer ${secret:linear}', 'X-Team': 'core' },
  };

  it('lists the names a config refers to, once each', () => {
    assert.deepEqual(secretRefsOf(stdio), ['cli_token', 'github']);
    assert.deepEqual(secretRefsOf(remote), ['url.key', 'linear']);
    assert.deepEqual(secretRefsOf({ command: 'x' }), []);
  });

  it('substitutes every reference in url, headers, args and env without touching the input', async () => {
    const store = createMemorySecretStore({
      initial: { cli_token: 'c-1', github: 'gh-2', 'url.key': 'k-3', linear: 'lin-4' },
    });
    const reported: string[][] = [];
    const s = await resolveSecretRefs(stdio, store, { onSecretValues: (v) => reported.push(v) });
    assert.ok(s.config);
    assert.deepEqual(s.config.args, ['--token=c-1', 'plain', '${HOME}']);
    assert.deepEqual(s.config.env, { GITHUB_TOKEN: 'gh-2', OTHER: 'x gh-2 y', PLAIN: 'p' });
    assert.equal(stdio.env?.GITHUB_TOKEN, '${secret:github}', 'input config is not modified');
    assert.deepEqual(reported, [['c-1', 'gh-2']]);
    assert.deepEqual(s.secretValues, ['c-1', 'gh-2']);

    const r = await resolveSecretRefs(remote, store);
    assert.ok(r.config);
    assert.equal(r.config.url, 'https://api.example.com/mcp?key=k-3');
    assert.deepEqual(r.config.headers, { Authorization: 'Bearer lin-4', 'X-Team': 'core' });
  });

  it('reports missing secrets by name, with what to do, and never substitutes partially', async () => {
    const store = createMemorySecretStore({ initial: { github: 'gh-2' } });
    let called = false;
    const s = await resolveSecretRefs(stdio, store, {
      serverName: 'gh',
      onSecretValues: () => (called = true),
    });
    assert.equal(s.config, undefined);
    assert.deepEqual(s.missingSecrets, ['cli_token']);
    assert.match(
      s.error ?? '',
      /Server "gh" cannot start: the secret "cli_token" it refers to is not in the keychain/,
    );
    assert.match(s.error ?? '', /tunnelgate secrets set cli_token/);
    assert.doesNotMatch(s.error ?? '', /gh-2/);
    assert.equal(called, false);
  });

  it('says when the keychain itself is unavailable', async () => {
    const store = createMemorySecretStore({ unavailableReason: 'No Secret Service is running' });
    const s = await resolveSecretRefs(remote, store, { serverName: 'linear' });
    assert.deepEqual(s.missingSecrets, ['url.key', 'linear']);
    assert.match(
      s.error ?? '',
      /secrets "url.key", "linear" it refers to are not available because the keychain is not available \(No Secret Service is running\)/,
    );
  });

  it('rejects malformed references with the field named', () => {
    assert.throws(
      () => secretRefsOf({ command: 'x', env: { A: '${secret:}' } }, 'srv'),
      (e: unknown) => {
        assert.ok(e instanceof SecretRefSyntaxError);
        assert.equal(e.field, 'servers.srv.env.A');
        assert.match(e.message, /^servers\.srv\.env\.A: "\$\{secret:\}" is not a valid secret name/);
        return true;
      },
    );
    assert.throws(
      () => secretRefsOf({ url: 'https://x/', headers: { Authorization: 'Bearer ${secret:linear' } }, 'l'),
      /servers\.l\.headers\.Authorization: a "\$\{secret:" reference is not closed/,
    );
    assert.throws(
      () => secretRefsOf({ command: 'x', args: ['${secret:has space}'] }, 'a'),
      /servers\.a\.args\[0\]/,
    );
    assert.throws(
      () => secretRefsOf({ command: 'x', args: ['${secret:oauth:a:tokens}'] }, 'a'),
      SecretRefSyntaxError,
      'internal names cannot be referenced',
    );
  });
});
