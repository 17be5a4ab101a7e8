import type { IncomingMessage } from 'node:http';
import type { AssertionVerifier } from './client-assertion.js';
import type { ClientRegistry } from './client-registry.js';
import type { CodeStore } from './code-store.js';
import type { DoctorAccess } from './doctor-access.js';
import type { GrantStore } from './grant-store.js';
import type { PendingRequests } from './pending-requests.js';
import type { RateLimiter } from './rate-limiter.js';
import type { TokenCodec } from './token-codec.js';
import type { Clock } from '../common/clock.js';

/** The parts the OAuth endpoints share; built once by createAuthService. */
export interface AuthContext {
  clock: Clock;
  /**
   * The public origin now (no trailing slash), or null when unknown. The same for every request: the
   * public listener never treats a request as local (issue 10).
   */
  origin(req?: IncomingMessage): string | null;
  clients: ClientRegistry;
  pending: PendingRequests;
  codes: CodeStore;
  grants: GrantStore;
  codec: TokenCodec;
  /** RFC 7523 client assertions of private_key_jwt clients. */
  assertions: AssertionVerifier;
  /** The connection doctor's in-process tokens and the dry-run seam. */
  doctor: DoctorAccess;
  accessTokenTtlSec: number;
  /** How long an OAuth request body may take to arrive (slow-body defence). */
  bodyTimeoutMs?: number;
  limits: {
    /** Failed authentications (bad tokens, bad codes) per IP. */
    failures: RateLimiter;
    /** MCP calls per OAuth client. */
    calls: RateLimiter;
    /** Registrations and authorization requests per IP. */
    requests: RateLimiter;
  };
}
