import type { IncomingMessage } from 'node:http';
import { CallSet } from '../../common/call-tables.js';

/**
 * Answered SSE streams the server has not ended yet. The spec says the server SHOULD end the stream
 * after the response; reading it to its end keeps the keep-alive socket reusable. One sweep timer
 * (not a timer per call) closes the streams that stay open longer than `lingerMs`.
 */
export class LingerSweep {
  /** When each was added; a CallSet, which lets go of a stream once it is deleted (call-tables.ts). */
  private readonly open = new CallSet<IncomingMessage, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly lingerMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Keeps reading `body` (its owner no longer needs it) until it ends or lingers too long. */
  add(body: IncomingMessage): void {
    if (body.complete || body.destroyed) return;
    this.open.add(body, this.now());
    body.once('close', () => this.open.delete(body));
    this.timer ??= setInterval(() => this.sweep(), this.lingerMs).unref();
  }

  private sweep(): void {
    const old = this.now() - this.lingerMs;
    for (const [b, at] of this.open) if (at <= old) b.destroy();
    if (this.open.size === 0) this.stop();
  }

  private stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Closes every lingering stream (the transport is closing). */
  closeAll(): void {
    for (const b of this.open.keys()) b.destroy();
    this.open.clear();
    this.stop();
  }
}
