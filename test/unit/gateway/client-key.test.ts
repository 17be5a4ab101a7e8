import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientKeyOf, clientNameOf } from '../../../main/gateway/router/client-key.js';
import type { ClientView } from '../../../main/gateway/router/types.js';
import type { Principal } from '../../../main/auth/types.js';

const view = (principal: Principal, extra: Partial<ClientView> = {}): ClientView => ({
  protocolVersion: '2025-11-25',
  capabilities: {},
  principal,
  ...extra,
});

test('per-client isolation tells clients apart by grant, tunnel client, local name, else session', () => {
  const grant = (grantId: string, sessionId: string): string =>
    clientKeyOf(view({ kind: 'oauth', clientId: 'chatgpt', grantId, scopes: [] }, { sessionId }));
  // One grant is one client across sessions; two grants of the same client id are two clients.
  assert.equal(grant('g1', 's1'), grant('g1', 's2'));
  assert.notEqual(grant('g1', 's1'), grant('g2', 's1'));

  const local = (name: string | undefined, sessionId?: string): string =>
    clientKeyOf(
      view(
        { kind: 'local', scopes: [] },
        { ...(sessionId ? { sessionId } : {}), ...(name ? { clientInfo: { name } } : {}) },
      ),
    );
  assert.equal(local('claude-ai', 's1'), local('claude-ai', 's2'), 'a local client keeps its process');
  assert.notEqual(local('claude-ai'), local('cursor'));
  assert.notEqual(local(undefined, 's1'), local(undefined, 's2'), 'no name: one per session');
  assert.notEqual(local('grant:g1'), grant('g1', 's1'), 'a local name cannot pass for a grant');

  const tunnel = clientKeyOf(view({ kind: 'tunnel', clientId: 'openai-tunnel', scopes: [] }));
  assert.notEqual(tunnel, clientKeyOf(view({ kind: 'anonymous', scopes: [] })));
});

test("a per-client server's log names the client: its grant's name, else the name it gave", () => {
  const approved = { kind: 'oauth' as const, clientName: 'ChatGPT', grantId: 'g1', scopes: [] };
  assert.equal(clientNameOf(view(approved, { clientInfo: { name: 'openai-mcp' } })), 'ChatGPT');
  assert.equal(
    clientNameOf(view({ kind: 'local', scopes: [] }, { clientInfo: { name: 'cursor' } })),
    'cursor',
  );
  assert.equal(clientNameOf(view({ kind: 'local', scopes: [] })), undefined);
  assert.equal(
    clientNameOf(view({ kind: 'tunnel', clientId: 'openai-tunnel', scopes: [] })),
    "OpenAI's tunnel",
  );
  const long = clientNameOf(view({ kind: 'local', scopes: [] }, { clientInfo: { name: 'x'.repeat(500) } }));
  assert.equal(long?.length, 80, 'a name the client chose is kept short');
});
