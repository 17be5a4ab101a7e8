import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Claims of an access token (RFC 9068 names). `sub` is the grant id. */
export interface AccessClaims {
  iss: string;
  aud: string;
  sub: string;
  client_id: string;
  scope: string;
  iat: number;
  exp: number;
  jti: string;
}

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'at+jwt' })).toString('base64url');

/**
 * Access tokens as HS256-signed JWTs (RFC 7519, RFC 9068 profile). Only this process verifies them,
 * so a symmetric key from the SecretStore is enough; a forged or altered token fails the MAC.
 */
export function createTokenCodec(key: Buffer) {
  const mac = (input: string) => createHmac('sha256', key).update(input).digest();
  return {
    sign(claims: AccessClaims): string {
      const body = `${HEADER}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
      return `${body}.${mac(body).toString('base64url')}`;
    },
    /** The claims if the signature is ours and the shape is right; null otherwise (no time checks). */
    verify(token: string): AccessClaims | null {
      const parts = token.split('.');
      if (parts.length !== 3 || parts[0] !== HEADER) return null;
      const given = Buffer.from(parts[2]!, 'base64url');
      const expected = mac(`${parts[0]}.${parts[1]}`);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
      try {
        const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as AccessClaims;
        const strings = [claims.iss, claims.aud, claims.sub, claims.client_id, claims.scope, claims.jti];
        if (
          strings.some((s) => typeof s !== 'string') ||
          typeof claims.exp !== 'number' ||
          typeof claims.iat !== 'number'
        )
          return null;
        return claims;
      } catch {
        return null;
      }
    },
  };
}

export type TokenCodec = ReturnType<typeof createTokenCodec>;

/** A fresh random token value (256 bits), URL-safe. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** SHA-256 of a token, hex: what is stored instead of refresh tokens and codes. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
