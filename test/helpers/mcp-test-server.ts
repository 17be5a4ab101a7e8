import { completable } from '@modelcontextprotocol/sdk/server/completable.js';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  CreateMessageResultSchema,
  ElicitResultSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import * as z from 'zod';

/** The widget HTML served as an MCP Apps resource (read, never listed). */
export const WIDGET_HTML = '<!doctype html><div id="root">widget</div>';

/**
 * A real SDK server with one tool of each kind the gateway must relay: plain (with _meta, title,
 * outputSchema, annotations), write, progress + cancellation, sampling, elicitation, resource update.
 */
export function buildTestServer(label = 'test'): McpServer {
  const server = new McpServer(
    { name: `${label}-server`, version: '1.2.3' },
    {
      capabilities: { logging: {}, resources: { subscribe: true } },
      instructions: `Instructions of ${label}.`,
    },
  );
  const subscribed = new Set<string>();
  server.server.setRequestHandler(SubscribeRequestSchema, async (req) => {
    subscribed.add(req.params.uri);
    return {};
  });
  server.server.setRequestHandler(UnsubscribeRequestSchema, async (req) => {
    subscribed.delete(req.params.uri);
    return {};
  });

  server.registerTool(
    'echo',
    {
      title: 'Echo',
      description: 'Echoes the text back',
      inputSchema: { text: z.string() },
      outputSchema: { echoed: z.string() },
      annotations: { readOnlyHint: true },
      _meta: {
        'openai/outputTemplate': 'ui://widget/echo.html',
        'openai/widgetAccessible': true,
        custom: { nested: [1, 2] },
      },
    },
    async ({ text }, extra) => ({
      content: [{ type: 'text', text }],
      structuredContent: { echoed: text },
      _meta: { 'openai/widgetState': { seen: text }, requestMeta: extra._meta ?? null },
    }),
  );
  server.registerTool(
    'write',
    { description: 'Changes something', inputSchema: { value: z.string() } },
    async ({ value }) => ({
      content: [{ type: 'text', text: `wrote ${value}` }],
    }),
  );
  server.registerTool(
    'slow',
    {
      description: 'Reports progress, then finishes unless cancelled',
      inputSchema: { steps: z.number(), delayMs: z.number() },
    },
    async ({ steps, delayMs }, extra) => {
      for (let i = 1; i <= steps; i++) {
        await new Promise((r) => setTimeout(r, delayMs));
        if (extra.signal.aborted) return { content: [{ type: 'text', text: 'cancelled' }], isError: true };
        const token = extra._meta?.progressToken;
        if (token !== undefined)
          await extra.sendNotification({
            method: 'notifications/progress',
            params: { progressToken: token, progress: i, total: steps, message: `step ${i}` },
          });
      }
      return { content: [{ type: 'text', text: `done after ${steps} steps` }] };
    },
  );
  server.registerTool(
    'sample',
    { description: 'Asks the client model something', inputSchema: { question: z.string() } },
    async ({ question }, extra) => {
      const r = await extra.sendRequest(
        {
          method: 'sampling/createMessage',
          params: { messages: [{ role: 'user', content: { type: 'text', text: question } }], maxTokens: 20 },
        },
        CreateMessageResultSchema,
      );
      return {
        content: [{ type: 'text', text: `model said: ${r.content.type === 'text' ? r.content.text : '?'}` }],
      };
    },
  );
  server.registerTool(
    'elicit',
    { description: 'Asks the user something', inputSchema: {} },
    async (_args, extra) => {
      const r = await extra.sendRequest(
        {
          method: 'elicitation/create',
          params: {
            message: 'Your name?',
            requestedSchema: { type: 'object', properties: { name: { type: 'string' } } },
          },
        },
        ElicitResultSchema,
      );
      return { content: [{ type: 'text', text: `${r.action}: ${JSON.stringify(r.content ?? {})}` }] };
    },
  );
  server.registerTool('touch', { description: 'Updates test://doc', inputSchema: {} }, async () => {
    if (subscribed.has('test://doc')) await server.server.sendResourceUpdated({ uri: 'test://doc' });
    await server.server.sendLoggingMessage({ level: 'warning', data: 'touched' });
    return { content: [{ type: 'text', text: 'touched' }] };
  });

  server.registerPrompt(
    'greet',
    {
      title: 'Greeting',
      description: 'Greets',
      argsSchema: {
        name: completable(z.string(), (v) => ['Ann', 'Bob', `${label}-user`].filter((n) => n.startsWith(v))),
      },
    },
    ({ name }) => ({
      messages: [{ role: 'user', content: { type: 'text', text: `Hello ${name}` } }],
    }),
  );
  server.registerResource(
    'doc',
    'test://doc',
    { mimeType: 'text/plain', _meta: { keep: 'me' } },
    async (uri) => ({
      contents: [{ uri: uri.href, mimeType: 'text/plain', text: `doc of ${label}` }],
    }),
  );
  server.registerResource(
    'widget',
    new ResourceTemplate('ui://widget/{name}', { list: undefined }),
    { mimeType: 'text/html;profile=mcp-app' },
    async (uri) => ({
      contents: [
        {
          uri: uri.href,
          mimeType: 'text/html;profile=mcp-app',
          text: WIDGET_HTML,
          _meta: { ui: { prefersBorder: true } },
        },
      ],
    }),
  );
  return server;
}
