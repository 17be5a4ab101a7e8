import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { ApprovalRequestView, GrantRevocationView, GrantView } from '../../preload/contract.js';
import type { SecretStore } from '../secrets/secret-store.js';
import type { AuthContext } from './auth-context.js';
import { withParams } from './authorize-endpoint.js';
import { authenticateBearer } from './bearer-auth.js';
import { createCimdResolver } from './cimd.js';
import { createAssertionVerifier } from './client-assertion.js';
import { createClientJwks } from './client-jwks.js';
import { createHttpsCimdTransport, type CimdTransport } from './cimd-transport.js';
import { createClientRegistry } from './client-registry.js';
import { createCodeStore } from './code-store.js';
import { createDoctorAccess } from './doctor-access.js';
import { autoRevokeMessage, createGrantStore, type GrantRevocation } from './grant-store.js';
import { sendJson } from './http-util.js';
import { createSerialWriter, readJsonFile } from './json-file.js';
import { SCOPES_SUPPORTED } from '../../preload/contract.js';
import { issuerOfResource, LEGACY_ALIASES, resourceFor } from './metadata.js';
import { createPendingRequests } from './pending-requests.js';
import { createRateLimiter } from './rate-limiter.js';
import { redirectHost } from './redirect-uri.js';
import { routeOAuth } from './oauth-routes.js';
import { createSecretMatcher } from './secret-equals.js';
import { createTokenCodec } from './token-codec.js';
import { systemClock, type Clock } from '../common/clock.js';
import type { AuthDecision, PublicAuthHook } from './types.js';

/** SecretStore names this service owns (":" marks names Tunnelgate makes itself). */
export const SIGNING_KEY_SECRET = 'auth:signing-key';
export const NONE_PATH_SECRET = 'auth:none-path';

export interface AuthServiceDeps {
  mode: 'oauth' | 'none';
  /** Current public origin (https://x.trycloudflare.com, or http://127.0.0.1:PORT locally); null if unknown. */
  publicOrigin(): string | null;
  secrets: SecretStore;
  /** Folder for non-secret grant and client metadata (`<dataDir>/auth/*.json`). */
  dataDir: string;
  clock?: Clock;
  /** Network for Client ID Metadata Documents; tests inject one so nothing leaves the machine. */
  cimdTransport?: CimdTransport;
  accessTokenTtlSec?: number;
  pendingTtlMs?: number;
  /** How long a /token, /register or /revoke body may take to arrive; 10 s by default. */
  bodyTimeoutMs?: number;
  limits?: { failedAuthPerMinute?: number; callsPerMinute?: number; requestsPerMinute?: number };
}

export interface AuthEvents {
  pending: ApprovalRequestView[];
  grants: GrantView[];
  'url-changed': { previous: string; current: string };
  /** Tunnelgate revoked a grant by itself (a reused refresh token or code): tell the owner. */
  'grant-revoked': GrantRevocationView;
}

/** The public auth hook plus the owner's controls (called by the control service, never by the public side). */
export interface AuthService extends PublicAuthHook {
  readonly mode: 'oauth' | 'none';
  /** Problems the owner should see (e.g. keychain unavailable: grants will not survive a restart). */
  readonly warnings: readonly string[];
  listPending(): ApprovalRequestView[];
  approve(id: string, scopes: string[]): Promise<void>;
  deny(id: string): Promise<void>;
  listGrants(): GrantView[];
  revokeGrant(id: string): Promise<void>;
  /** Grants Tunnelgate revoked by itself lately (newest first), with the reason in words. */
  recentRevocations(): GrantRevocationView[];
  /** Re-reads the public origin now (call when the tunnel URL changes); emits 'url-changed'. */
  refreshOrigin(): string | null;
  /** The last change of public origin seen (also across restarts), for a status shown after the fact. */
  lastUrlChange(): { previous: string; current: string } | undefined;
  /**
   * A two-minute access token for the connection doctor (auth/doctor-access.ts), bound to the
   * current public resource; in process only. Null in mode 'none' or before the public URL is known.
   */
  mintDoctorToken(): { token: string; origin: string } | null;
  on<E extends keyof AuthEvents>(event: E, listener: (payload: AuthEvents[E]) => void): () => void;
  close(): Promise<void>;
}

