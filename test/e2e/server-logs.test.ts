/**
 * The Servers page in Chromium against a real gateway and real upstreams: each server's prompts,
 * resources and templates (server-everything), its live log (server-everything's stderr banner and
 * simulated log messages, with their levels), and the last crash's tail (a stdio fixture that
 * writes to stderr and exits with code 7), with a keychain secret masked wherever it shows, and a
 * per-client server whose lines each name the client its process runs for.
 */
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createMemorySecretStore } from '../../main/secrets/memory-secret-store.js';
import { pkg, shots, startHarness, type Harness } from './harness.js';
import { SCREENSHOTS_ON, screenshot } from './renderer/browser.js';

const CRASHY = resolve(import.meta.dirname, '../fixtures/upstream/crashing-stdio-server.mjs');
const TOKEN = 'sk-e2e-5f4e3d2c1b0a';

describe(
  'Servers page: logs, crash tail, prompts and resources (real gateway, Chromium)',
  { timeout: 300_000 },
  () => {
    let h: Harness;

    before(async () => {
      h = await startHarness(
        (dir) => ({
          mcpServers: {
            everything: { command: process.execPath, args: [pkg('server-everything'), 'stdio'] },
            // One process per client: each writes its own stderr banner into the server's one log.
            notes: {
              command: process.execPath,
              args: [pkg('server-memory')],
              env: { MEMORY_FILE_PATH: join(dir, 'notes-${client}.jsonl') },
              isolation: 'per-client',
            },
            crashy: {
              command: process.execPath,
              args: [CRASHY],
              env: { CRASHY_TOKEN: '${secret:crashy}', CRASHY_EXIT_CODE: '7' },
            },
          },
        }),
        { secretStore: createMemorySecretStore({ initial: { crashy: TOKEN } }) },
      );
    });
    after(async () => {
      const errors = h?.errors ?? [];
      await h?.close();
      assert.deepEqual(errors, [], 'no page or console errors during the whole run');
    });

    it('lists the prompts, resources and resource templates each server offers', async () => {
      const { page, tg } = h;
      await page.goto(`${h.dashboardUrl}#/servers`);
      const card = page.locator('[data-server="everything"]');
      await card.locator('.pill', { hasText: 'Running' }).waitFor({ timeout: 60_000 });
      const up = tg.services.upstreams.get('everything')!;
      const prompts = up.prompts().map((p) => p.name as string);
      const resources = up.resources();
      const templates = up.resourceTemplates();
      assert.ok(
        prompts.includes('simple-prompt') && templates.length > 0,
        'server-everything offers all three',
      );
      assert.equal(await card.getByTestId('prompt-count').textContent(), `${prompts.length} prompts`);
      assert.equal(
        await card.getByTestId('resource-count').textContent(),
        `${resources.length + templates.length} resources`,
      );
      await card.getByRole('button', { name: /prompts/ }).click();
      const promptList = card.getByRole('list', { name: 'Prompts' });
      assert.deepEqual(await promptList.locator('.cap-name').allTextContents(), prompts);
      // args-prompt has a required argument: it is marked.
      await promptList.locator('li', { hasText: 'args-prompt' }).getByText('required').first().waitFor();

      await card.getByRole('button', { name: /resources/ }).click();
      assert.equal(await promptList.count(), 0, 'one panel at a time');
      const tplList = card.getByRole('list', { name: 'Resource templates' });
      assert.deepEqual(
        await tplList.locator('.cap-uri').allTextContents(),
        templates.map((t) => t.uriTemplate as string),
      );
      if (resources.length > 0)
        assert.deepEqual(
          await card.getByRole('list', { name: 'Resources' }).locator('.cap-uri').allTextContents(),
          resources.map((r) => r.uri as string),
        );

      // The tools panel has a search box for a server with many tools.
      await card.getByRole('button', { name: /tools/ }).click();
      await card.getByLabel('Search the tools of everything').fill('get-sum');
      assert.deepEqual(await card.locator('.tools .tool-name').allTextContents(), ['everything__get-sum']);
    });

    it('shows stderr and the server’s log messages live, with kind and level', async () => {
      const { page, tg } = h;
      const card = page.locator('[data-server="everything"]');
      await card.getByRole('button', { name: /^Log/ }).click();
      const log = card.getByRole('log');
      await log
        .locator('[data-kind="stderr"]', { hasText: 'Starting default (STDIO) server' })
        .waitFor({ timeout: 15_000 });
      await log.locator('[data-kind="gateway"]', { hasText: /^.*ready \(mcp-servers\/everything/ }).waitFor();
      assert.equal(await log.locator('[data-kind="message"]').count(), 0);
      // Simulated logging: one message at once, then one every 5 s, each with a random level.
      const called = await tg.services.control.callTool('everything__toggle-simulated-logging', {});
      assert.equal(called.error, undefined);
      const message = log.locator('[data-kind="message"]').first();
      await message.waitFor({ timeout: 15_000 });
      assert.match(
        (await message.getAttribute('data-level')) ?? '',
        /^(debug|info|notice|warning|error|critical|alert|emergency)$/,
      );
      assert.match((await message.textContent()) ?? '', /level[- ]message/i);
      await card.getByLabel('Show log lines').selectOption('stderr');
      assert.equal(await log.locator('[data-kind="message"]').count(), 0, 'the filter hides log messages');
      await card.getByLabel('Show log lines').selectOption('all');
      await tg.services.control.callTool('everything__toggle-simulated-logging', {});
    });

    it('shows the last crash: its exit code and the stderr lines before it, the secret masked', async () => {
      const { page, tg } = h;
      const card = page.locator('[data-server="crashy"]');
      await card.locator('.pill', { hasText: 'Running' }).waitFor({ timeout: 60_000 });
      await card.getByRole('button', { name: /^Log/ }).click();
      const log = card.getByRole('log');
      await log.locator('[data-kind="stderr"]', { hasText: 'crashy: using token ***' }).waitFor();
      await tg.services.control.callTool('crashy__log', {});
      await log
        .locator('[data-kind="message"][data-level="warning"]', { hasText: '"token":"***"' })
        .waitFor({ timeout: 15_000 });

      const result = await tg.services.control.callTool('crashy__crash', {});
      assert.ok(result.error, 'the call fails when the server dies');
      const tail = card.getByTestId('crash-tail');
      await tail.waitFor({ timeout: 15_000 }); // pushed live, no reload
      assert.equal(await tail.getByTestId('crash-words').textContent(), 'crashed: exit code 7');
      const lines = (await tail.locator('pre').textContent()) ?? '';
      assert.match(lines, /crashy: about to fail\nError: boom \(token \*\*\*\)\n {4}at crash/);
      await log.locator('[data-kind="exit"]', { hasText: 'crashed: exit code 7' }).waitFor();
      // The supervisor restarts it; the crash stays on show.
      await log.locator('[data-kind="gateway"]', { hasText: /restarting in \d+ s$/ }).waitFor();
      assert.ok(!((await page.content()) ?? '').includes(TOKEN), 'the secret is nowhere on the page');

      // After a reload the crash is still there (the gateway keeps it), and the screenshots.
      await page.reload();
      await card.getByRole('button', { name: /^Log/ }).click();
      await card.getByTestId('crash-tail').waitFor();
      await page.locator('[data-server="everything"]').getByRole('button', { name: /^Log/ }).click();
      await page.locator('[data-server="everything"]').getByRole('log').waitFor();
      await shots(page, 'e2e-servers-logs');
      // The crash tail itself, scrolled into view in the narrow window too.
      if (SCREENSHOTS_ON) {
        for (const colorScheme of ['light', 'dark'] as const) {
          await page.emulateMedia({ colorScheme });
          for (const width of [1280, 420]) {
            await page.setViewportSize({ width, height: 800 });
            await card.getByTestId('crash-tail').evaluate((el) => el.scrollIntoView({ block: 'center' }));
            await screenshot(page, `e2e-servers-crash-${colorScheme}-${width}`);
          }
        }
        await page.emulateMedia({ colorScheme: 'light' });
        await page.setViewportSize({ width: 1280, height: 800 });
      }
    });

    it('names the client on each line of a per-client server (one process per client)', async () => {
      const { page } = h;
      const clients: Client[] = [];
      try {
        for (const name of ['alice-app', 'bob-app']) {
          const client = new Client({ name, version: '1.0.0' });
          await client.connect(new StreamableHTTPClientTransport(new URL(`${h.origin}/mcp`)));
          clients.push(client);
          const r = await client.callTool({ name: 'notes__read_graph', arguments: {} });
          assert.notEqual(r.isError, true, JSON.stringify(r));
        }
        await page.goto(`${h.dashboardUrl}#/servers`);
        const card = page.locator('[data-server="notes"]');
        await card.getByRole('button', { name: /^Log/ }).click();
        const log = card.getByRole('log');
        const banner = (who: RegExp) =>
          log
            .locator('[data-kind="stderr"]', { hasText: 'Knowledge Graph MCP Server running on stdio' })
            .filter({ has: page.getByTestId('log-client').filter({ hasText: who }) });
        // Each client's process by the name it gave and the id its files carry (${client}).
        await banner(/^alice-app \([0-9a-f]{16}\)$/).waitFor({ timeout: 15_000 });
        await banner(/^bob-app \([0-9a-f]{16}\)$/).waitFor();
        // The process that serves the lists says so.
        await banner(/^lists$/).waitFor();
        await log.evaluate((el) => el.scrollIntoView({ block: 'center' }));
        await screenshot(page, 'e2e-servers-per-client-log');
      } finally {
        for (const c of clients) await c.close().catch(() => undefined);
      }
    });

    it('every page fits a 420 px window (no sideways scrolling), light and dark', async () => {
      const { page } = h;
      const pages: [string, string][] = [
        ['Connect', 'connect'],
        ['Servers', 'servers'],
        ['Playground', 'playground'],
        ['Activity', 'activity'],
        ['Approvals', 'approvals'],
        ['Settings', 'settings'],
      ];
      for (const [link, name] of pages) {
        await page.setViewportSize({ width: 420, height: 800 });
        await page.locator('main.content').evaluate((el) => el.scrollTo(0, 1e6));
        await page.getByRole('link', { name: new RegExp(`^${link}`) }).click();
        await page.locator('.page h1').filter({ hasText: link }).first().waitFor();
        const top = await page.locator('main.content').evaluate((el) => el.scrollTop);
        assert.equal(top, 0, `${link} opens at its top, not where the last page was scrolled to`);
        if (name === 'activity') await page.locator('[data-outcome]').first().waitFor();
        if (name === 'playground') {
          await page.getByLabel('Search tools').fill('get-sum');
          await page.getByRole('button', { name: /^everything__get-sum/ }).click();
        }
        const wide = (await page.evaluate('document.documentElement.scrollWidth')) as number;
        assert.ok(wide <= 420, `${link}: the page is ${wide} px wide in a 420 px window`);
        if (name === 'settings') {
          // Form help text is plain text, not a grey chip (a tool-hint rule once leaked onto it).
          type Styled = { getComputedStyle(e: unknown): { backgroundColor: string } };
          const bg = await page
            .locator('p.hint')
            .first()
            .evaluate((el) => (globalThis as unknown as Styled).getComputedStyle(el).backgroundColor);
          assert.equal(bg, 'rgba(0, 0, 0, 0)');
        }
        // The narrow window is what this tour is about: every page at 1280 px, light and dark, is
        // shot by the test of that page (e2e-connect-local-only, e2e-servers-logs,
        // e2e-playground-form, e2e-activity-tool-error, e2e-approvals-waiting, e2e-settings-saved).
        await shots(page, `e2e-tour-${name}`, [420]);
      }
    });
  },
);
