import type { ClientView } from './types.js';

/**
 * Who a call is for, as a per-client server (`isolation: "per-client"`) tells its processes apart:
 * an OAuth client by its grant (one person's connector, the same across reconnects and sessions);
 * OpenAI's tunnel by its client; a local client by the name it gives (Claude Desktop and Cursor are
 * different clients of the same owner, and keep their process across reconnects), else its session.
 * Everyone behind the `--auth none` secret path is one anonymous client: nothing tells them apart.
 */
export function clientKeyOf(client: ClientView): string {
  const p = client.principal;
  if (p.grantId !== undefined) return `grant:${p.grantId}`;
  if (p.kind === 'local') {
    const name = client.clientInfo?.['name'];
    if (typeof name === 'string' && name !== '') return `local:${name}`;
    if (client.sessionId !== undefined) return `session:${client.sessionId}`;
    return 'local';
  }
  return `${p.kind}:${p.clientId ?? ''}`;
}

/**
 * The client's name as the owner knows it: the name approved for its grant, else the name it gave
 * in clientInfo; undefined when it gave none.
 */
export function clientNameOf(client: ClientView): string | undefined {
  const name = client.principal.clientName ?? client.clientInfo?.['name'];
  // Chosen by the client: kept short for a log tag.
  if (typeof name === 'string' && name !== '') return name.slice(0, 80);
  return client.principal.kind === 'tunnel' ? "OpenAI's tunnel" : undefined;
}
