import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { CimdResolver } from './cimd.js';
import { isCimdClientId } from './cimd.js';
import { cleanClientName } from './client-name.js';
import type { ClientRecord } from './client-record.js';
import { createSerialWriter, readJsonFile } from './json-file.js';
import { redirectUriProblem } from './redirect-uri.js';
import type { Clock } from '../common/clock.js';

export type RegistrationResult =
  | { ok: true; client: ClientRecord; response: Record<string, unknown> }
  | { ok: false; error: 'invalid_redirect_uri' | 'invalid_client_metadata'; description: string };

export type LookupResult = { ok: true; client: ClientRecord } | { ok: false; description: string };

/** Real clients register one or two redirect URIs; a bound keeps each record (and clients.json) small. */
const MAX_REDIRECT_URIS = 10;

interface ClientsFile {
  version: 1;
  clients: ClientRecord[];
}

/**
 * Registered clients. Dynamic Client Registration (RFC 7591) is open to anyone, so a registration
 * lives in memory only, with a TTL refreshed by each authorization request, until the owner's
 * approval turns into a grant: then `keep` writes the client to `<dataDir>/auth/clients.json`
 * (public clients only, so the file holds no secret). The file therefore changes only when a client
 * gains or loses its last grant, never per registration (issue 10: a flood of registrations rewrote
 * the whole file each time, 454 MB a minute from one address). Client ID Metadata Document clients
 * are resolved on demand through the CIMD resolver and never stored here.
 */
