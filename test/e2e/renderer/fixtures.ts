/** Stub states for the renderer checks: what a running gateway would report. */
import type { AppStatus } from '../../../preload/contract.js';
import type { StubInit } from './stub-bridge.js';

export function stubInit(overrides: Partial<StubInit> = {}): StubInit {
  const now = Date.now();
  return {
    status: {
      gateway: {
        running: true,
        port: 8740,
        localUrl: 'http://127.0.0.1:8740/mcp',
        publicListener: 'http://127.0.0.1:8741',
        connectorUrl: 'https://calm-river-lake.trycloudflare.com/mcp',
        authMode: 'oauth',
      },
      tunnel: {
        mode: 'quick',
        phase: 'ready',
        url: 'https://calm-river-lake.trycloudflare.com',
        reachable: 'yes',
      },
      checklist: { gatewayRunning: true, tunnelReady: true, reachable: true, clientApproved: false },
      pendingApprovals: 1,
      keychain: { available: true },
    },
    servers: [
      {
        name: 'memory',
        transport: 'stdio',
        enabled: true,
        status: 'ready',
        restarts: 0,
        toolCount: 2,
        tools: [
          {
            name: 'read_graph',
            exposedName: 'memory__read_graph',
            enabled: true,
            readOnly: true,
            description: 'Read the whole knowledge graph',
          },
          {
            name: 'create_entities',
            exposedName: 'memory__create_entities',
            enabled: true,
            readOnly: false,
            description: 'Create entities',
          },
          {
            name: 'delete_entities',
            exposedName: 'memory__delete_entities',
            enabled: false,
            readOnly: false,
          },
        ],
        prompts: [],
        resources: [],
        resourceTemplates: [],
        needsSignIn: false,
        missingSecrets: [],
        config: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'] },
      },
      {
        name: 'github',
        transport: 'http',
        enabled: true,
        status: 'misconfigured',
        error: "Missing secret 'github': enter it below to start this server.",
        restarts: 0,
        toolCount: 0,
        tools: [],
        prompts: [],
        resources: [],
        resourceTemplates: [],
        needsSignIn: false,
        missingSecrets: ['github'],
        config: {
          url: 'https://api.githubcopilot.com/mcp/',
          headers: { Authorization: 'Bearer ${secret:github}' },
        },
      },
      {
        name: 'linear',
        transport: 'http',
        enabled: true,
        status: 'needs-auth',
        error: 'Linear needs you to sign in.',
        restarts: 0,
        toolCount: 0,
        tools: [],
        prompts: [],
        resources: [],
        resourceTemplates: [],
        needsSignIn: true,
        missingSecrets: [],
        config: { url: 'https://mcp.linear.app/mcp' },
      },
    ],
    approvals: [
      {
        id: 'req-1',
        pairingCode: 'KX7-42Q',
        clientId: 'https://chatgpt.com/oauth/client.json',
        clientName: 'ChatGPT',
        redirectHost: 'chatgpt.com',
        redirectUri: 'https://chatgpt.com/connector/oauth/g-4f2a9c',
        cimdUrl: 'https://chatgpt.com/oauth/client.json',
        requestedScopes: ['mcp:full'],
        address: '2001:db8:42::17',
        createdAt: now - 20_000,
        expiresAt: now + 5 * 60_000,
      },
    ],
    grants: [
      {
        id: 'g-1',
        clientId: 'mcp-remote-123',
        clientName: 'mcp-remote',
        scopes: ['mcp:read'],
        createdAt: now - 86_400_000,
        lastUsedAt: now - 60_000,
        redirectHost: '127.0.0.1',
      },
    ],
    settings: {
      port: 8740,
      authMode: 'oauth',
      tunnelMode: 'quick',
      tunnelTokenStored: false,
      launchAtLogin: false,
      logRetentionDays: 14,
    },
    secrets: ['openai'],
    activityCount: 0,
    ...overrides,
  };
}

/** A gateway with no public URL: its quick tunnel in `phase`, with `extra` (an error, a download). */
export function notPublicInit(
  phase: AppStatus['tunnel']['phase'],
  extra: Partial<AppStatus['tunnel']> = {},
): StubInit {
  const init = stubInit();
  init.status.gateway.connectorUrl = null;
  init.status.tunnel = { mode: 'quick', phase, url: null, reachable: 'unknown', ...extra };
  return init;
}
