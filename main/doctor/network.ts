/**
 * The doctor's way onto the network, as a port: the real one resolves and connects like any client
 * on this machine; tests point it at the fake cloudflared's "edge" (test/fixtures/fake-cloudflared).
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { connect } from 'node:tls';

export interface TlsResult {
  /** Whether the certificate chains to a trusted root and names the host. */
  authorized: boolean;
  /** False when no handshake took place (no address, refused, timed out): no certificate was seen. */
  reached?: boolean;
  error?: string;
  protocol?: string;
  /** Certificate expiry, as the certificate says it (e.g. 'Mar  1 12:00:00 2027 GMT'). */
  validTo?: string;
  issuer?: string;
}

export interface DoctorNetwork {
  fetch: typeof fetch;
  lookup(host: string): Promise<{ address: string; family: number }[]>;
  tls(host: string, port: number): Promise<TlsResult>;
}

const TLS_TIMEOUT_MS = 10_000;

/** A TLS handshake with SNI, as ChatGPT's fetcher makes it; the certificate is checked by Node's CA store. */
export function tlsHandshake(
  host: string,
  port: number,
  options: { connectHost?: string; ca?: string | Buffer } = {},
): Promise<TlsResult> {
  return new Promise((resolve) => {
    const socket = connect({
      host: options.connectHost ?? host,
      port,
      servername: host,
      rejectUnauthorized: false,
      ...(options.ca ? { ca: options.ca } : {}),
    });
    const done = (r: TlsResult) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    const timer = setTimeout(
      () =>
        done({
          authorized: false,
          reached: false,
          error: `no TLS handshake within ${TLS_TIMEOUT_MS / 1000} s`,
        }),
      TLS_TIMEOUT_MS,
    );
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      const issuer = cert.issuer ? (cert.issuer.O ?? cert.issuer.CN) : undefined;
      done({
        authorized: socket.authorized,
        ...(socket.authorizationError ? { error: String(socket.authorizationError) } : {}),
        ...(socket.getProtocol() ? { protocol: socket.getProtocol()! } : {}),
        ...(cert.valid_to ? { validTo: cert.valid_to } : {}),
        ...(typeof issuer === 'string' ? { issuer } : {}),
      });
    });
    // Before secureConnect, an error means the host was never reached (DNS, refused, reset).
    socket.once('error', (err) => done({ authorized: false, reached: false, error: err.message }));
  });
}

export const systemNetwork: DoctorNetwork = {
  fetch: (input, init) => fetch(input, init),
  lookup: (host) => dnsLookup(host, { all: true }),
  tls: (host, port) => tlsHandshake(host, port),
};
