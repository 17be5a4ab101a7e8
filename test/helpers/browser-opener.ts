import type { BrowserOpener } from '../../main/auth/upstream/browser-opener.js';

export interface FetchBrowserOpener extends BrowserOpener {
  /** Every URL open() was asked to open. */
  opened: string[];
  /** Every URL the "browser" visited, redirects included. */
  visited: string[];
  /** The last page shown (the loopback receiver's "you can close this tab" page, normally). */
  lastPage?: { url: string; status: number; body: string };
}

/**
 * A browser stand-in for tests: performs the GET itself and follows redirects (as a browser would
 * after an auto-approving consent page) until a page is shown. Only 127.0.0.1 URLs are visited.
 */
export function createFetchBrowserOpener(options: { maxRedirects?: number } = {}): FetchBrowserOpener {
  const opener: FetchBrowserOpener = {
    opened: [],
    visited: [],
    async open(url) {
      opener.opened.push(url);
      let current = url;
      for (let hop = 0; hop <= (options.maxRedirects ?? 5); hop++) {
        if (new URL(current).hostname !== '127.0.0.1')
          throw new Error(`test browser refuses to leave 127.0.0.1: ${current}`);
        opener.visited.push(current);
        const res = await fetch(current, { redirect: 'manual', signal: AbortSignal.timeout(10_000) });
        const location = res.headers.get('location');
        if (res.status >= 300 && res.status < 400 && location) {
          await res.body?.cancel();
          current = new URL(location, current).href;
          continue;
        }
        opener.lastPage = { url: current, status: res.status, body: await res.text() };
        return;
      }
      throw new Error('test browser: too many redirects');
    },
  };
  return opener;
}
