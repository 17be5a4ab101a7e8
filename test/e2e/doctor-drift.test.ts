/**
 * Issue 13 in the window, end to end: a real headless gateway made public through the fake
 * cloudflared, the real dashboard listener with the freshly built renderer, Debian's Chromium. A
 * ChatGPT stand-in connects and lists tools; the owner switches a tool off; the drift banner names
 * that client and what it still believes; "Check as ChatGPT" shows the doctor report with the drift
 * step; the Servers page shows the per-tool warnings and the owner's hint override. The banner goes
 * when the client lists again. Screenshots (TUNNELGATE_SCREENSHOTS=1): test-output/screenshots/e2e-doctor-*.png.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { generateControlToken } from '../../main/control/http-guard.js';
import { createControlHttpListener, type ControlHttpListener } from '../../main/control/http-listener.js';
import type { ChatGptStandIn } from '../fixtures/chatgpt/chatgpt-client.js';
import {
  connectChatGpt,
  startPublicGateway,
  type PublicGateway,
} from '../integration/doctor/doctor-harness.js';
import { pkg, ROOT, shots } from './harness.js';

const SCRIPTED = join(ROOT, 'test/fixtures/upstream/scripted-stdio-server.mjs');
import { buildRenderer, collectErrors, openContext, screenshot } from './renderer/browser.js';

describe('doctor, tool warnings and the drift banner in Chromium', { timeout: 300_000 }, () => {
  let g: PublicGateway;
  let listener: ControlHttpListener;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  let chatgpt: ChatGptStandIn;

  before(async () => {
    const built = await buildRenderer();
    g = await startPublicGateway({
      config: {
        mcpServers: {
          memory: {
            command: process.execPath,
            args: [pkg('server-memory')],
            env: { MEMORY_FILE_PATH: '/dev/null' },
          },
          // A server whose tools set no review hints: 'search' gets warnings; 'lookup' has its three
          // hints set by the owner in the config (shown as overridden, never invented).
          tools: {
            command: process.execPath,
            args: [SCRIPTED],
            env: {
              SCRIPTED_TOOLS: JSON.stringify([
                { name: 'search', description: 'Searches the notes.', inputSchema: { type: 'object' } },
                { name: 'lookup', description: 'Looks a note up.', inputSchema: { type: 'object' } },
              ]),
            },
            annotations: { lookup: { readOnlyHint: true, destructiveHint: false, openWorldHint: false } },
          },
        },
      },
    });
    listener = createControlHttpListener({
      service: g.tg.services.control,
      token: generateControlToken(),
      staticDir: built.dir,
    });
    const { dashboardUrl } = await listener.listen(0);
    context = await openContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    errors = collectErrors(page);
    await page.goto(dashboardUrl);
    await page.getByTestId('connector-url').waitFor();
  });
  after(async () => {
    await context?.close().catch(() => undefined);
    await listener?.close();
    await g?.close();
  });

  /** Resolves when every server reports ready (servers events, no polling). */
  const serversReady = () =>
    new Promise<void>((resolve) => {
      const control = g.tg.services.control;
      let off = () => {};
      const check = (list: { status: string }[]) => {
        if (list.length > 0 && list.every((s) => s.status === 'ready')) {
          off();
          resolve();
        }
      };
      off = control.onServers(check);
      void control.listServers().then(check);
    });
  const listTools = async () =>
    ((await chatgpt.call('tools/list')) as { tools: { name: string }[] }).tools.map((t) => t.name);

  it('a client lists tools, a tool is switched off: the banner names that client and the tool', async () => {
    const control = g.tg.services.control;
    chatgpt = await connectChatGpt(g);
    // Both servers are up before the client lists (their tools are then in the list).
    await serversReady();
    const names = await listTools();
    assert.ok(names.includes('memory__delete_entities') && names.includes('tools__search'), names.join());
    assert.equal(await page.getByTestId('drift-banner').count(), 0, 'no banner before the change');

    await control.setToolEnabled('memory', 'delete_entities', false);
    const banner = page.getByTestId('drift-banner');
    await banner.waitFor({ timeout: 30_000 });
    const text = (await banner.textContent()) ?? '';
    assert.match(text, /A client works from an old tool list/);
    assert.match(text, /ChatGPT/);
    assert.match(text, /memory__delete_entities/);
    assert.match(text, /press Refresh/);
    await shots(page, 'e2e-doctor-drift-banner');
  });

  it('"Check as ChatGPT" shows every step, the drift step as a warning with its fix', async () => {
    await page.getByRole('button', { name: 'Check as ChatGPT' }).click();
    await page.getByTestId('doctor-summary').waitFor({ timeout: 90_000 });
    const step = page.locator('.doctor-step[data-step="tool-drift"]');
    assert.equal(await step.getAttribute('data-level'), 'warning');
    assert.match(
      (await step.textContent()) ?? '',
      /still lists memory__delete_entities.*Fix: Press Refresh/s,
    );
    for (const id of ['dns', 'tls', 'resource-metadata', 'cimd', 'tools-list', 'stream', 'widget'])
      assert.notEqual(
        await page.locator(`.doctor-step[data-step="${id}"]`).getAttribute('data-level'),
        'failure',
        id,
      );
    assert.match((await page.getByTestId('doctor-summary').textContent()) ?? '', /passes, with warnings/);
    await page.getByTestId('doctor').scrollIntoViewIfNeeded();
    await screenshot(page, 'e2e-doctor-report');
  });

  it('the Servers page shows per-tool warnings and the hints the owner set', async () => {
    await page.getByRole('link', { name: 'Servers' }).click();
    const card = page.locator('[data-server="tools"]');
    await card.getByTestId('findings-badge').waitFor({ timeout: 30_000 });
    await card.getByRole('button', { name: /tools/ }).first().click();
    const checks = card.getByTestId('tool-checks');
    await checks.first().waitFor();
    assert.ok((await card.locator('.finding[data-code="hint-missing"]').count()) > 0, 'hint warnings');
    assert.equal(await card.locator('.hint.is-overridden').count(), 3, "lookup's three hints, overridden");
    await card.getByText('tools__search').first().scrollIntoViewIfNeeded();
    await screenshot(page, 'e2e-doctor-tool-warnings');
  });

  it('the banner clears when the client lists tools again', async () => {
    assert.ok(!(await listTools()).includes('memory__delete_entities'));
    await page.getByTestId('drift-banner').waitFor({ state: 'detached', timeout: 30_000 });
    assert.deepEqual(errors, [], 'no page or console errors');
  });
});
