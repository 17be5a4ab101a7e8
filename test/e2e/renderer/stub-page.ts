/**
 * One page for a whole file of stub-bridge checks, with a fresh document for each check. A new page
 * costs a new renderer process: about 2 s of CPU on the 2-core machine (measured: new page, load,
 * close 3.1 s; a fresh document in the same page 1.1 s), more than most checks themselves. A
 * document of its own still gives each check a fresh app, a fresh stub and no state carried over:
 * the permissions, dialog handlers, colour scheme and viewport a check set are reset too.
 */
import type { BrowserContext, Disposable, Page, Response } from 'playwright-core';
import { stubBridgeScript } from './browser.js';
import type { StubInit } from './stub-bridge.js';

export interface StubPageOptions {
  /** The renderer's index.html (any query is replaced). */
  url: string;
  viewport: { width: number; height: number };
  /** Script run before the stub in every document (e.g. a CSP violation recorder). */
  prelude?: string;
}

export interface OpenedStubPage {
  page: Page;
  /** Page errors and console errors of this document only. */
  errors: string[];
  response: Response | null;
}

/** Closing the context closes the page. */
export interface StubPages {
  open(route: string, init: StubInit, colorScheme?: 'light' | 'dark'): Promise<OpenedStubPage>;
}

export function createStubPages(context: BrowserContext, options: StubPageOptions): StubPages {
  let page: Page | undefined;
  let script: Disposable | undefined;
  let errors: string[] = [];
  let documents = 0;
  const stub = stubBridgeScript();

  async function ready(): Promise<Page> {
    if (page) return page;
    page = await context.newPage();
    page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(`console.error: ${msg.text()}`);
    });
    return page;
  }

  return {
    async open(route, init, colorScheme = 'light') {
      const p = await ready();
      await script?.dispose();
      p.removeAllListeners('dialog');
      await p.context().clearPermissions();
      await p.emulateMedia({ colorScheme });
      await p.setViewportSize(options.viewport);
      errors = [];
      // Init scripts run in the order added, before the page's own: the prelude, the state the stub
      // starts from, then the stub (which reads it).
      script = await p.addInitScript(
        [options.prelude ?? '', `window.__stubInit = ${JSON.stringify(init)};`, await stub].join('\n'),
      );
      // A new query each time: a change of the hash alone would keep the old document.
      const url = new URL(options.url);
      url.search = `?check=${++documents}`;
      url.hash = `#/${route}`;
      const response = await p.goto(url.href);
      return { page: p, errors, response };
    },
  };
}
