/**
 * Ready-to-paste entries that add the gateway's local MCP endpoint to common MCP clients, in each
 * one's own config format (checked against their docs, late 2026):
 * - Claude Desktop reads `mcpServers` with stdio commands only, so a URL goes through the
 *   `mcp-remote` bridge (`npx mcp-remote <url>`; plain http is allowed on loopback);
 * - Cursor: `mcpServers` with a `url` (Streamable HTTP);
 * - VS Code: `servers` with `"type": "http"` and a `url`;
 * - Codex: TOML, one `[mcp_servers.<name>]` table with a `url`.
 */

export interface ClientSnippet {
  id: 'claude' | 'cursor' | 'vscode' | 'codex';
  client: string;
  /** Where the entry goes. */
  file: string;
  text: string;
}

const json = (v: unknown): string => JSON.stringify(v, null, 2);

/** The snippets for one endpoint URL, under the server name `name`. */
export function clientSnippets(url: string, name = 'tunnelgate'): ClientSnippet[] {
  return [
    {
      id: 'claude',
      client: 'Claude Desktop',
      file: 'claude_desktop_config.json (Settings → Developer → Edit Config); needs Node.js for npx',
      text: json({ mcpServers: { [name]: { command: 'npx', args: ['-y', 'mcp-remote', url] } } }),
    },
    {
      id: 'cursor',
      client: 'Cursor',
      file: '~/.cursor/mcp.json (every project) or .cursor/mcp.json (one project)',
      text: json({ mcpServers: { [name]: { url } } }),
    },
    {
      id: 'vscode',
      client: 'VS Code',
      file: 'mcp.json in your user profile (MCP: Open User Configuration) or .vscode/mcp.json',
      text: json({ servers: { [name]: { type: 'http', url } } }),
    },
    {
      id: 'codex',
      client: 'Codex',
      file: '~/.codex/config.toml',
      text: `[mcp_servers.${name}]\nurl = ${JSON.stringify(url)}\n`,
    },
  ];
}
