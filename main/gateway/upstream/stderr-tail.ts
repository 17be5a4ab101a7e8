/**
 * The last lines a server wrote to stderr, kept in memory only (never written to disk: a server may
 * print things it should not), with configured secret values masked.
 */
export class StderrTail {
  private readonly buf: string[] = [];
  private partial = '';

  constructor(
    private readonly max: number,
    private readonly redact: (text: string) => string = (t) => t,
    /** Called with each complete line once masked (the live server log). */
    private readonly onLine?: (line: string) => void,
  ) {}

  /** Appends a raw chunk; complete lines are kept. */
  write(chunk: string): void {
    const text = this.partial + chunk;
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    if (this.partial.length > 4000) {
      this.push(this.partial);
      this.partial = '';
    }
    for (const line of parts) this.push(line);
  }

  /** Appends one whole line (also used for the gateway's own notes). */
  push(line: string): void {
    const clean = this.redact(line.replace(/\r$/, '')).slice(0, 1000);
    this.buf.push(clean);
    this.onLine?.(clean);
    if (this.buf.length > this.max) this.buf.shift();
  }

  lines(): string[] {
    return this.partial ? [...this.buf, this.redact(this.partial).slice(0, 1000)] : [...this.buf];
  }

  /**
   * One line that best explains a failure: the last line that looks like an error ("Error: ...",
   * "TypeError: ...", "ModuleNotFoundError: ..."), else (unless `errorsOnly`) the last non-empty line.
   */
  summary(errorsOnly = false): string | undefined {
    const lines = this.lines()
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('[tunnelgate]'));
    for (let i = lines.length - 1; i >= 0; i--) {
      const l = lines[i]!;
      if (/^([A-Za-z_.]*(Error|Exception)\b|error\b|fatal\b|panic\b)/i.test(l)) return l.slice(0, 300);
    }
    if (errorsOnly) return undefined;
    const last = lines.filter((l) => !/^(at |Node\.js v)/.test(l) && !/^[{}]/.test(l)).at(-1);
    return last?.slice(0, 300);
  }
}
