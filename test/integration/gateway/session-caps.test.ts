import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PublicAuthHook } from '../../../main/auth/types.js';
import { SCOPE_FULL } from '../../../preload/contract.js';
import { rawPost, startFakeGateway } from '../../helpers/mcp-gateway-fixture.js';

/** Each bearer value is its own OAuth grant, as the real hook makes one principal per grant. */
const perGrantHook: PublicAuthHook = {
  mcpPaths: () => ['/mcp'],
  handle: async () => false,
  authenticate: async (req) => {
    const grant = /^Bearer (\w+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!grant) return { ok: false, status: 401 };
    return {
      ok: true,
      principal: { kind: 'oauth', clientId: `client-${grant}`, grantId: grant, scopes: [SCOPE_FULL] },
    };
  },
};

const VERSION = '2025-06-18';

async function initialize(url: URL, headers: Record<string, string> = {}): Promise<string> {
  const r = await rawPost(
    url,
    {
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: VERSION, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    },
    headers,
  );
  assert.equal(r.status, 200, r.text);
  return r.headers.get('mcp-session-id')!;
}

async function listStatus(url: URL, sessionId: string, headers: Record<string, string> = {}) {
  const r = await rawPost(
    url,
    { jsonrpc: '2.0', id: 1, method: 'tools/list' },
    { 'mcp-session-id': sessionId, 'mcp-protocol-version': VERSION, ...headers },
  );
  return r.status;
}

describe('sessions are capped per client through the public listener (issue 10)', () => {
  it('a grant opening sessions in a loop loses its own oldest, another grant keeps its session; local callers share only the global cap', async () => {
    const fx = await startFakeGateway({ auth: perGrantHook });
    try {
      const owner = { authorization: 'Bearer owner' };
      const flooder = { authorization: 'Bearer flooder' };
      const mine = await initialize(fx.publicUrl, owner);
      const theirs: string[] = [];
      for (let i = 0; i < 260; i++) theirs.push(await initialize(fx.publicUrl, flooder));
      assert.equal(await listStatus(fx.publicUrl, mine, owner), 200, "the other grant's session lives");
      assert.equal(await listStatus(fx.publicUrl, theirs[0]!, flooder), 404, 'the flooder lost its oldest');
      assert.equal(await listStatus(fx.publicUrl, theirs.at(-1)!, flooder), 200);
      // On this computer every caller is 'local': no share per client, so none of these ends.
      const local: string[] = [];
      for (let i = 0; i < 260; i++) local.push(await initialize(fx.url));
      assert.equal(await listStatus(fx.url, local[0]!), 200);
    } finally {
      await fx.gateway.close();
    }
  });
});
