import { lookup } from 'node:dns/promises';
import { request } from 'node:https';
import type { LookupFunction } from 'node:net';

/** What a Client ID Metadata Document fetch returned. */
export interface CimdResponse {
  status: number;
  headers: Record<string, string | undefined>;
  body: string;
}

/** A fetch that could not complete; the message is for the owner and the client developer. */
export class CimdFetchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CimdFetchError';
  }
}

/**
 * The network side of CIMD fetching, injectable so tests make no external traffic. `get` must connect
 * to exactly `address` (already checked by the caller) while using the URL's host name for TLS (SNI and
 * certificate checks): resolving again would let a DNS rebinding answer swap in a private address.
 */
export interface CimdTransport {
  resolve(hostname: string): Promise<{ address: string; family: number }[]>;
  get(
    url: URL,
    address: string,
    family: number,
    limits: { timeoutMs: number; maxBytes: number },
  ): Promise<CimdResponse>;
}

/** The real transport: system DNS, HTTPS pinned to the checked address, no redirects followed. */
export function createHttpsCimdTransport(options: { ca?: string | Buffer } = {}): CimdTransport {
  return {
    async resolve(hostname) {
      return lookup(hostname, { all: true, verbatim: true });
    },
    get(url, address, family, { timeoutMs, maxBytes }) {
      // Node may ask for all addresses (autoSelectFamily); answer with the pinned one either way.
      const pinned = ((_host: string, opts: { all?: boolean }, cb: (...args: unknown[]) => void) => {
        if (opts?.all) cb(null, [{ address, family }]);
        else cb(null, address, family);
      }) as unknown as LookupFunction;
      return new Promise<CimdResponse>((resolve, reject) => {
        const req = request(
          url,
          {
            method: 'GET',
            lookup: pinned,
            ca: options.ca,
            headers: { Accept: 'application/json', 'User-Agent': 'Tunnelgate' },
            timeout: timeoutMs,
          },
          (res) => {
            const declared = Number(res.headers['content-length'] ?? '0');
            if (declared > maxBytes) {
              req.destroy();
              reject(new CimdFetchError(`the answer is larger than ${maxBytes} bytes`));
              return;
            }
            const chunks: Buffer[] = [];
            let size = 0;
            res.on('data', (chunk: Buffer) => {
              size += chunk.length;
              if (size > maxBytes) {
                req.destroy();
                reject(new CimdFetchError(`the answer is larger than ${maxBytes} bytes`));
                return;
              }
              chunks.push(chunk);
            });
            res.on('end', () => {
              const headers: Record<string, string | undefined> = {};
              for (const [k, v] of Object.entries(res.headers))
                headers[k] = Array.isArray(v) ? v.join(', ') : v;
              resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString('utf8') });
            });
            res.on('error', (err) => reject(new CimdFetchError(`the connection failed: ${err.message}`)));
          },
        );
        // Whole-request deadline, on top of the socket idle timeout.
        const deadline = setTimeout(() => {
          req.destroy();
          reject(new CimdFetchError(`no complete answer within ${timeoutMs} ms`));
        }, timeoutMs);
        deadline.unref();
        req.on('timeout', () => {
          req.destroy();
          reject(new CimdFetchError(`no answer within ${timeoutMs} ms`));
        });
        req.on('error', (err) => reject(new CimdFetchError(`the connection failed: ${err.message}`)));
        req.on('close', () => clearTimeout(deadline));
        req.end();
      });
    },
  };
}
