/**
 * The built renderer under the app's exact Content-Security-Policy header (main/app/window-options.ts,
 * served by main/app/renderer-protocol.ts's handler), in Debian's Chromium: every page works with no
 * CSP violation and no error, and the policy really blocks what it should (network, inline script).
 * Electron cannot run here, so the handler is put behind a loopback HTTP listener and the preload's
 * `window.tunnelgate` is played by the renderer's typed stub bridge.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext } from 'playwright-core';
import { createRendererHandler } from '../../../main/app/renderer-protocol.js';
import { RENDERER_CSP } from '../../../main/app/window-options.js';
import { buildRenderer, openContext, screenshot } from '../../e2e/renderer/browser.js';
import { stubInit } from '../../e2e/renderer/fixtures.js';
import { createStubPages, type StubPages } from '../../e2e/renderer/stub-page.js';

describe('renderer under the app CSP (Chromium)', { timeout: 240_000 }, () => {
  let context: BrowserContext;
  let server: Server;
  let base = '';
  let pages: StubPages;

  before(async () => {
    // The development build: React's own checks (keys, nesting, controlled inputs) then report
    // through console.error, and every page below must render without one.
    const built = await buildRenderer('development');
    const handler = createRendererHandler(built.dir);
    // http://127.0.0.1:P/x is answered exactly as tunnelgate://app/x would be.
    server = createServer(async (req, res) => {
      const answer = await handler(new Request(`tunnelgate://app${req.url ?? '/'}`));
      res.writeHead(answer.status, Object.fromEntries(answer.headers));
      res.end(Buffer.from(await answer.arrayBuffer()));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const viewport = { width: 1200, height: 800 };
    context = await openContext({ viewport });
    pages = createStubPages(context, {
      url: `${base}/index.html`,
      viewport,
      prelude: `window.__violations = []; document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));`,
    });
  });
  after(async () => {
    await context?.close();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  });

  async function open(route: string) {
    const { page, errors, response } = await pages.open(route, stubInit());
    assert.equal(response?.headers()['content-security-policy'], RENDERER_CSP);
    return { page, errors };
  }

  for (const route of ['connect', 'servers', 'activity', 'approvals', 'settings']) {
    it(`#/${route} renders with no CSP violation and no error`, async () => {
      const { page, errors } = await open(route);
      await page.waitForSelector('#root *', { timeout: 30_000 });
      // Effects run after the first paint and load the page's data; what they trip is reported as
      // a task after the frame. Two frames and a task later every one of them is in.
      await page.evaluate(
        'new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r))))',
      );
      const violations = (await page.evaluate('window.__violations')) as string[];
      assert.deepEqual(violations, []);
      assert.deepEqual(errors, []);
      assert.ok(((await page.textContent('body')) ?? '').trim().length > 0);
      await screenshot(page, `app-csp-${route}`);
    });
  }

  it('blocks network requests and inline script from our pages', async () => {
    const { page } = await open('connect');
    await page.waitForSelector('#root *', { timeout: 30_000 });
    const fetched = await page.evaluate(async (url) => {
      try {
        await fetch(url);
        return 'fetched';
      } catch {
        return 'blocked';
      }
    }, `${base}/index.html`);
    assert.equal(fetched, 'blocked', "connect-src 'none': even our own origin is not fetchable");
    // (Strings, not functions: this file is compiled without the DOM library.)
    const inline = await page.evaluate(`(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__inlineRan = true';
      document.body.appendChild(s);
      return window.__inlineRan === true;
    })()`);
    assert.equal(inline, false, 'inline script does not run');
    const violations = (await page.evaluate('window.__violations')) as string[];
    assert.ok(
      violations.some((v) => v.startsWith('connect-src')),
      violations.join('; '),
    );
    assert.ok(
      violations.some((v) => v.startsWith('script-src')),
      violations.join('; '),
    );
  });
});
