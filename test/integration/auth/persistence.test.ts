import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { NONE_PATH_SECRET, SIGNING_KEY_SECRET } from '../../../main/auth/auth-service.js';
import { createMemorySecretStore } from '../../../main/secrets/memory-secret-store.js';
import { startHarness } from '../../fixtures/auth/auth-harness.js';
import { callMcp, connect, tokenRequest, type Tokens } from '../../fixtures/auth/oauth-steps.js';

describe('grants survive a restart; secrets stay out of files', () => {
  it('tokens and refresh keep working after a restart, and the files hold no token value', async () => {
    const h = await startHarness();
    try {
      const { tokens, clientId } = await connect(h);
      assert.equal((await callMcp(h, tokens.access_token)).status, 200);
      const key = await h.secrets.get(SIGNING_KEY_SECRET);
      assert.ok(key && Buffer.from(key, 'base64url').length === 32, 'signing key lives in the SecretStore');
      await h.restart();
      assert.equal((await callMcp(h, tokens.access_token)).status, 200, 'access token still valid');
      const r = await tokenRequest(h, {
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
        client_id: clientId,
      });
      assert.equal(r.status, 200);
      const t = (await r.json()) as Tokens;
      const grant = h.auth.listGrants()[0]!;
      assert.equal(grant.clientId, clientId);
      assert.ok(grant.lastUsedAt);
      await h.auth.close(); // flush
      await h.restart();
      const files = await readdir(join(h.dataDir, 'auth'));
      for (const f of files) {
        const text = await readFile(join(h.dataDir, 'auth', f), 'utf8');
        for (const secret of [
          tokens.access_token,
          tokens.refresh_token,
          t.access_token,
          t.refresh_token,
          key,
        ]) {
          assert.equal(text.includes(secret), false, `${f} must not contain a token or key`);
          assert.equal(
            text.includes(secret.split('.').pop()!),
            false,
            `${f} must not contain a token's secret part`,
          );
        }
      }
    } finally {
      await h.close();
    }
  });

  it('a new signing key (keychain reset) invalidates access tokens', async () => {
    const h = await startHarness();
    try {
      const { tokens } = await connect(h);
      await h.secrets.delete(SIGNING_KEY_SECRET);
      await h.restart();
      assert.equal((await callMcp(h, tokens.access_token)).status, 401);
    } finally {
      await h.close();
    }
  });

  it('a damaged grants file is moved aside with a warning; the service still starts', async () => {
    const h = await startHarness();
    try {
      await connect(h);
      await h.auth.close();
      await writeFile(join(h.dataDir, 'auth', 'grants.json'), '{"version":1,"grants":[');
      await h.restart();
      assert.equal(h.auth.listGrants().length, 0);
      assert.match(
        h.auth.warnings.join('\n'),
        /grants\.json was not valid JSON; it was moved to .*grants\.json\.damaged-\d+/,
      );
      assert.ok((await readdir(join(h.dataDir, 'auth'))).some((f) => f.startsWith('grants.json.damaged-')));
      const { tokens } = await connect(h);
      assert.equal((await callMcp(h, tokens.access_token)).status, 200);
    } finally {
      await h.close();
    }
  });

  it('remembers the public URL across restarts and reports a new one (a quick tunnel changes it at each start)', async () => {
    const h = await startHarness();
    try {
      h.setOrigin('https://monday-words.trycloudflare.com');
      assert.equal(h.auth.refreshOrigin(), 'https://monday-words.trycloudflare.com');
      assert.equal(h.auth.lastUrlChange()?.current, 'https://monday-words.trycloudflare.com');
      await h.auth.close();
      h.setOrigin(null); // the next run starts before its tunnel is up
      await h.restart();
      assert.equal(h.auth.lastUrlChange(), undefined);
      const seen: unknown[] = [];
      h.auth.on('url-changed', (e) => seen.push(e));
      h.setOrigin('https://tuesday-words.trycloudflare.com');
      h.auth.refreshOrigin();
      const change = {
        previous: 'https://monday-words.trycloudflare.com',
        current: 'https://tuesday-words.trycloudflare.com',
      };
      assert.deepEqual(seen, [change]);
      assert.deepEqual(h.auth.lastUrlChange(), change);
      h.auth.refreshOrigin();
      assert.equal(seen.length, 1, 'reported once');
    } finally {
      await h.close();
    }
  });

  it('a keychain that fails to read is never overwritten (the secret URL of mode none stays valid)', async () => {
    const inner = createMemorySecretStore({ initial: { [NONE_PATH_SECRET]: 'A'.repeat(43) } });
    let failing = true;
    const flaky = {
      ...inner,
      get: async (name: string) =>
        failing ? Promise.reject(new Error('the keychain timed out')) : inner.get(name),
    };
    const h = await startHarness({ mode: 'none', secrets: flaky });
    try {
      assert.match(
        h.auth.warnings.join('\n'),
        /could not be read from the keychain \(the keychain timed out\)/,
      );
      assert.equal(await inner.get(NONE_PATH_SECRET), 'A'.repeat(43), 'stored value untouched');
      failing = false;
      await h.restart();
      assert.deepEqual(h.auth.mcpPaths(), [`/s/${'A'.repeat(43)}/mcp`]);
    } finally {
      await h.close();
    }
  });

  it('without a keychain the service still runs but warns that grants will not survive', async () => {
    const h = await startHarness({
      secrets: createMemorySecretStore({ unavailableReason: 'no Secret Service on the bus' }),
    });
    try {
      assert.equal(h.auth.warnings.length, 1);
      assert.match(h.auth.warnings[0]!, /signing key could not be saved/);
      const { tokens } = await connect(h);
      assert.equal((await callMcp(h, tokens.access_token)).status, 200);
    } finally {
      await h.close();
    }
  });
});
