/**
 * cloudflared's output as the manager keeps it: every line with the named-tunnel token redacted
 * (cloudflared may echo it), and the last lines of the current run to explain a failure.
 */
import { explainFailure, summarizeTail } from './log-parser.js';

const TAIL_LINES = 40;

export class CloudflaredOutput {
  private secrets: string[] = [];
  private tail: string[] = [];

  /** From now on, `secret` never shows in a kept or returned line. */
  hide(secret: string): void {
    this.secrets = [secret];
  }

  /** A new run begins: its failure is explained by its own lines only. */
  clear(): void {
    this.tail = [];
  }

  /** Keeps one raw line and returns it redacted. */
  add(raw: string): string {
    const line = this.secrets.reduce((acc, s) => (s ? acc.split(s).join('*****') : acc), raw);
    this.tail.push(line);
    if (this.tail.length > TAIL_LINES) this.tail = this.tail.slice(-TAIL_LINES);
    return line;
  }

  /** The current run's last lines (redacted), oldest first; a copy. */
  lines(): string[] {
    return [...this.tail];
  }

  /** Why cloudflared failed, in words, and its last output: appended to failure messages. */
  lastWords(): string {
    const why = explainFailure(this.tail);
    const last = summarizeTail(this.tail);
    return [why, last ? `Last output: ${last}` : ''].filter(Boolean).join(' ');
  }
}
