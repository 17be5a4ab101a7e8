import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { SIGNING_KEY_SECRET } from '../../../main/auth/auth-service.js';
import { createKeychainSecretStore } from '../../../main/secrets/keychain-secret-store.js';
import { startHarness } from '../../fixtures/auth/auth-harness.js';
import { callMcp, connect, tokenRequest } from '../../fixtures/auth/oauth-steps.js';

describe('grants across a restart with the real OS keychain (Secret Service)', { timeout: 60_000 }, () => {
  it('keeps the signing key in the keychain: tokens issued before a restart still work after it', async () => {
    const service = `tunnelgate-auth-test-${randomBytes(6).toString('hex')}`;
    const first = createKeychainSecretStore({ service, timeoutMs: 10_000 });
    const available = await first.availability();
    assert.ok(
      available.available,
      `A real keychain is needed: run through scripts/test.sh (dbus-run-session + gnome-keyring). Reason: ${available.reason}`,
    );
    const h = await startHarness({ secrets: first });
    try {
      assert.deepEqual(h.auth.warnings, []);
      const { tokens, clientId } = await connect(h);
      // A second store object reads the keychain itself (no shared cache), as a restarted app would.
      const second = createKeychainSecretStore({ service, timeoutMs: 10_000 });
      assert.ok(await second.get(SIGNING_KEY_SECRET));
      await h.restart({ secrets: second });
      assert.equal((await callMcp(h, tokens.access_token)).status, 200);
      const r = await tokenRequest(h, {
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
        client_id: clientId,
      });
      assert.equal(r.status, 200);
      await second.delete(SIGNING_KEY_SECRET);
      second.close();
    } finally {
      await h.close();
      await first.delete(SIGNING_KEY_SECRET).catch(() => false);
      first.close();
    }
  });
});