export async function createClientRegistry(deps: {
  dataDir: string;
  clock: Clock;
  cimd: CimdResolver;
  /** Registrations waiting for a grant, at most (the oldest unused one makes room). */
  maxClients?: number;
  /** How long a registration without a grant is remembered after its last use; 24 h by default. */
  registrationTtlMs?: number;
  /** Whether a client holds a grant: such a client is stored, and never evicted to make room. */
  inUse?: (clientId: string) => boolean;
  warn?: (message: string) => void;
}) {
  const path = join(deps.dataDir, 'auth', 'clients.json');
  const maxClients = deps.maxClients ?? 1000;
  const ttlMs = deps.registrationTtlMs ?? 24 * 3_600_000;
  const inUse = deps.inUse ?? (() => false);
  const file = await readJsonFile<ClientsFile>(path, { version: 1, clients: [] }, deps.warn);
  /** Clients that hold a grant: exactly what clients.json lists. */
  const kept = new Map<string, ClientRecord>();
  /** Registrations without a grant, in memory, least recently used first (Map order). */
  const provisional = new Map<string, { client: ClientRecord; expiresAt: number }>();
  const writer = createSerialWriter(path, (): ClientsFile => ({ version: 1, clients: [...kept.values()] }));

  /** A stored client's lastSeenAt changed: written at the next save or at close, not per request. */
  let touchedKept = false;
  const remember = (client: ClientRecord, now = deps.clock.now()) => {
    provisional.delete(client.clientId);
    provisional.set(client.clientId, { client, expiresAt: now + ttlMs });
  };
  // A file from before issue 10 may list thousands of clients without a grant: those go back to
  // memory (they can still finish connecting for a while) and the file is rewritten once, small.
  for (const c of file.clients ?? []) {
    if (inUse(c.clientId)) kept.set(c.clientId, c);
    else remember(c);
  }
  if (kept.size !== (file.clients ?? []).length) await writer.save();

  function sweep(): void {
    const now = deps.clock.now();
    for (const [id, p] of provisional) {
      if (p.expiresAt > now) break; // Map order is last use, so the rest are fresher
      provisional.delete(id);
    }
  }

  /**
   * Makes room for one more registration by dropping the least recently used one without a grant
   * (registration is open to anyone, so the list is bounded). False when every slot is in use.
   */
  function makeRoom(): boolean {
    sweep();
    if (provisional.size < maxClients) return true;
    for (const id of provisional.keys()) {
      if (inUse(id)) continue;
      provisional.delete(id);
      return true;
    }
    return false;
  }

  return {
    /**
     * Validates an RFC 7591 registration body and stores the client. A dry run (the connection
     * doctor) runs every check and answers the same, but stores nothing and evicts nobody.
     */
    async register(body: unknown, opts: { dryRun?: boolean } = {}): Promise<RegistrationResult> {
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        return {
          ok: false,
          error: 'invalid_client_metadata',
          description: 'The registration body must be a JSON object (RFC 7591 §2).',
        };
      }
      const b = body as Record<string, unknown>;
      const uris = b.redirect_uris;
      if (!Array.isArray(uris) || uris.length === 0) {
        return {
          ok: false,
          error: 'invalid_redirect_uri',
          description: 'redirect_uris is required: a non-empty array of https or loopback http URIs.',
        };
      }
      if (uris.length > MAX_REDIRECT_URIS) {
        return {
          ok: false,
          error: 'invalid_redirect_uri',
          description: `redirect_uris lists ${uris.length} URIs; at most ${MAX_REDIRECT_URIS} are accepted.`,
        };
      }
      for (const [i, uri] of uris.entries()) {
        const problem = redirectUriProblem(uri);
        if (problem)
          return { ok: false, error: 'invalid_redirect_uri', description: `redirect_uris[${i}] ${problem}.` };
      }
      if (Array.isArray(b.grant_types) && !b.grant_types.includes('authorization_code')) {
        return {
          ok: false,
          error: 'invalid_client_metadata',
          description:
            'grant_types must include "authorization_code"; this server issues tokens only through it (and refresh_token).',
        };
      }
      if (Array.isArray(b.response_types) && !b.response_types.includes('code')) {
        return {
          ok: false,
          error: 'invalid_client_metadata',
          description: 'response_types must include "code".',
        };
      }
      const name = cleanClientName(b.client_name, 'Unnamed client');
      const now = deps.clock.now();
      const client: ClientRecord = {
        clientId: `tgc_${randomBytes(16).toString('base64url')}`,
        clientName: name,
        redirectUris: [...(uris as string[])],
        source: 'dcr',
        createdAt: now,
      };
      if (!opts.dryRun && !makeRoom()) {
        return {
          ok: false,
          error: 'invalid_client_metadata',
          description: `Tunnelgate already has ${maxClients} connected clients. The owner must revoke one in Tunnelgate before another can register.`,
        };
      }
      // Memory only: the client reaches clients.json once it holds a grant (keep).
      if (!opts.dryRun) remember(client, now);
      // RFC 7591 §3.2.1: the server may replace requested values; every client here is public, so
      // token_endpoint_auth_method is always "none" whatever was asked (ChatGPT asks for "none").
      const response: Record<string, unknown> = {
        client_id: client.clientId,
        client_id_issued_at: Math.floor(now / 1000),
        client_name: client.clientName,
        redirect_uris: client.redirectUris,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      };
      if (typeof b.application_type === 'string') response.application_type = b.application_type;
      if (typeof b.scope === 'string') response.scope = b.scope;
      return { ok: true, client, response };
    },

    /** Finds a client by id: a registered one, or a CIMD URL fetched (with SSRF care) and cached. */
    async lookup(clientId: string): Promise<LookupResult> {
      sweep();
      const known = kept.get(clientId) ?? provisional.get(clientId)?.client;
      if (known) return { ok: true, client: known };
      if (!isCimdClientId(clientId))
        return {
          ok: false,
          description:
            'This client_id is not registered here. Register the client again (RFC 7591) and retry.',
        };
      try {
        return { ok: true, client: await deps.cimd.load(clientId) };
      } catch (err) {
        return {
          ok: false,
          description: `The client's metadata document could not be used: ${(err as Error).message}.`,
        };
      }
    },

    /**
     * The client a Client ID Metadata Document describes, checked by the same rules as a fetched one
     * but not fetched (the doctor's dry run supplies the document); never cached or stored.
     */
    checkDocument(clientId: string, document: unknown): LookupResult {
      try {
        return { ok: true, client: deps.cimd.accept(clientId, document) };
      } catch (err) {
        return {
          ok: false,
          description: `The client's metadata document could not be used: ${(err as Error).message}.`,
        };
      }
    },

    /** Records that a client was used: eviction drops stale ones first, and a registration lives on. */
    touch(clientId: string): void {
      const c = kept.get(clientId) ?? provisional.get(clientId)?.client;
      if (!c) return;
      c.lastSeenAt = deps.clock.now();
      if (kept.has(clientId)) touchedKept = true;
      else remember(c);
    },

    /**
     * Stores a registered client that now holds a grant (call before the grant is created, so a grant
     * on disk always finds its client after a restart). Resolves once clients.json is written; no
     * write when the client is already stored or is not a registration (CIMD).
     */
    async keep(clientId: string): Promise<void> {
      const p = provisional.get(clientId);
      if (!p) return;
      provisional.delete(clientId);
      kept.set(clientId, p.client);
      await writer.save();
    },

    /**
     * Makes clients.json match the grants after they changed: a stored client without any grant goes
     * back to memory (TTL), and a registration that holds one is stored (should `keep` have lost a
     * race with a revocation elsewhere). Writes only when something moved.
     */
    async sync(): Promise<void> {
      let changed = false;
      for (const [id, c] of kept) {
        if (inUse(id)) continue;
        kept.delete(id);
        remember(c);
        changed = true;
      }
      for (const [id, p] of provisional) {
        if (!inUse(id)) continue;
        provisional.delete(id);
        kept.set(id, p.client);
        changed = true;
      }
      // Also when nothing moved here: a concurrent call may have, and its write must be on disk.
      await (changed ? writer.save() : writer.flush());
    },

    async close(): Promise<void> {
      await (touchedKept ? writer.save() : writer.flush()).catch(() => undefined);
    },
  };
}

export type ClientRegistry = Awaited<ReturnType<typeof createClientRegistry>>;
