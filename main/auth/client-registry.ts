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
 * Registered clients: Dynamic Client Registration (RFC 7591) records persisted in
 * `<dataDir>/auth/clients.json` (public clients only, so the file holds no secret), and Client ID
 * Metadata Document clients resolved on demand through the CIMD resolver.
 */
export async function createClientRegistry(deps: {
  dataDir: string;
  clock: Clock;
  cimd: CimdResolver;
  maxClients?: number;
  /** Whether a client holds a grant: such a client is never evicted to make room (a flood must not disconnect the owner). */
  inUse?: (clientId: string) => boolean;
  warn?: (message: string) => void;
}) {
  const path = join(deps.dataDir, 'auth', 'clients.json');
  const maxClients = deps.maxClients ?? 1000;
  const file = await readJsonFile<ClientsFile>(path, { version: 1, clients: [] }, deps.warn);
  const clients = new Map<string, ClientRecord>((file.clients ?? []).map((c) => [c.clientId, c]));
  const writer = createSerialWriter(path, (): ClientsFile => ({
    version: 1,
    clients: [...clients.values()],
  }));

  /**
   * Makes room for one more registration by dropping the stalest client without a grant (registration
   * is open to anyone, so the list is bounded). False when every slot belongs to an approved client.
   */
  function makeRoom(): boolean {
    if (clients.size < maxClients) return true;
    const evictable = [...clients.values()].filter((c) => !deps.inUse?.(c.clientId));
    const oldest = evictable.sort((a, b) => (a.lastSeenAt ?? a.createdAt) - (b.lastSeenAt ?? b.createdAt))[0];
    if (!oldest) return false;
    clients.delete(oldest.clientId);
    return true;
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
      if (!opts.dryRun) {
        clients.set(client.clientId, client);
        await writer.save();
      }
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
      const known = clients.get(clientId);
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

    /** Records that a client was used, so eviction drops the stale ones first. */
    touch(clientId: string): void {
      const c = clients.get(clientId);
      if (c) c.lastSeenAt = deps.clock.now();
    },

    async close(): Promise<void> {
      await writer.save().catch(() => undefined);
    },
  };
}

export type ClientRegistry = Awaited<ReturnType<typeof createClientRegistry>>;