async function loadOrCreateSecret(
  secrets: SecretStore,
  name: string,
  warnings: string[],
  what: string,
): Promise<string> {
  const value = randomBytes(32).toString('base64url');
  let existing: string | undefined;
  try {
    existing = await secrets.get(name);
  } catch (err) {
    // Unreadable is not absent: never overwrite a stored value we merely failed to read (for mode
    // 'none' it is the connector URL itself). Run on a temporary value and say so.
    warnings.push(
      `${what} could not be read from the keychain (${(err as Error).message}); a temporary one is used until Tunnelgate restarts.`,
    );
    return value;
  }
  if (existing) return existing;
  try {
    await secrets.set(name, value);
  } catch (err) {
    warnings.push(
      `${what} could not be saved in the keychain (${(err as Error).message}); it lasts until Tunnelgate quits.`,
    );
  }
  return value;
}

/**
 * Builds the ChatGPT-facing authorization side: OAuth 2.1 authorization server with owner approval
 * (mode 'oauth') or the secret-path check (mode 'none'). Async because keys come from the keychain
 * and grants from the data folder.
 */
export async function createAuthService(deps: AuthServiceDeps): Promise<AuthService> {
  const clock = deps.clock ?? systemClock;
  const warnings: string[] = [];
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  const emit = <E extends keyof AuthEvents>(event: E, payload: AuthEvents[E]) => {
    for (const l of listeners.get(event) ?? []) {
      try {
        l(payload);
      } catch {
        // A listener's failure must not break the auth path.
      }
    }
  };

  // The last public origin is remembered across restarts: a quick tunnel gets a new URL at each start,
  // and that is exactly when the owner must hear that the connector has to be re-created.
  const originFile = join(deps.dataDir, 'auth', 'public-origin.json');
  const remembered = await readJsonFile<{ publicOrigin?: string }>(originFile, {}, (m) => warnings.push(m));
  let lastOrigin: string | null =
    typeof remembered.publicOrigin === 'string' ? remembered.publicOrigin : null;
  const originWriter = createSerialWriter(originFile, () => ({ publicOrigin: lastOrigin }));
  let lastChange: { previous: string; current: string } | undefined;
  let onOriginChange = (_previous: string): void => undefined;
  const publicNow = (): string | null => {
    const raw = deps.publicOrigin();
    let current: string | null = null;
    if (raw) {
      try {
        current = new URL(raw).origin;
      } catch {
        current = null;
      }
    }
    if (current && current !== lastOrigin) {
      const previous = lastOrigin;
      lastOrigin = current;
      void originWriter.save().catch(() => undefined);
      if (previous) {
        lastChange = { previous, current };
        onOriginChange(previous);
        emit('url-changed', lastChange);
      }
    }
    return current;
  };
  /**
   * The origin every request is served under: the public one. Nothing reaching the public listener is
   * treated as local, whatever its Host says (a reverse proxy rewriting Host to 127.0.0.1 would make
   * the internet look local); clients on this computer use the local MCP endpoint, which has no OAuth.
   */
  const origin = (): string | null => publicNow();

  const noneSecret =
    deps.mode === 'none'
      ? await loadOrCreateSecret(deps.secrets, NONE_PATH_SECRET, warnings, 'The secret URL path')
      : '';
  const secretPath = `/s/${noneSecret}/mcp`;
  // Constant-time check of the secret path (mode 'none'); the matcher keeps the expected digest, so
  // each request hashes only the presented path.
  const secretPaths = [secretPath];
  const isSecretPath = createSecretMatcher();
  const key =
    deps.mode === 'oauth'
      ? await loadOrCreateSecret(deps.secrets, SIGNING_KEY_SECRET, warnings, 'The token signing key')
      : randomBytes(32).toString('base64url');

  const transport = deps.cimdTransport ?? createHttpsCimdTransport();
  const cimd = createCimdResolver({ transport, clock });
  const jwks = createClientJwks({ transport, clock });
  const warn = (m: string) => warnings.push(m);
  const grants = await createGrantStore({
    dataDir: deps.dataDir,
    clock,
    warn,
    onChange: () => {
      // A client whose last grant went is no longer stored (only clients with a grant are).
      void clients.sync().catch((err: unknown) => warn(`clients.json: ${(err as Error).message}`));
      emit('grants', listGrants());
    },
    onAutoRevoke: (r) => emit('grant-revoked', revocationView(r)),
  });
  const clients = await createClientRegistry({
    dataDir: deps.dataDir,
    clock,
    cimd,
    warn,
    inUse: (id) => grants.list().some((g) => g.clientId === id),
  });
  const pending = createPendingRequests({
    clock,
    ttlMs: deps.pendingTtlMs,
    onChange: () => emit('pending', listPending()),
  });
  const minute = 60_000;
  const codec = createTokenCodec(Buffer.from(key, 'base64url'));
  const ctx: AuthContext = {
    clock,
    origin,
    clients,
    pending,
    codes: createCodeStore({ clock }),
    grants,
    codec,
    assertions: createAssertionVerifier({ clock, jwks }),
    doctor: createDoctorAccess({ codec, clock }),
    accessTokenTtlSec: deps.accessTokenTtlSec ?? 3600,
    bodyTimeoutMs: deps.bodyTimeoutMs,
    limits: {
      failures: createRateLimiter({ limit: deps.limits?.failedAuthPerMinute ?? 30, windowMs: minute, clock }),
      calls: createRateLimiter({ limit: deps.limits?.callsPerMinute ?? 600, windowMs: minute, clock }),
      requests: createRateLimiter({ limit: deps.limits?.requestsPerMinute ?? 30, windowMs: minute, clock }),
    },
  };
  // Requests waiting for the old URL could only yield tokens for it: they expire with it.
  onOriginChange = (previous) => pending.expireWhere((r) => r.resource === resourceFor(previous));
  publicNow();
  const sweeper = setInterval(() => pending.sweep(), 15_000);
  sweeper.unref();

  function listPending(): ApprovalRequestView[] {
    return pending.list().map((r) => ({
      id: r.id,
      pairingCode: r.pairingCode,
      clientId: r.client.clientId,
      clientName: r.client.clientName,
      redirectHost: redirectHost(r.redirectUri),
      redirectUri: r.redirectUri,
      ...(r.client.cimdUrl ? { cimdUrl: r.client.cimdUrl } : {}),
      requestedScopes: r.requestedScopes,
      ...(r.ip !== undefined ? { address: r.ip } : {}),
      createdAt: r.createdAt,
      expiresAt: r.expiresAt,
    }));
  }

  function listGrants(): GrantView[] {
    return grants.list().map((g) => ({
      id: g.id,
      clientId: g.clientId,
      clientName: g.clientName,
      scopes: g.scopes,
      createdAt: g.createdAt,
      ...(g.lastUsedAt !== undefined ? { lastUsedAt: g.lastUsedAt } : {}),
      redirectHost: g.redirectHost,
      resource: g.resource,
    }));
  }

  function revocationView(r: GrantRevocation): GrantRevocationView {
    return { ...r, message: autoRevokeMessage(r.reason) };
  }

  function openRequest(id: string) {
    const r = pending.get(id);
    if (!r || r.status !== 'pending') {
      throw new Error(
        `No connection request with id ${id} is waiting (it was decided, expired after ${Math.round((deps.pendingTtlMs ?? 600_000) / 60_000)} min, or Tunnelgate restarted). Ask the client to connect again.`,
      );
    }
    return r;
  }

  let closed = false;
  const service: AuthService = {
    mode: deps.mode,
    warnings,

    mcpPaths() {
      return deps.mode === 'oauth' ? ['/mcp'] : [secretPath];
    },

    async handle(req, res, url) {
      if (deps.mode !== 'oauth') return false;
      const path = LEGACY_ALIASES[url.pathname] ?? url.pathname;
      try {
        return await routeOAuth(ctx, req, res, path);
      } catch {
        if (!res.headersSent)
          sendJson(
            res,
            500,
            { error: 'server_error', error_description: 'The authorization server failed; try again.' },
            { noStore: true },
          );
        else res.destroy();
        return true;
      }
    },

    async authenticate(req, url): Promise<AuthDecision> {
      const notFound: AuthDecision = { ok: false, status: 404, body: { error: 'not_found' } };
      if (deps.mode === 'none') {
        if (isSecretPath(url.pathname, secretPaths))
          return { ok: true, principal: { kind: 'anonymous', scopes: [...SCOPES_SUPPORTED] } };
        return notFound;
      }
      if (url.pathname !== '/mcp') return notFound;
      return authenticateBearer(ctx, req);
    },

    listPending,

    async approve(id, scopes) {
      const r = openRequest(id);
      const bad = scopes.filter((s) => !SCOPES_SUPPORTED.includes(s));
      if (scopes.length === 0 || bad.length) {
        throw new Error(
          `approve: scopes must be a non-empty subset of ${SCOPES_SUPPORTED.join(', ')} (got ${JSON.stringify(scopes)}).`,
        );
      }
      const code = ctx.codes.issue({
        clientId: r.client.clientId,
        clientName: r.client.clientName,
        cimdUrl: r.client.cimdUrl,
        redirectUri: r.redirectUri,
        codeChallenge: r.codeChallenge,
        resource: r.resource,
        scopes: [...new Set(scopes)],
        ...(r.client.authMethod ? { authMethod: r.client.authMethod } : {}),
      });
      // RFC 9207 §2: `iss` on every authorization response, so the client can tell which server answered.
      const iss = issuerOfResource(r.resource);
      pending.decide(id, 'approved', {
        redirectTo: withParams(r.redirectUri, { code, state: r.state, iss }),
      });
    },

    async deny(id) {
      const r = openRequest(id);
      const answer = withParams(r.redirectUri, {
        error: 'access_denied',
        error_description: 'The owner denied this request in Tunnelgate.',
        state: r.state,
        iss: issuerOfResource(r.resource),
      });
      // RFC 9700 §4.11.2: the browser is sent back by itself only to an address the owner approved
      // for this client before; otherwise the page says "denied" and offers the way back as a link.
      const approved = grants.approvesRedirect(r.client.clientId, r.redirectUri);
      pending.decide(id, 'denied', approved ? { redirectTo: answer } : { returnTo: answer });
    },

    listGrants,

    async revokeGrant(id) {
      if (!(await grants.revoke(id)))
        throw new Error(
          `No grant with id ${id}: it was already revoked. Refresh the list of connected clients.`,
        );
      await clients.sync();
    },

    recentRevocations: () => grants.autoRevocations().map(revocationView),

    refreshOrigin: publicNow,
    lastUrlChange: () => lastChange,

    mintDoctorToken() {
      const current = publicNow();
      if (deps.mode !== 'oauth' || !current) return null;
      return { token: ctx.doctor.mint(current), origin: current };
    },

    on(event, listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener as (p: unknown) => void);
      return () => set!.delete(listener as (p: unknown) => void);
    },

    async close() {
      if (closed) return;
      closed = true;
      clearInterval(sweeper);
      pending.close();
      ctx.codes.close();
      cimd.close();
      jwks.close();
      ctx.assertions.close();
      for (const l of Object.values(ctx.limits)) l.close();
      await grants.close();
      await originWriter.flush().catch(() => undefined);
      await clients.close();
      listeners.clear();
    },
  };
  return service;
}
