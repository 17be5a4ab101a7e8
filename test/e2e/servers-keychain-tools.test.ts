/**
 * The Servers page of a real gateway (Chromium):
 * - With no OS keychain, the Secrets form says so where it is (in the Connect page's words, with
 *   what to do) and is off, so nothing is typed only to be refused; servers without secrets run.
 *   With a keychain the form is as before.
 * - In a server's tool list, each row's "Try" link sits at the row's right edge, at a wide and at a
 *   narrow width, not in the middle of the row after a short description.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { createMemorySecretStore } from '../../main/secrets/memory-secret-store.js';
import { pkg, shots, closedAfterAll, startHarness } from './harness.js';

/** Set to paths to keep pictures of the page (e.g. /tmp/polish-secrets.png, /tmp/polish-servers.png). */
const SECRETS_SHOT = process.env.TUNNELGATE_SECRETS_SHOT;
const TOOLS_SHOT = process.env.TUNNELGATE_TOOLS_SHOT;

const REASON =
  'No Secret Service is running (install gnome-keyring or KeePassXC, or run inside a desktop session)';

const secretsCard = (page: Page): Locator =>
  page.locator('.card', { has: page.getByRole('heading', { name: 'Secrets', exact: true }) });

/** How far each "Try" link's right edge is from its tool row's right edge, in CSS pixels. */
async function tryLinkGaps(card: Locator): Promise<{ tool: string; gap: number; inside: boolean }[]> {
  return card.locator('ul.tools > li').evaluateAll((rows) =>
    rows.flatMap((li) => {
      const a = li.querySelector('a.tool-try');
      if (!a) return [];
      const row = li.getBoundingClientRect();
      const link = a.getBoundingClientRect();
      return [
        {
          tool: li.querySelector('.tool-name')?.textContent ?? '?',
          gap: Math.round(row.right - link.right),
          inside: link.left >= row.left && link.right <= row.right + 0.5,
        },
      ];
    }),
  );
}

describe(
  'Servers page: Secrets without a keychain, tool rows (real gateway, Chromium)',
  { timeout: 180_000 },
  () => {
    const harnesses = closedAfterAll();

    it('with no keychain, the Secrets form says so and is off; servers without secrets run; Try links sit at the right edge', async () => {
      const h = await startHarness(
        () => ({
          mcpServers: {
            everything: { command: process.execPath, args: [pkg('server-everything'), 'stdio'] },
            // Needs a secret the (absent) keychain cannot hold: its card asks for it, and cannot save it.
            needy: {
              command: process.execPath,
              args: ['-e', ''],
              env: { TOKEN: '$' + '{secret:NEEDY_TOKEN}' },
            },
          },
        }),
        { secretStore: createMemorySecretStore({ unavailableReason: REASON }) },
      );
      harnesses.push(h);
      const { page } = h;
      await page.goto(`${h.dashboardUrl}#/servers`);

      const secrets = secretsCard(page);
      const notice = secrets.getByTestId('secrets-keychain-unavailable');
      await notice.waitFor();
      const text = (await notice.textContent()) ?? '';
      assert.match(
        text,
        new RegExp(`The OS keychain is not available: ${REASON.replace(/[()]/g, '\\$&')}\\.`),
      );
      assert.match(text, /Secrets cannot be saved \(they are never stored in plain text\)/);
      assert.match(text, /servers that need no secret keep working/);
      assert.match(text, /restart Tunnelgate to store secrets here/);
      assert.equal(await secrets.getByLabel('Secret name').isDisabled(), true, 'name input is off');
      assert.equal(await secrets.getByLabel('Secret value').isDisabled(), true, 'value input is off');
      assert.equal(await secrets.getByRole('button', { name: 'Save secret' }).isDisabled(), true);
      assert.equal(
        await secrets.getByText('No secrets stored yet.').count(),
        0,
        'no claim about stored secrets',
      );

      // The card of a server missing a secret asks for it, and with no keychain says it cannot save it.
      const needy = page.locator('[data-server="needy"]');
      await needy.getByTestId('secret-prompt-keychain-off').waitFor({ timeout: 30_000 });
      await needy.getByText(/needs the secret 'NEEDY_TOKEN', and the OS keychain is not available/).waitFor();
      assert.equal(
        await needy.getByText(/not found in the keychain/).count(),
        0,
        'no advice the keychain would refuse',
      );
      assert.equal(await needy.getByLabel('Secret NEEDY_TOKEN').isDisabled(), true, 'the card input is off');
      assert.equal(await needy.getByRole('button', { name: 'Save to keychain' }).isDisabled(), true);

      // A server that needs no secret runs as ever.
      const card = page.locator('[data-server="everything"]');
      await card.locator('.pill', { hasText: 'Running' }).waitFor({ timeout: 60_000 });
      if (SECRETS_SHOT) {
        await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
        await secrets.scrollIntoViewIfNeeded();
        await page.screenshot({ path: SECRETS_SHOT, fullPage: true });
      }
      await shots(page, 'e2e-servers-no-keychain');

      // The tool list: each row's "Try" link at the row's right edge.
      await card
        .getByTestId('tool-count')
        .filter({ hasText: /^[1-9]\d* tools$/ })
        .waitFor({ timeout: 30_000 });
      await card.getByRole('button', { name: /tools/ }).click();
      await card.getByRole('link', { name: /^Try everything__echo in the playground$/ }).waitFor();
      for (const width of [1280, 420]) {
        await page.setViewportSize({ width, height: 800 });
        await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
        const gaps = await tryLinkGaps(card);
        assert.ok(gaps.length >= 3, `several Try links at ${width} px (${gaps.length})`);
        for (const g of gaps) {
          assert.ok(g.inside, `${g.tool}: the Try link stays inside its row at ${width} px`);
          assert.ok(
            g.gap <= 4,
            `${g.tool}: the Try link is ${g.gap} px from the row's right edge at ${width} px`,
          );
        }
        if (TOOLS_SHOT && width === 1280) {
          await card.locator('ul.tools').scrollIntoViewIfNeeded();
          await page.screenshot({ path: TOOLS_SHOT });
        }
        if (TOOLS_SHOT && width === 420) {
          await card.locator('ul.tools').scrollIntoViewIfNeeded();
          await page.screenshot({ path: TOOLS_SHOT.replace(/\.png$/, '-420.png') });
        }
      }
      await page.setViewportSize({ width: 1280, height: 800 });
      await shots(page, 'e2e-servers-tool-rows');
    });

    it('with a keychain, the Secrets form is usable and says nothing about the keychain', async () => {
      const h = await startHarness(() => ({ mcpServers: {} }));
      harnesses.push(h);
      const { page } = h;
      await page.goto(`${h.dashboardUrl}#/servers`);
      const secrets = secretsCard(page);
      await secrets.getByText('No secrets stored yet.').waitFor();
      assert.equal(await secrets.getByTestId('secrets-keychain-unavailable').count(), 0);
      await secrets.getByLabel('Secret name').fill('github');
      await secrets.getByLabel('Secret value').fill('ghp-e2e');
      await secrets.getByRole('button', { name: 'Save secret' }).click();
      await secrets.locator('.secret-list code', { hasText: 'github' }).waitFor();
      assert.equal(await secrets.getByLabel('Secret name').inputValue(), '');
    });
  },
);
