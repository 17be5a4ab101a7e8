import { z } from 'zod';

const toolFilter = z
  .object({
    /** Only these upstream tool names are exposed (glob `*` allowed). */
    allow: z.array(z.string()).optional(),
    /** These upstream tool names are hidden (glob `*` allowed); wins over allow. */
    deny: z.array(z.string()).optional(),
    /** Tools the owner marks safe for read-only clients even without `readOnlyHint: true`. */
    readOnly: z.array(z.string()).optional(),
  })
  .strict();

/**
 * ChatGPT's review wants these three tool hints set explicitly (true or false). An owner may set the
 * ones an upstream leaves out, per tool name (glob `*`); they are applied on top of the upstream's
 * annotations and shown as overridden, never invented by Tunnelgate.
 */
const hintOverride = z
  .object({
    readOnlyHint: z.boolean().optional(),
    destructiveHint: z.boolean().optional(),
    openWorldHint: z.boolean().optional(),
  })
  .strict();

/** An exposed name: what a client calls (PROTOCOL.md: ^[a-zA-Z0-9_-]{1,64}$). */
const exposedName = z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'names use 1-64 letters, digits, "_" and "-"');

const common = {
  /** Prefix of exposed names: `prefix__tool`. Default: the server's key; "" means no prefix. */
  prefix: z
    .string()
    .regex(/^[a-zA-Z0-9_-]*$/, 'only letters, digits, "_" and "-"')
    .optional(),
  enabled: z.boolean().optional(),
  tools: toolFilter.optional(),
  /** Per-call timeout in ms (reset by progress notifications). */
  timeoutMs: z.number().int().positive().optional(),
  /** Upstream tool name (glob `*`) -> hints set by the owner (see hintOverride). */
  annotations: z.record(z.string().min(1), hintOverride).optional(),
  /**
   * Old exposed name -> upstream tool name: ChatGPT keeps calling a tool by the name in its frozen
   * snapshot until the owner presses Refresh, so a renamed tool stays callable under its old name.
   */
  aliases: z.record(exposedName, z.string().min(1)).optional(),
};

/** Defaults of a per-client server's limits (README "One process per client"). */
export const PER_CLIENT_DEFAULTS = { maxProcesses: 8, idleMs: 10 * 60_000 } as const;

/**
 * `shared`: one process serves every client (the default). `per-client`: each client (an OAuth
 * grant, or a local client by its name) gets a process of its own, for servers that keep per-user
 * state; `${client}` in args, env and cwd becomes a short id of the client (e.g. a memory file each).
 */
const isolation = z.enum(['shared', 'per-client']).optional();

/** Limits of a per-client server: processes at once, and how long an unused one is kept. */
const perClient = z
  .object({
    /** Client processes running at once; the next client gets a clear error. */
    maxProcesses: z.number().int().min(1, 'at least 1').max(64, 'at most 64').optional(),
    /** A client's process is stopped after this long without a call (it starts again on the next one). */
    idleMs: z.number().int().min(1000, 'at least 1000 (one second)').optional(),
  })
  .strict();

/** A local program spoken to over stdio (Claude Desktop's format). */
const stdioServerSchema = z
  .object({
    type: z.literal('stdio').optional(),
    command: z.string().min(1, 'must not be empty'),
    args: z.array(z.string()).optional(),
    env: z.record(z.string(), z.string()).optional(),
    cwd: z.string().optional(),
    isolation,
    perClient: perClient.optional(),
    ...common,
  })
  .strict()
  .refine((s) => s.perClient === undefined || s.isolation === 'per-client', {
    message:
      'applies only with "isolation": "per-client" (one process per client); remove it or set isolation',
    path: ['perClient'],
  });

/** A remote server over Streamable HTTP (`http`) or the legacy HTTP+SSE transport (`sse`). */
const remoteServerSchema = z
  .object({
    type: z.enum(['http', 'sse', 'streamable-http']).optional(),
    url: z.string().refine((u) => /^https?:\/\/[^/\s]+/.test(u) && URL.canParse(u), 'not a URL'),
    headers: z.record(z.string(), z.string()).optional(),
    /** A remote server is one server for everyone: only `shared` makes sense (see stdio's). */
    isolation,
    /** Upstream OAuth sign-in options (used when the server answers 401). */
    oauth: z
      .object({
        clientId: z.string().optional(),
        scopes: z.array(z.string()).optional(),
        /** Fixed loopback port for the redirect, when the provider needs a pre-registered one. */
        redirectPort: z.number().int().min(0).max(65535).optional(),
      })
      .strict()
      .optional(),
    ...common,
  })
  .strict()
  .refine((s) => s.isolation !== 'per-client', {
    message:
      '"per-client" starts one process per client, so it needs a local server ("command"); a remote server ("url") is shared by every client: remove isolation',
    path: ['isolation'],
  });

