import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
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

describe('registrations stay in memory until they hold a grant (issue 10)', () => {
  it('1,000 registrations write nothing; a grant writes that one client; losing it takes the client out', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tg-clients-'));
    const file = join(dataDir, 'auth', 'clients.json');
    const clock = createTestClock(0);
    const granted = new Set<string>();
    const cimd = createCimdResolver({ transport: refusingTransport, clock });
    const open = () =>
      createClientRegistry({ dataDir, clock, cimd, maxClients: 2000, inUse: (id) => granted.has(id) });
    const stored = async () =>
      (JSON.parse(await readFile(file, 'utf8')) as { clients: { clientId: string }[] }).clients.map(
        (c) => c.clientId,
      );
    let r = await open();
    try {
      const ids: string[] = [];
      for (let i = 0; i < 1000; i++) ids.push(idOf(await r.register(body(`flood ${i}`))));
      await r.close();
      await assert.rejects(stat(file), { code: 'ENOENT' }, 'no write for registrations');
      r = await open();
      assert.equal((await r.lookup(ids[0]!)).ok, false, 'and they do not outlive a restart');
      const owner = idOf(await r.register(body('ChatGPT')));
      assert.ok((await r.lookup(owner)).ok, 'a registration is usable from memory');
      granted.add(owner);
      await r.keep(owner);
      assert.deepEqual(await stored(), [owner]);
      const written = (await stat(file)).mtimeMs;
      for (let i = 0; i < 100; i++) await r.register(body(`more ${i}`));
      r.touch(owner);
      assert.equal((await stat(file)).mtimeMs, written, 'registrations and uses do not rewrite it');
      await r.close();
      r = await open();
      assert.ok((await r.lookup(owner)).ok, 'the client with a grant survives a restart');
      const other = idOf(await r.register(body('second')));
      granted.add(other);
      await r.sync();
      assert.deepEqual(await stored(), [owner, other], 'sync stores a registration that holds a grant');
      granted.delete(owner);
      granted.delete(other);
      await r.sync();
      assert.deepEqual(await stored(), []);
      assert.ok((await r.lookup(owner)).ok, 'still known from memory for a while');
    } finally {
      await r.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('a registration without a grant is forgotten a TTL after its last use', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tg-clients-'));
    const clock = createTestClock(0);
    const cimd = createCimdResolver({ transport: refusingTransport, clock });
    const r = await createClientRegistry({ dataDir, clock, cimd, registrationTtlMs: 60_000 });
    try {
      const used = idOf(await r.register(body('used')));
      const idle = idOf(await r.register(body('idle')));
      clock.advance(50_000);
      r.touch(used);
      clock.advance(20_000);
      assert.ok((await r.lookup(used)).ok);
      assert.equal((await r.lookup(idle)).ok, false);
    } finally {
      await r.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('a clients.json from before lists clients without a grant: they move to memory and the file shrinks once', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tg-clients-'));
    const file = join(dataDir, 'auth', 'clients.json');
    const clock = createTestClock(0);
    const cimd = createCimdResolver({ transport: refusingTransport, clock });
    const record = (id: string) => ({
      clientId: id,
      clientName: id,
      redirectUris: [],
      source: 'dcr',
      createdAt: 0,
    });
    await mkdir(join(dataDir, 'auth'), { recursive: true });
    await writeFile(file, JSON.stringify({ version: 1, clients: ['a', 'b', 'c'].map(record) }));
    const r = await createClientRegistry({ dataDir, clock, cimd, inUse: (id) => id === 'b' });
    try {
      const text = await readFile(file, 'utf8');
      assert.deepEqual(
        (JSON.parse(text) as { clients: { clientId: string }[] }).clients.map((c) => c.clientId),
        ['b'],
      );
      assert.ok((await r.lookup('a')).ok, 'the others can still finish connecting');
    } finally {
      await r.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
