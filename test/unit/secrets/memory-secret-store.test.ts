import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMemorySecretStore } from '../../../main/secrets/memory-secret-store.js';
import { InvalidSecretNameError, assertUserSecretName } from '../../../main/secrets/secret-name.js';
import { SecretStoreUnavailableError } from '../../../main/secrets/secret-store.js';

describe('memory secret store', () => {
  it('sets, reads, rotates, lists and deletes', async () => {
    const store = createMemorySecretStore();
    assert.deepEqual(await store.availability(), { available: true });
    await store.set('b', '1');
    await store.set('a', '2');
    await store.set('oauth:srv:tokens', '{}');
    await store.set('b', '3');
    assert.equal(await store.get('b'), '3');
    assert.deepEqual(await store.list(), ['a', 'b', 'oauth:srv:tokens']);
    assert.equal(await store.delete('a'), true);
    assert.equal(await store.delete('a'), false);
    assert.equal(await store.get('a'), undefined);
  });

  it('refuses to store when unavailable', async () => {
    const store = createMemorySecretStore({ unavailableReason: 'no keychain here' });
    assert.deepEqual(await store.availability(), { available: false, reason: 'no keychain here' });
    await assert.rejects(
      store.set('a', 'v'),
      (e: unknown) => e instanceof SecretStoreUnavailableError && /no keychain here/.test(e.message),
    );
  });

  it('validates names with a clear message', async () => {
    const store = createMemorySecretStore();
    await assert.rejects(store.set('bad name', 'v'), InvalidSecretNameError);
    await assert.rejects(store.get(''), /Invalid secret name "": use 1-64 letters/);
    await assert.rejects(store.set('x'.repeat(65), 'v'), InvalidSecretNameError);
    assert.throws(() => assertUserSecretName('oauth:a:tokens'), /":" is reserved/);
    assertUserSecretName('linear_api-key.v2');
  });
});
