/**
 * Wiring for OpenAI's Secure MCP Tunnel (`"tunnel": {"mode": "openai", ...}`): the provider's
 * dependencies from the config, the keychain and the running gateway. Kept out of bootstrap.ts so
 * the wiring there stays one line.
 */
import { packageVersion } from './common/package-version.js';
import type { TunnelgateConfig } from './config/index.js';
import { openaiKeySecretName } from './control/settings.js';
import type { Gateway } from './gateway/gateway.js';
import type { SecretStore } from './secrets/secret-store.js';
import {
  OPENAI_API_BASE,
  openAiTunnelPrincipal,
  type OpenAiTunnelDeps,
} from './tunnel/openai-tunnel-provider.js';

export interface OpenAiTunnelInputs {
  config: TunnelgateConfig;
  secrets: SecretStore;
  gateway(): Gateway | undefined;
  fetch?: typeof fetch;
  /** TUNNELGATE_OPENAI_BASE_URL (https, or http on 127.0.0.1 for tests) replaces api.openai.com. */
  env?: Record<string, string | undefined>;
}

function baseUrl(env: Record<string, string | undefined>): string {
  const v = env['TUNNELGATE_OPENAI_BASE_URL'];
  if (!v) return OPENAI_API_BASE;
  // The API key travels to this origin: only https, or plain http to this computer (a test double).
  if (!/^https:\/\/[^/\s]+\/?$/.test(v) && !/^http:\/\/127\.0\.0\.1:[0-9]+\/?$/.test(v)) {
    throw new Error(
      `TUNNELGATE_OPENAI_BASE_URL: expected https://host or http://127.0.0.1:PORT (got '${v.slice(0, 80)}').`,
    );
  }
  return v;
}

export function openAiTunnelDeps(i: OpenAiTunnelInputs): OpenAiTunnelDeps {
  const t = i.config.tunnel ?? {};
  const tunnelId = t.tunnelId ?? '';
  const principal = openAiTunnelPrincipal(tunnelId, t.readOnly === true);
  return {
    tunnelId,
    apiKey: () => i.secrets.get(openaiKeySecretName(i.config)),
    baseUrl: baseUrl(i.env ?? process.env),
    clientVersion: packageVersion(),
    ...(i.fetch ? { fetch: i.fetch } : {}),
    serve: (req, res) => {
      const g = i.gateway();
      if (g) return g.serveAuthenticated(req, res, principal);
      // Stopped from the tray: a clear JSON-RPC error rather than silence until the deadline.
      const body = JSON.stringify({
        jsonrpc: '2.0',
        id: null,
        error: { code: -32603, message: 'The Tunnelgate gateway is stopped on this computer.' },
      });
      res.writeHead(503, { 'Content-Type': 'application/json' });
      res.end(body);
    },
  };
}
