// The conformance upstream (test/fixtures/upstream/conformance-server.ts) asks for sampling and
// elicitation on the stream of the POST whose tool call needs them, so a session-era client gets
// them before it has a GET stream. The SDK v1 client the conformance suite uses opens its GET stream
// in the background after `initialized`; a tools/call that the server handled before that GET arrived
// had its request sent to the session's (absent) GET stream, where SDK v2 drops it without a word: the
// suite's tools-call-elicitation then failed directly after its 30 s scenario timeout, about one run
// in eleven. Here the client never has a GET stream (its fetch answers GET with 405 itself, as a
// server without one would), which is that race lost every time.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema, ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { startConformanceServer } from '../../fixtures/upstream/conformance-server.js';

/** Long enough for a loaded machine, far below the suite's 30 s scenario timeout. */
const CALL_TIMEOUT_MS = 10_000;

describe('the conformance upstream sends its requests on the call stream', { timeout: 60_000 }, () => {
  let upstream: Awaited<ReturnType<typeof startConformanceServer>>;
  let client: Client;
  const gets: string[] = [];

  before(async () => {
    upstream = await startConformanceServer();
    client = new Client(
      { name: 'no-get-stream', version: '1' },
      { capabilities: { sampling: {}, elicitation: {} } },
    );
    client.setRequestHandler(ElicitRequestSchema, async (req) => ({
      action: 'accept',
      content: { response: `seen: ${req.params.message}` },
    }));
    client.setRequestHandler(CreateMessageRequestSchema, async () => ({
      role: 'assistant',
      model: 'stand-in',
      content: { type: 'text', text: 'sampled' },
    }));
    const noGetStream = async (url: string | URL, init?: RequestInit): Promise<Response> => {
      if ((init?.method ?? 'GET') === 'GET') {
        gets.push(String(url));
        return new Response(null, { status: 405 });
      }
      return fetch(url, init);
    };
    await client.connect(new StreamableHTTPClientTransport(new URL(upstream.url), { fetch: noGetStream }));
  });
  after(async () => {
    await client?.close();
    await upstream?.close();
  });

  test('elicitation/create reaches a client without a GET stream', async () => {
    const r = await client.callTool({ name: 'test_elicitation', arguments: { message: 'who?' } }, undefined, {
      timeout: CALL_TIMEOUT_MS,
    });
    assert.deepEqual(r.content, [
      { type: 'text', text: 'User response: action=accept, content={"response":"seen: who?"}' },
    ]);
    assert.ok(gets.length > 0, 'the client tried its GET stream and was refused');
  });

  test('sampling/createMessage reaches a client without a GET stream', async () => {
    const r = await client.callTool({ name: 'test_sampling', arguments: { prompt: 'hi' } }, undefined, {
      timeout: CALL_TIMEOUT_MS,
    });
    assert.deepEqual(r.content, [{ type: 'text', text: 'LLM response: sampled' }]);
  });
});
