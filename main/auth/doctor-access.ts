/**
 * How the connection doctor gets through OAuth without a person: the doctor runs in the owner's
 * process and asks the auth service (in process, never over HTTP) for a short-lived access token for
 * a 'doctor' principal. The token is an ordinary signed access token for the current public
 * resource, so it travels the whole public path (tunnel, Host check, bearer check) like ChatGPT's.
 * Only tokens minted in this run are accepted (their ids are kept in memory), no grant stands
 * behind them, and nothing on the public side can mint one.
 *
 * The same token in `X-Tunnelgate-Dry-Run` turns /oauth/register and /oauth/authorize into dry runs:
 * every check runs, nothing is stored and no approval request is created.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AccessClaims, TokenCodec } from './token-codec.js';
import { resourceFor } from './metadata.js';
import type { Clock } from '../common/clock.js';
import { SCOPE_FULL } from '../../preload/contract.js';
import type { Principal } from './types.js';

const DOCTOR_CLIENT_ID = 'tunnelgate-doctor';
const DOCTOR_CLIENT_NAME = 'Tunnelgate doctor';
/** `sub` of doctor tokens; grant ids look like `g_...`, so none can collide with it. */
export const DOCTOR_SUBJECT = 'doctor';
const DRY_RUN_HEADER = 'x-tunnelgate-dry-run';
/** Dry-run authorize only: the CIMD document the doctor vouches ChatGPT publishes (base64url JSON). */
export const DRY_RUN_CIMD_HEADER = 'x-tunnelgate-dry-run-cimd';
const TTL_SEC = 120;

export function createDoctorAccess(deps: { codec: TokenCodec; clock: Clock }) {
  /** jti -> exp (seconds) of every doctor token minted in this run. */
  const live = new Map<string, number>();
  const sweep = (nowSec: number) => {
    for (const [jti, exp] of live) if (exp <= nowSec) live.delete(jti);
  };
  const isLive = (claims: AccessClaims): boolean => {
    const nowSec = deps.clock.now() / 1000;
    return (
      claims.sub === DOCTOR_SUBJECT &&
      claims.client_id === DOCTOR_CLIENT_ID &&
      claims.exp > nowSec &&
      (live.get(claims.jti) ?? 0) > nowSec
    );
  };
  return {
    /** A token for `origin`'s MCP resource, valid for two minutes. */
    mint(origin: string): string {
      const iat = Math.floor(deps.clock.now() / 1000);
      sweep(iat);
      const jti = randomBytes(12).toString('base64url');
      const exp = iat + TTL_SEC;
      live.set(jti, exp);
      return deps.codec.sign({
        iss: origin,
        aud: resourceFor(origin),
        sub: DOCTOR_SUBJECT,
        client_id: DOCTOR_CLIENT_ID,
        scope: SCOPE_FULL,
        iat,
        exp,
        jti,
      });
    },
    /** The principal for verified claims of a doctor token, or null when they are not one. */
    principal(claims: AccessClaims): Principal | null {
      if (!isLive(claims)) return null;
      return {
        kind: 'doctor',
        clientId: DOCTOR_CLIENT_ID,
        clientName: DOCTOR_CLIENT_NAME,
        scopes: [SCOPE_FULL],
      };
    },
    /** Whether the request carries a live doctor token in the dry-run header. */
    isDryRun(req: IncomingMessage): boolean {
      const value = req.headers[DRY_RUN_HEADER];
      if (typeof value !== 'string') return false;
      const claims = deps.codec.verify(value.trim());
      return claims !== null && isLive(claims);
    },
  };
}

export type DoctorAccess = ReturnType<typeof createDoctorAccess>;
