import type { ReachabilityResult } from './types.js';

/** Default path fetched through the tunnel: RFC 9728 protected-resource metadata, served by the gateway. */
const DEFAULT_REACHABILITY_PATH = '/.well-known/oauth-protected-resource';

/**
 * Fetches `<publicOrigin><path>` the way ChatGPT would (from outside, through Cloudflare) and says in
 * words what failed. A quick tunnel's DNS name can take a little while to resolve after creation, so
 * callers retry a few times before reporting "no".
 */
export async function probeReachability(deps: {
  fetch: typeof fetch;
  publicOrigin: string;
  path?: string;
  timeoutMs?: number;
}): Promise<ReachabilityResult> {
  const url = `${deps.publicOrigin.replace(/\/+$/, '')}${deps.path ?? DEFAULT_REACHABILITY_PATH}`;
  let res: Response;
  try {
    res = await deps.fetch(url, {
      redirect: 'manual',
      signal: AbortSignal.timeout(deps.timeoutMs ?? 10_000),
    });
  } catch (e) {
    const cause = describeFetchError(e);
    return {
      ok: false,
      detail: `Could not fetch ${url}: ${cause}. The public URL does not answer from this computer yet.`,
    };
  }
  const body = await res.text().catch(() => '');
  if (res.ok) return { ok: true, detail: `${url} answered ${res.status} through the tunnel.` };
  if (res.status === 502 || res.status === 530 || /error code: 10\d\d/i.test(body)) {
    return {
      ok: false,
      detail: `${url} answered ${res.status} from Cloudflare: the tunnel is up but cloudflared cannot reach the gateway on this computer.`,
    };
  }
  return { ok: false, detail: `${url} answered ${res.status}; expected 200 from the gateway.` };
}

function describeFetchError(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as Error & { cause?: unknown }).cause;
    if (e.name === 'TimeoutError') return 'no answer within the time limit';
    if (cause instanceof Error) return `${cause.message}`;
    return e.message;
  }
  return String(e);
}

/**
 * Runs `check` up to `attempts` times, `delayMs` apart, until it says ok. Returns undefined when
 * `stillWanted()` turns false on the way (the tunnel restarted or moved to another URL meanwhile).
 */
export async function checkWithRetries(o: {
  check: (origin: string) => Promise<ReachabilityResult>;
  origin: string;
  attempts: number;
  delayMs: number;
  sleep: (ms: number) => Promise<void>;
  stillWanted: () => boolean;
}): Promise<ReachabilityResult | undefined> {
  let result: ReachabilityResult = { ok: false, detail: 'not checked' };
  for (let attempt = 1; attempt <= Math.max(1, o.attempts); attempt++) {
    result = await o.check(o.origin).catch((e: unknown) => ({
      ok: false,
      detail: `reachability check failed: ${String(e)}`,
    }));
    if (!o.stillWanted()) return undefined;
    if (result.ok) break;
    if (attempt < o.attempts) await o.sleep(o.delayMs);
    if (!o.stillWanted()) return undefined;
  }
  return result;
}
