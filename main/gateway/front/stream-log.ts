import type { ServerResponse } from 'node:http';

/** Events kept per stream for a resume; a call that says more than this loses its oldest progress. */
const MAX_EVENTS = 200;

/** A POST stream's event id: `p<stream>-<n>`; the GET stream's ids are plain numbers. */
const STREAM_EVENT_ID = /^(p\d+)-(\d+)$/;

/** The stream and position a Last-Event-ID names, when it names a POST stream. */
export function parseStreamEventId(id: string | undefined): { key: string; seq: number } | undefined {
  const m = id === undefined ? null : STREAM_EVENT_ID.exec(id);
  return m === null ? undefined : { key: m[1]!, seq: Number(m[2]) };
}

/**
 * The events of one POST SSE stream, kept so a client whose connection dropped can resume it with a
 * GET carrying Last-Event-ID (Streamable HTTP 2025-11-25, "Resumability and Redelivery"): ids are
 * unique within the session, and a resume replays only this stream's events, then carries the rest
 * of the call. A connection lost after the client saw an id is not a cancellation (the spec asks
 * for an explicit notifications/cancelled): the call goes on, and is abandoned only when nobody
 * resumes it within `graceMs`.
 */
export class StreamLog {
  private readonly events: { seq: number; text: string }[] = [];
  private seq = 0;
  private graceTimer: NodeJS.Timeout | undefined;
  /** Where events go now: the POST's own response, a GET that resumed it, or nowhere. */
  private sink: ServerResponse | undefined;
  finished = false;
  /** The client has seen an id of this stream, so it can resume it. */
  resumable = false;
  /** It became an SSE stream (a call answered with plain JSON has nothing to resume). */
  started = false;
  private readonly graceMs: number;
  /**
   * Let go once the call is answered: a finished stream is kept for its grace period (sessions.ts),
   * and this callback's closure holds the whole call (its request, response and socket), which
   * under load kept every SSE call of the last 30 s in memory (issue 16).
   */
  private onAbandoned: (() => void) | undefined;

  constructor(
    readonly key: string,
    opts: { graceMs: number; onAbandoned(): void },
  ) {
    this.graceMs = opts.graceMs;
    this.onAbandoned = opts.onAbandoned;
  }

  /** The priming event: an id and empty data, sent first so the client can resume from it. */
  prime(retryMs: number): string {
    this.resumable = true;
    return `id: ${this.key}-0\nretry: ${retryMs}\ndata: \n\n`;
  }

  /** Formats and keeps one message as an event with the next id. */
  add(data: string): string {
    const seq = ++this.seq;
    const text = `id: ${this.key}-${seq}\nevent: message\ndata: ${data}\n\n`;
    this.events.push({ seq, text });
    if (this.events.length > MAX_EVENTS) this.events.shift();
    return text;
  }

  /** Writes to whoever holds the stream now; `end` closes it (the call's answer went out). */
  write(chunk: string, end = false): void {
    if (end) {
      this.finished = true;
      this.stopGrace();
      this.onAbandoned = undefined;
    }
    const sink = this.sink;
    if (sink === undefined || sink.destroyed) return;
    this.resumable ||= chunk.startsWith('id: ');
    if (end) sink.end(chunk);
    else sink.write(chunk);
  }

  /** Makes `res` the stream's connection (the POST itself, or a GET resuming it). */
  attach(res: ServerResponse): void {
    this.stopGrace();
    this.started = true;
    this.sink = res;
    res.once('close', () => {
      if (this.sink !== res) return;
      this.sink = undefined;
      if (this.finished) return;
      if (!this.resumable) this.onAbandoned?.();
      else {
        this.graceTimer = setTimeout(() => this.onAbandoned?.(), this.graceMs);
        this.graceTimer.unref();
      }
    });
  }

  /** A GET with Last-Event-ID `<key>-<seq>`: what came after it, then the rest of the call. */
  resume(res: ServerResponse, seq: number, headers: Record<string, string>): void {
    this.sink?.end();
    res.writeHead(200, headers);
    let out = '';
    for (const e of this.events) if (e.seq > seq) out += e.text;
    if (this.finished) {
      res.end(out);
      return;
    }
    if (out !== '') res.write(out);
    this.attach(res);
  }

  private stopGrace(): void {
    if (this.graceTimer !== undefined) clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
  }
}
