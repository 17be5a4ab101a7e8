import type { IncomingMessage } from 'node:http';

/** Minimum transfer rate for request bodies on the public listener. */
export interface BodyRateOptions {
  /** Bytes per second a body must average once the grace period is over; default 1024. */
  minBytesPerSecond?: number;
  /** Time a body may take before the rate counts (a slow start, a small first packet); default 3 s. */
  graceMs?: number;
  /** How often progress is checked; default 1 s. */
  checkEveryMs?: number;
}

/**
 * Cuts the connection of a request whose body arrives slower than the minimum rate. Node's
 * requestTimeout bounds the whole request, but a sender trickling one byte a second would still hold
 * a socket (and a budget slot) for all of it: here it is cut within a few seconds. Progress is read
 * from the socket's byte count, so nothing is consumed on the handler's behalf.
 */
export function enforceBodyRate(req: IncomingMessage, options: BodyRateOptions = {}): void {
  const length = req.headers['content-length'];
  const hasBody =
    req.headers['transfer-encoding'] !== undefined || (length !== undefined && length.trim() !== '0');
  if (!hasBody || req.complete) return;
  const minRate = options.minBytesPerSecond ?? 1024;
  const graceMs = options.graceMs ?? 3000;
  const socket = req.socket;
  const startedAt = Date.now();
  const startBytes = socket.bytesRead;
  const timer = setInterval(() => {
    if (req.complete || socket.destroyed) return stop();
    const elapsed = Date.now() - startedAt;
    if (elapsed <= graceMs) return;
    if (socket.bytesRead - startBytes < (minRate * (elapsed - graceMs)) / 1000) {
      stop();
      socket.destroy();
    }
  }, options.checkEveryMs ?? 1000);
  timer.unref();
  const stop = (): void => clearInterval(timer);
  req.once('end', stop);
  req.once('close', stop);
}
