import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { escapeHtml } from './http-util.js';
import { OAUTH_PATHS } from './metadata.js';
import type { PendingRequest } from './pending-requests.js';
import { redirectHost } from './redirect-uri.js';
import { SCOPE_FULL, SCOPE_READ } from '../../preload/contract.js';

const SCOPE_WORDS: Record<string, string> = {
  [SCOPE_READ]: 'see and call read-only tools',
  [SCOPE_FULL]: 'see and call every tool',
};

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1b1b1f}
h1{font-size:1.4rem}dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem}dt{color:#555}dd{margin:0;word-break:break-all}
.code{font:700 2rem ui-monospace,monospace;letter-spacing:.15em;padding:.5rem 1rem;border:2px solid #1b1b1f;border-radius:.4rem;display:inline-block}
.muted{color:#555}.bad{color:#a40000}`;

/**
 * Sends a server-rendered page under a strict CSP: no external assets, one nonce'd inline script and
 * style, no framing (clickjacking), no referrer (the URL carries the request id).
 */
function sendPage(
  res: ServerResponse,
  status: number,
  title: string,
  body: string,
  script?: string,
  head = '',
): void {
  const nonce = randomBytes(16).toString('base64');
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style nonce="${nonce}">${STYLE}</style>${head}</head><body>${body}${script ? `<script nonce="${nonce}">${script}</script>` : ''}</body></html>`;
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(html)),
    'Content-Security-Policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    'X-Frame-Options': 'DENY',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
  });
  res.end(html);
}

/**
 * A link back to a redirect URI the owner never approved, with the error for the client: followed
 * only if the person in the browser chooses to, and the host it leads to is spelled out
 * (RFC 9700 §4.11.2: "inform the user and rely on the user to make the correct decision").
 */
function returnLink(returnTo: string): string {
  return `<p class="muted">Tunnelgate does not send you back to an address the owner has not approved for this client. If you started this connection yourself, you may <a id="return" href="${escapeHtml(returnTo)}" rel="noreferrer">return to ${escapeHtml(redirectHost(returnTo))}</a> to tell the client.</p>`;
}

/**
 * An error shown in the browser instead of redirecting (unknown client, unregistered redirect URI, or
 * a client error whose redirect URI the owner has not approved). The first paragraph says what.
 */
export function sendErrorPage(
  res: ServerResponse,
  status: number,
  what: string,
  todo: string,
  returnTo?: string,
): void {
  sendPage(
    res,
    status,
    'Tunnelgate: authorization refused',
    `<h1>This connection request was refused</h1><p class="bad">${escapeHtml(what)}</p><p>${escapeHtml(todo)}</p>${returnTo ? returnLink(returnTo) : ''}`,
  );
}

/** The page for a request the owner denied whose redirect URI they never approved (no redirect). */
export function sendDeniedPage(res: ServerResponse, returnTo?: string): void {
  sendPage(
    res,
    403,
    'Tunnelgate: request denied',
    `<h1>The owner denied this request</h1><p class="bad">The owner of this Tunnelgate denied the connection in the app.</p>${returnTo ? returnLink(returnTo) : ''}`,
  );
}

/** The waiting page: who asks, the pairing code, and a long-poll until the owner decides. */
export function sendApprovalPage(res: ServerResponse, req: PendingRequest): void {
  const client = req.client;
  const identity = client.cimdUrl
    ? `<dt>Client metadata</dt><dd>${escapeHtml(client.cimdUrl)}</dd>`
    : `<dt>Client</dt><dd>registered dynamically (id ${escapeHtml(client.clientId)})</dd>`;
  const scopes = req.requestedScopes
    .map((s) => `${escapeHtml(s)} (${escapeHtml(SCOPE_WORDS[s] ?? s)})`)
    .join(', ');
  const statusUrl = `${OAUTH_PATHS.approvalStatus}?request=${encodeURIComponent(req.id)}`;
  const body = `<h1>${escapeHtml(client.clientName)} asks to connect to your Tunnelgate</h1>
<dl><dt>Name (as the client says)</dt><dd>${escapeHtml(client.clientName)}</dd><dt>Returns to</dt><dd>${escapeHtml(redirectHost(req.redirectUri))}</dd>${identity}<dt>Asks to</dt><dd>${scopes}</dd></dl>
<p>Pairing code</p><p class="code" id="code">${escapeHtml(req.pairingCode)}</p>
<p id="status">Waiting for the owner to approve in Tunnelgate. Check that the app shows the same pairing code.</p>
<p class="muted">Nothing to do on this page: approval happens only in the Tunnelgate app on the owner's computer.</p>`;
  // Long-poll the status endpoint; follow the redirect the server computed once decided.
  const script = `(function(){var el=document.getElementById('status');var url=${JSON.stringify(statusUrl)};
function show(t,bad){el.textContent=t;el.className=bad?'bad':'';}
function offer(to){var p=document.createElement('p');p.className='muted';var a=document.createElement('a');a.id='return';a.href=to;a.rel='noreferrer';a.textContent='return to '+new URL(to).host;p.append('Tunnelgate does not send you back to an address the owner has not approved for this client. If you started this connection yourself, you may ',a,' to tell the client.');el.after(p);}
function poll(){fetch(url+'&wait=1',{cache:'no-store'}).then(function(r){return r.json();}).then(function(s){
if(s.status==='approved'){show('Approved. Returning to the client...');location.replace(s.redirect);}
else if(s.status==='denied'){show('The owner denied this request.',true);if(s.redirect)setTimeout(function(){location.replace(s.redirect);},1500);else if(s.return_to)offer(s.return_to);}
else if(s.status==='expired'){show('This request expired. Start the connection again from the client.',true);}
else if(s.status==='pending'){if(s.retry_after_ms)setTimeout(poll,s.retry_after_ms);else poll();}else{show('This request is no longer known. Start again from the client.',true);}
}).catch(function(){setTimeout(poll,3000);});}poll();})();`;
  // Without JavaScript, reload now and then: the page answers with the redirect once decided.
  sendPage(
    res,
    200,
    `Approve ${client.clientName} in Tunnelgate`,
    body,
    script,
    '<noscript><meta http-equiv="refresh" content="3"></noscript>',
  );
}

/** The page for a request that can no longer be approved. */
export function sendExpiredPage(res: ServerResponse): void {
  sendPage(
    res,
    410,
    'Tunnelgate: request expired',
    '<h1>This request expired</h1><p>The owner did not approve it in time. Start the connection again from the client.</p>',
  );
}
