/**
 * Who may talk to the headless dashboard listener: requests whose Host is this loopback listener
 * (DNS rebinding defence) and that carry the random token (cookie or Authorization header).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** A fresh dashboard token: 256 bits, URL-safe. */
export function generateControlToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Host must name this listener exactly. A DNS-rebinding page reaches 127.0.0.1 under its own host
 * name, so its requests carry that name in Host and are refused here.
 */
export function isAllowedHost(host: string | undefined, port: number): boolean {
  if (!host) return false;
  const h = host.toLowerCase();
  return h === `127.0.0.1:${port}` || h === `localhost:${port}`;
}

/** A present Origin must be this listener's own; browsers send one on cross-site POSTs. */
export function isAllowedOrigin(origin: string | undefined, port: number): boolean {
  if (origin === undefined) return true;
  const o = origin.toLowerCase();
  return o === `http://127.0.0.1:${port}` || o === `http://localhost:${port}`;
}

/** Cookies are shared across ports of one host, so the name carries the port of this listener. */
function cookieName(port: number): string {
  return `tunnelgate_dashboard_${port}`;
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The token a request presents, from `Authorization: Bearer` or the dashboard cookie. */
export function presentedToken(req: IncomingMessage, port: number): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice('Bearer '.length).trim();
  return cookieValue(req.headers.cookie, cookieName(port));
}

/** HttpOnly keeps it from scripts; SameSite=Strict keeps other sites' pages from sending it. */
export function sessionCookie(port: number, token: string): string {
  return `${cookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}

/**
 * The dashboard's CSP: only our own scripts and styles (no inline code), API calls to ourselves,
 * and no framing by anyone.
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
