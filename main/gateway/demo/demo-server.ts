import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { z } from 'zod';
import { demoWidgetHtml } from './widget-html.js';

/** MCP Apps resource (SEP-1865): `ui://` URI with the `text/html;profile=mcp-app` MIME type. */
export const DEMO_WIDGET_URI = 'ui://tunnelgate-demo/clock.html';
export const MCP_APP_MIME_TYPE = 'text/html;profile=mcp-app';
/** The same page for ChatGPT's Apps SDK, which reads `openai/outputTemplate` (text/html+skybridge). */
export const DEMO_WIDGET_SKYBRIDGE_URI = 'ui://tunnelgate-demo/clock-skybridge.html';
export const SKYBRIDGE_MIME_TYPE = 'text/html+skybridge';

function validTimeZone(zone: string | undefined): string {
  if (!zone) return 'UTC';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return zone;
  } catch {
    throw new Error(
      `Unknown time zone '${zone}'. Use an IANA name such as "Europe/Paris" or "America/New_York".`,
    );
  }
}

/**
 * The built-in demo MCP server, used when there is no config: harmless tools (echo, current_time)
 * and one tool whose result is shown as an MCP Apps widget, so a new user sees the whole path work.
 * Returns a v1 SDK McpServer; connect it with `demoBuiltin()` or to any SDK transport.
 */
function createDemoServer(): McpServer {
  const server = new McpServer(
    { name: 'tunnelgate-demo', title: 'Tunnelgate demo', version: '1.0.0' },
    {
      instructions:
        'A demo server built into Tunnelgate. Add your own MCP servers to the config to replace it.',
    },
  );

  server.registerTool(
    'echo',
    {
      title: 'Echo',
      description: 'Returns the text it is given. Handy to check that calls go through.',
      inputSchema: { text: z.string().describe('Text to send back') },
      // All three hints set: ChatGPT's review wants each true or false (PROTOCOL.md).
      annotations: { readOnlyHint: true, destructiveHint: false, openWorldHint: false },
    },
    async ({ text }) => ({ content: [{ type: 'text', text }] }),
  );

  server.registerTool(
    'current_time',
    {
      title: 'Current time',
      description: 'The current date and time, in UTC or in an IANA time zone.',
      inputSchema: {
        timeZone: z.string().optional().describe('IANA time zone, e.g. "Europe/Paris"; default UTC'),
      },
      outputSchema: { iso: z.string(), timeZone: z.string(), local: z.string() },
      // All three hints set: ChatGPT's review wants each true or false (PROTOCOL.md).
      annotations: { readOnlyHint: true, destructiveHint: false, openWorldHint: false },
    },
    async ({ timeZone }) => {
      const zone = validTimeZone(timeZone);
      const now = new Date();
      const local = now.toLocaleString('en-US', { timeZone: zone, dateStyle: 'full', timeStyle: 'long' });
      const structured = { iso: now.toISOString(), timeZone: zone, local };
      return {
        content: [{ type: 'text', text: `${local} (${now.toISOString()})` }],
        structuredContent: structured,
      };
    },
  );

  server.registerTool(
    'show_clock',
    {
      title: 'Show a clock',
      description: 'Shows a live clock widget for a time zone (an MCP Apps / ChatGPT widget demo).',
      inputSchema: { timeZone: z.string().optional().describe('IANA time zone; default UTC') },
      // All three hints set: ChatGPT's review wants each true or false (PROTOCOL.md).
      annotations: { readOnlyHint: true, destructiveHint: false, openWorldHint: false },
      // MCP Apps: the host renders the tool's UI resource; ChatGPT reads its own key for the template.
      _meta: {
        ui: { resourceUri: DEMO_WIDGET_URI },
        'openai/outputTemplate': DEMO_WIDGET_SKYBRIDGE_URI,
        'openai/toolInvocation/invoking': 'Starting the clock...',
        'openai/toolInvocation/invoked': 'Clock ready',
      },
    },
    async ({ timeZone }) => {
      const zone = validTimeZone(timeZone);
      const time = new Date().toISOString();
      const message = "Served by Tunnelgate's built-in demo server.";
      return {
        content: [{ type: 'text', text: `Showing a clock for ${zone} (now ${time}).` }],
        structuredContent: { time, timeZone: zone, message },
      };
    },
  );

  server.registerResource(
    'demo-clock-widget',
    DEMO_WIDGET_URI,
    { title: 'Demo clock widget', description: 'MCP Apps view for show_clock', mimeType: MCP_APP_MIME_TYPE },
    async (uri) => ({
      contents: [
        {
          uri: uri.href,
          mimeType: MCP_APP_MIME_TYPE,
          text: demoWidgetHtml(),
          // The widget loads and fetches nothing from outside: an empty CSP says so (MCP Apps ui.csp).
          _meta: { ui: { prefersBorder: true, csp: { connectDomains: [], resourceDomains: [] } } },
        },
      ],
    }),
  );
  server.registerResource(
    'demo-clock-widget-chatgpt',
    DEMO_WIDGET_SKYBRIDGE_URI,
    {
      title: 'Demo clock widget (ChatGPT)',
      description: 'Apps SDK template for show_clock',
      mimeType: SKYBRIDGE_MIME_TYPE,
    },
    async (uri) => ({
      contents: [
        {
          uri: uri.href,
          mimeType: SKYBRIDGE_MIME_TYPE,
          text: demoWidgetHtml(),
          _meta: { 'openai/widgetCSP': { connect_domains: [], resource_domains: [] } },
        },
      ],
    }),
  );
  return server;
}

/**
 * Builtin factory for the upstream manager (`builtins: { demo: demoBuiltin }`): a fresh demo server
 * on one end of an in-memory pair, the other end returned for the manager to speak to.
 */
export async function demoBuiltin(): Promise<Transport> {
  const [clientEnd, serverEnd] = InMemoryTransport.createLinkedPair();
  const server = createDemoServer();
  await server.connect(serverEnd);
  return clientEnd;
}
