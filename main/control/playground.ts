/**
 * The tool playground's call: through the gateway's local MCP endpoint as a local client, so it is
 * routed, filtered and logged in Activity like a call from Claude Desktop or Cursor would be.
 */
import type { ToolCallResult } from '../../preload/contract.js';
import { callLocalMcp } from './local-mcp-client.js';

/** How the playground names itself to the gateway (and so in Activity's client column). */
const PLAYGROUND_CLIENT = 'Tunnelgate playground';

export interface PlaygroundDeps {
  /** The local MCP endpoint, as the status reports it; null while the gateway is stopped. */
  localUrl(): Promise<string | null>;
  fetch?: typeof fetch;
}

export function createPlayground(deps: PlaygroundDeps) {
  return {
    async callTool(exposedName: unknown, args: unknown): Promise<ToolCallResult> {
      if (typeof exposedName !== 'string' || exposedName === '')
        throw new Error('Playground: pick a tool first (no tool name was given).');
      if (args === null || typeof args !== 'object' || Array.isArray(args))
        throw new Error(
          `Playground: the arguments for ${exposedName} must be a JSON object, like {"path": "notes.txt"} (got ${Array.isArray(args) ? 'an array' : JSON.stringify(args)}).`,
        );
      const url = await deps.localUrl();
      if (url === null) throw new Error('Playground: the gateway is stopped; start it on the Connect page.');
      const started = performance.now();
      const answer = await callLocalMcp(
        url,
        'tools/call',
        { name: exposedName, arguments: args as Record<string, unknown> },
        {
          clientName: PLAYGROUND_CLIENT,
          clientVersion: '1',
          // A progress token makes the gateway relay progress, which Activity then shows.
          onProgress: () => undefined,
          ...(deps.fetch ? { fetch: deps.fetch } : {}),
        },
      );
      const durationMs = Math.round(performance.now() - started);
      return answer.error ? { error: answer.error, durationMs } : { result: answer.result, durationMs };
    },
  };
}
