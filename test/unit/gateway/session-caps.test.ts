import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Principal } from '../../../main/auth/types.js';
import { createSessionStore, type Session } from '../../../main/gateway/front/sessions.js';

const grant = (n: number): Principal => ({
  kind: 'oauth',
  clientId: `client-${n}`,
  grantId: `g_${n}`,
  scopes: ['mcp:full'],
});

/** Opens `count` sessions for `principal` and returns them, oldest first. */
function open(store: ReturnType<typeof createSessionStore>, principal: Principal, count: number): Session[] {
  return Array.from({ length: count }, () => store.create(principal, '2025-06-18', {}));
}

const alive = (store: ReturnType<typeof createSessionStore>, principal: Principal, list: Session[]) =>
  list.filter((s) => store.get(s.id, principal) !== undefined).length;

describe('session caps per client and in all (issue 10)', () => {
  it('a client opening sessions in a loop ends only its own oldest ones, never another client’s', () => {
    const ended: string[] = [];
    const store = createSessionStore({ maxSessions: 10, maxPerClient: 4, onEnd: (s) => ended.push(s.id) });
    try {
      const others = open(store, grant(2), 3);
      const first = open(store, grant(1), 4);
      const flood = open(store, grant(1), 50);
      assert.equal(alive(store, grant(2), others), 3, 'the other client keeps every session');
      assert.equal(alive(store, grant(1), [...first, ...flood]), 4, 'the flooder holds its cap');
      assert.equal(alive(store, grant(1), flood.slice(-4)), 4, 'and those are its newest');
      assert.ok(!ended.some((id) => others.some((s) => s.id === id)));
    } finally {
      store.close();
    }
  });

  it('when the table is full, the largest holder gives up its oldest, not a client with fewer', () => {
    const store = createSessionStore({ maxSessions: 10, maxPerClient: 4 });
    try {
      const small = open(store, grant(1), 1);
      const a = open(store, grant(2), 4);
      const b = open(store, grant(3), 4);
      const c = open(store, grant(4), 1);
      assert.equal(store.size, 10);
      const newcomer = open(store, grant(5), 3);
      assert.equal(store.size, 10);
      assert.equal(alive(store, grant(5), newcomer), 3, 'a new client gets in');
      assert.equal(alive(store, grant(1), small), 1, 'a client with one session keeps it');
      assert.equal(alive(store, grant(4), c), 1);
      assert.equal(alive(store, grant(2), a) + alive(store, grant(3), b), 5, 'the two largest paid');
    } finally {
      store.close();
    }
  });

  it('by default one client cannot take the whole table of 1,000', () => {
    const store = createSessionStore();
    try {
      const theirs = open(store, grant(2), 1);
      const mine = open(store, grant(1), 1500);
      assert.ok(alive(store, grant(1), mine) < 1000);
      assert.equal(alive(store, grant(2), theirs), 1, 'the first client’s session outlives the flood');
    } finally {
      store.close();
    }
  });
});
