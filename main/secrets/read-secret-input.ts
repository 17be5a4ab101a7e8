/** What readSecretInput needs from standard input: a readable stream, raw mode when it is a terminal. */
export interface SecretInput extends NodeJS.ReadableStream {
  setRawMode?(mode: boolean): unknown;
}

/** The person pressed Ctrl-C while typing a secret. */
export class SecretInputCancelledError extends Error {
  constructor() {
    super('Cancelled: nothing was stored.');
    this.name = 'SecretInputCancelledError';
  }
}

/**
 * Reads one secret value. On a terminal: raw mode so nothing is echoed, ends at Enter (Ctrl-C
 * cancels, backspace edits). Piped: everything up to EOF, minus one trailing newline, so that
 * `printf 'x\n' | tunnelgate secrets set NAME` stores "x".
 */
export function readSecretInput(
  stdin: SecretInput,
  isTTY: boolean,
  maxBytes = 64 * 1024,
  prompt?: () => void,
): Promise<string> {
  if (isTTY && typeof stdin.setRawMode === 'function') return readFromTerminal(stdin, maxBytes, prompt);
  prompt?.();
  return readToEnd(stdin, maxBytes);
}

function readToEnd(stdin: SecretInput, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer | string) => {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += b.length;
      if (size > maxBytes) {
        cleanup();
        reject(new Error(`The value is longer than ${maxBytes} bytes; nothing was stored.`));
        return;
      }
      chunks.push(b);
    };
    const onEnd = () => {
      cleanup();
      resolve(
        Buffer.concat(chunks)
          .toString('utf8')
          .replace(/\r?\n$/, ''),
      );
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const cleanup = () => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.off('error', onError);
    };
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    stdin.on('error', onError);
    stdin.resume();
  });
}

function readFromTerminal(stdin: SecretInput, maxBytes: number, prompt?: () => void): Promise<string> {
  return new Promise((resolve, reject) => {
    let value = '';
    // Echo off before the prompt shows: whatever is typed once the prompt is visible stays hidden.
    stdin.setRawMode?.(true);
    prompt?.();
    const finish = (err?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of typeof chunk === 'string' ? chunk : chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish();
        if (ch === '\u0003') return finish(new SecretInputCancelledError());
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else if (ch >= ' ') value += ch;
        if (Buffer.byteLength(value) > maxBytes)
          return finish(new Error(`The value is longer than ${maxBytes} bytes; nothing was stored.`));
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}
