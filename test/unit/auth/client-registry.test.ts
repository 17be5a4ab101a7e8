import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createCimdResolver } from '../../../main/auth/cimd.js';
import { createClientRegistry } from '../../../main/auth/client-registry.js';
import { createTestClock, refusingTransport } from '../../fixtures/auth/auth-harness.js';

async function withRegistry(
  inUse: (id: string) => boolean,
  fn: (
    r: Awaited<ReturnType<typeof createClientRegistry>>,
    clock: ReturnType<typeof createTestClock>,
  ) => Promise<void>,
) {
  const dataDir = await mkdtemp(join(tmpdir(), 'tg-clients-'));
  const clock = createTestClock(0);
  const cimd = createCimdResolver({ transport: refusingTransport, clock });
  const r = await createClientRegistry({ dataDir, clock, cimd, maxClients: 3, inUse });
  try {
    await fn(r, clock);
  } finally {
    await r.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const body = (name: string, uris = ['https://chatgpt.com/connector/oauth/x']) => ({
  client_name: name,
  redirect_uris: uris,
});
const idOf = (res: Awaited<ReturnType<Awaited<ReturnType<typeof createClientRegistry>>['register']>>) => {
  assert.ok(res.ok);
  return res.client.clientId;
};

describe('client registry under registration flooding (RFC 7591 abuse)', () => {
  it('never evicts a client that holds a grant: a flood of registrations cannot disconnect the owner', async () => {
    const used = new Set<string>();
    await withRegistry(
      (id) => used.has(id),
      async (r, clock) => {
        const owner = idOf(await r.register(body('ChatGPT')));
        used.add(owner);
        for (let i = 0; i < 20; i++) {
          clock.advance(1000);
          await r.register(body(`junk ${i}`));
        }
        const found = await r.lookup(owner);
        assert.ok(found.ok, 'the approved client is still registered');
      },
    );
  });

  it('when every slot holds a grant, new registrations are refused (not stored)', async () => {
    await withRegistry(
      () => true,
      async (r) => {
        for (let i = 0; i < 3; i++) assert.ok((await r.register(body(`c${i}`))).ok);
        const res = await r.register(body('one more'));
        assert.equal(res.ok, false);
      },
    );
  });

  it('bounds the number of redirect URIs a client may register', async () => {
    await withRegistry(
      () => false,
      async (r) => {
        const many = Array.from({ length: 50 }, (_, i) => `https://example.com/cb/${i}`);
        const res = await r.register(body('many', many));
        assert.equal(res.ok, false);
        assert.ok(!res.ok && res.error === 'invalid_redirect_uri');
      },
    );
  });
});

describe('client names shown to the owner', () => {
  it('drop control, bidirectional-override and invisible characters a client could use to disguise itself', async () => {
    await withRegistry(
      () => false,
      async (r) => {
        const res = await r.register(body('Chat\u202EtPG\u202C\u200B GPT\u0000\n\u001b[31m \u2066x\u2069'));
        assert.ok(res.ok);
        const hidden = [...res.client.clientName].filter(
          (c) =>
            c.charCodeAt(0) < 0x20 ||
            (c >= '\u200b' && c <= '\u200f') ||
            (c >= '\u202a' && c <= '\u202e') ||
            (c >= '\u2066' && c <= '\u2069'),
        );
        assert.deepEqual(hidden, []);
        assert.equal(res.client.clientName, 'ChattPG GPT [31m x');
        const blank = await r.register(body('\u202E\u200B'));
        assert.ok(blank.ok);
        assert.equal(blank.client.clientName, 'Unnamed client');
      },
    );
  });
});
