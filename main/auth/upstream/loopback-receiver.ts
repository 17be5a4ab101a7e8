import type { AddressInfo } from 'node:net';
import { createServer } from '../../common/node-http.js';

export interface LoopbackReceiverOptions {
  /** 0 = any free port. */
  port?: number;
  /** The `state` sent in the authorization request; anything else is rejected (CSRF, RFC 6749 §10.12). */
  expectedState: string;
  timeoutMs: number;
  serverName: string;
}

export interface LoopbackReceiver {
  /** `http://127.0.0.1:PORT/callback`: loopback IP literal, not "localhost" (RFC 8252 §7.3, §8.3). */
  redirectUri: string;
  port: number;
  /** Resolves with the authorization code; rejects on an error answer, timeout or close(). */
  code: Promise<string>;
  close(): void;
}

const page = (title: string, text: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head>` +
  `<body style="font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto"><h1>${title}</h1><p>${text}</p></body></html>`;

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The user refused, or the authorization server answered with an error (RFC 6749 §4.1.2.1). */
export class SignInRefusedError extends Error {
  constructor(
    readonly oauthError: string,
    message: string,
  ) {
    super(message);
    this.name = 'SignInRefusedError';
  }
}

/** The fixed redirect port is taken by another program. */
export class RedirectPortInUseError extends Error {
  constructor(readonly port: number) {
    super(`The sign-in redirect port ${port} on 127.0.0.1 is in use by another program.`);
    this.name = 'RedirectPortInUseError';
  }
}

/**
 * A one-shot HTTP listener on 127.0.0.1 that receives the authorization redirect, checks `state`,
 * shows a "you can close this tab" page, and hands over the code.
 */
export async function startLoopbackReceiver(options: LoopbackReceiverOptions): Promise<LoopbackReceiver> {
  let settle: { resolve: (code: string) => void; reject: (err: Error) => void } | undefined;
  const code = new Promise<string>((resolve, reject) => (settle = { resolve, reject }));
  code.catch(() => undefined); // the caller may never await it (e.g. the browser failed to open)
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET' || url.pathname !== '/callback') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found');
      return;
    }
    const send = (status: number, title: string, text: string) =>
      res
        .writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' })
        .end(page(title, text));
    if (url.searchParams.get('state') !== options.expectedState) {
      // Not our request (or a forged one): ignore it and keep waiting for the real redirect.
      send(
        400,
        'Sign-in not recognised',
        'This sign-in answer does not match the one Tunnelgate started. Start the sign-in again from Tunnelgate.',
      );
      return;
    }
    const error = url.searchParams.get('error');
    const received = url.searchParams.get('code');
    if (error || !received) {
      const desc = url.searchParams.get('error_description');
      send(
        400,
        'Sign-in did not complete',
        `The server answered: ${escapeHtml(error ?? 'no code')}. You can close this tab and try again from Tunnelgate.`,
      );
      finish(
        new SignInRefusedError(
          error ?? 'no_code',
          `Signing in to "${options.serverName}" did not complete: the authorization server answered "${error ?? 'no code'}"${desc ? ` (${desc.slice(0, 200)})` : ''}. Try signing in again.`,
        ),
      );
      return;
    }
    send(
      200,
      'Signed in',
      `Tunnelgate is now signed in to "${escapeHtml(options.serverName)}". You can close this tab.`,
    );
    finish(undefined, received);
  });
  const timer = setTimeout(
    () =>
      finish(
        new Error(
          `Signing in to "${options.serverName}" timed out after ${Math.round(options.timeoutMs / 1000)} s without an answer from the browser. Try again.`,
        ),
      ),
    options.timeoutMs,
  );
  timer.unref();

  function finish(err: Error | undefined, value?: string) {
    clearTimeout(timer);
    if (settle) {
      if (err) settle.reject(err);
      else settle.resolve(value ?? '');
      settle = undefined;
    }
    server.closeIdleConnections();
    server.close();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new RedirectPortInUseError(options.port ?? 0) : err),
    );
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    redirectUri: `http://127.0.0.1:${port}/callback`,
    port,
    code,
    close: () => finish(new Error(`Signing in to "${options.serverName}" was cancelled.`)),
  };
}
