// 2026-07-28 input_required rounds: an exchange the gateway parks holds an upstream call open with
// no HTTP request in flight, so it escapes the public listener's cap on requests in flight. One
// client must not be able to park calls without bound (starving other clients of an upstream's
// sockets or handlers for ten minutes): past MAX_PARKED_PER_CLIENT its oldest is abandoned, and
// other clients' exchanges are left alone.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IncomingMessage } from 'node:http';
import { SCOPE_FULL } from '../../../preload/contract.js';
import type { PublicAuthHook } from '../../../main/auth/types.js';
import { MAX_PARKED_PER_CLIENT } from '../../../main/gateway/front/input-exchange.js';
import { rawPost, startFakeGateway } from '../../helpers/mcp-gateway-fixture.js';

type Raw = Record<string, unknown>;

/** Two OAuth clients with full access, told apart by their bearer ("A" or "B"). */
const twoClients: PublicAuthHook = {
  mcpPaths: () => ['/mcp'],
  handle: async () => false,
  authenticate: async (req: IncomingMessage) => {
    const who = String(req.headers['authorization'] ?? '').replace('Bearer ', '');
    return {
      ok: true,
      principal: { kind: 'oauth', clientId: `client-${who}`, grantId: `grant-${who}`, scopes: [SCOPE_FULL] },
    };
  },
};

function call(url: URL, who: string, id: number, params: Raw): Promise<Raw> {
  const body = {
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: {
      name: 'b__elicit',
      arguments: {},
      ...params,
      _meta: {
        'io.modelcontextprotocol/protocolVersion': '2026-07-28',
        'io.modelcontextprotocol/clientInfo': { name: `client-${who}`, version: '1' },
        'io.modelcontextprotocol/clientCapabilities': { elicitation: {} },
      },
    },
  };
  return rawPost(url.toString(), body, {
    'mcp-protocol-version': '2026-07-28',
    authorization: `Bearer ${who}`,
  }).then(
    (r) =>
      (Array.isArray(r.body) ? (r.body as Raw[]).find((m) => 'id' in m && !('method' in m)) : r.body) as Raw,
  );
}

/** Starts the elicit tool and returns the requestState of its input_required answer. */
async function park(url: URL, who: string, id: number): Promise<string> {
  const r = await call(url, who, id, {});
  const result = r['result'] as Raw;
  assert.equal(result?.['resultType'], 'input_required', JSON.stringify(r));
  return String(result['requestState']);
}

const answer = (url: URL, who: string, id: number, requestState: string) =>
  call(url, who, id, {
    requestState,
    inputResponses: { in1: { action: 'accept', content: { name: who } } },
  });

test(`a client's parked input rounds are capped at ${MAX_PARKED_PER_CLIENT}: its oldest is abandoned, other clients' are kept`, async (t) => {
  const fx = await startFakeGateway({ auth: twoClients });
  t.after(() => fx.gateway.close());
  const url = fx.publicUrl;
  const other = await park(url, 'B', 1);
  const tokens: string[] = [];
  for (let i = 0; i <= MAX_PARKED_PER_CLIENT; i++) tokens.push(await park(url, 'A', 100 + i));
  const oldest = await answer(url, 'A', 1, tokens[0]!);
  assert.match(String((oldest['error'] as Raw)?.['message']), /requestState is unknown or expired/);
  const newest = await answer(url, 'A', 2, tokens.at(-1)!);
  assert.deepEqual((newest['result'] as Raw)?.['content'], [{ type: 'text', text: 'accept: {"name":"A"}' }]);
  const second = await answer(url, 'A', 3, tokens[1]!);
  assert.deepEqual((second['result'] as Raw)?.['content'], [{ type: 'text', text: 'accept: {"name":"A"}' }]);
  // B's one exchange, parked before all of A's, is untouched by A's.
  const b = await answer(url, 'B', 2, other);
  assert.deepEqual((b['result'] as Raw)?.['content'], [{ type: 'text', text: 'accept: {"name":"B"}' }]);
});