export const serverSchema = z.union([stdioServerSchema, remoteServerSchema]);

export const configSchema = z
  .object({
    $schema: z.string().optional(),
    mcpServers: z
      .record(
        z
          .string()
          .regex(/^[a-zA-Z0-9_.-]{1,64}$/, 'server names use letters, digits, ".", "_" and "-" (1-64)'),
        serverSchema,
      )
      .default({}),
    gateway: z
      .object({
        /** The local MCP endpoint's port (clients on this computer). */
        port: z.number().int().min(0).max(65535).optional(),
        /** The public listener's port (what a tunnel or the user's own proxy forwards to); default a free one. */
        publicPort: z.number().int().min(0).max(65535).optional(),
        /** Name of a keychain secret the local MCP endpoint then requires as a bearer token. */
        localTokenSecret: z
          .string()
          .regex(/^[a-zA-Z0-9_.-]{1,64}$/, 'a secret name: 1-64 letters, digits, ".", "_" or "-"')
          .optional(),
        auth: z.enum(['oauth', 'none']).optional(),
        /** Public origin in front of the gateway (own reverse proxy), or an http loopback origin. */
        publicUrl: z
          .string()
          .refine(
            (u) => /^https?:\/\/[^/\s]+/.test(u) && URL.canParse(u),
            'not a URL (expected https://host or http://127.0.0.1:PORT)',
          )
          .optional(),
        callTimeoutMs: z.number().int().positive().optional(),
        maxBodyBytes: z.number().int().positive().optional(),
      })
      .strict()
      .optional(),
    tunnel: z
      .object({
        mode: z.enum(['off', 'quick', 'named', 'openai']).optional(),
        cloudflaredPath: z.string().optional(),
        /** Named tunnel: public hostname configured in Cloudflare's dashboard. */
        hostname: z.string().optional(),
        /** Named tunnel: name of the keychain secret holding the tunnel token. */
        tokenSecret: z.string().optional(),
        /** OpenAI Secure MCP Tunnel: the tunnel id from OpenAI's Tunnels settings (tunnel_...). */
        tunnelId: z
          .string()
          .regex(/^[A-Za-z0-9_-]{1,128}$/, "not a tunnel id (expected e.g. 'tunnel_0123abcd...')")
          .optional(),
        /** OpenAI tunnel: name of the keychain secret holding its runtime API key (never the key). */
        apiKeySecret: z.string().min(1).optional(),
        /** OpenAI tunnel: callers through it see only read-only tools (like an mcp:read grant). */
        readOnly: z.boolean().optional(),
      })
      .strict()
      .refine((t) => t.mode !== 'openai' || t.tunnelId !== undefined, {
        message: "required when tunnel.mode is 'openai' (the tunnel id from OpenAI's Tunnels settings)",
        path: ['tunnelId'],
      })
      .optional(),
    activity: z
      .object({
        retentionDays: z.number().int().positive().optional(),
        maxFileBytes: z.number().int().positive().optional(),
        /** All log files together (the oldest are deleted first). */
        maxTotalBytes: z.number().int().positive().optional(),
        ringSize: z.number().int().positive().optional(),
        /** Memory of the events kept for the window (JSON bytes). */
        maxMemoryBytes: z.number().int().positive().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type StdioServerConfig = z.infer<typeof stdioServerSchema>;
export type RemoteServerConfig = z.infer<typeof remoteServerSchema>;
export type ServerConfig = z.infer<typeof serverSchema>;
export type TunnelgateConfig = z.infer<typeof configSchema>;
export type HintOverride = z.infer<typeof hintOverride>;

export function isStdioServer(s: ServerConfig): s is StdioServerConfig {
  return 'command' in s;
}

/** Whether this server runs one process per client (`isolation: "per-client"`, stdio only). */
export function isPerClient(s: ServerConfig): s is StdioServerConfig & { isolation: 'per-client' } {
  return isStdioServer(s) && s.isolation === 'per-client';
}
