/**
 * The Settings page of a real gateway started without a tunnel (`serve --no-tunnel`): it says so
 * where the tunnel and authentication settings are, with how to get a tunnel (the words of the
 * Connect page and the doctor), and shows no public-URL danger as a present one; the form stays
 * editable. With no auth in the config, the page shows what applies when it runs with a tunnel
 * (OAuth), not this run's "none"; with `gateway.auth: "none"` saved, the warning speaks of that time.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { shots, closedAfterAll, startHarness, type Harness } from './harness.js';
import { screenshot } from './renderer/browser.js';

/** Set to a path to keep a picture of the page (e.g. /tmp/settings-notunnel.png). */
const SHOT = process.env.TUNNELGATE_SETTINGS_SHOT;

describe(
  'Settings on a gateway started without a tunnel (real gateway, Chromium)',
  { timeout: 120_000 },
  () => {
    const harnesses = closedAfterAll();

    async function openSettings(config: Record<string, unknown>): Promise<{ h: Harness; page: Page }> {
      const h = await startHarness(() => ({ mcpServers: {}, ...config }));
      harnesses.push(h);
      const { page } = h;
      await page.goto(h.dashboardUrl);
      await page.getByTestId('local-only-hint').waitFor();
      await page.getByRole('link', { name: 'Settings' }).click();
      await page.getByLabel('Keep the log for').waitFor();
      return { h, page };
    }

    it('says the tunnel is off for this run and how to get one; no "the URL is the key" as a danger now', async () => {
      const { page } = await openSettings({});
      const notice = page.getByTestId('settings-local-only');
      await notice.waitFor();
      const text = (await notice.textContent()) ?? '';
      assert.match(text, /This gateway was started without a tunnel \(serves this computer only\)/);
      assert.match(text, /apply when it runs with a tunnel/);
      assert.match(text, /restart "tunnelgate serve" without --no-tunnel to get a public URL/);
      // Restarted with a tunnel and no auth in the config, OAuth is on: that is what the form shows.
      assert.equal(await page.getByRole('radio', { name: /^OAuth/ }).isChecked(), true);
      assert.equal(await page.getByRole('radio', { name: /^No authentication/ }).isChecked(), false);
      assert.match((await page.getByTestId('tunnel-mode-now').textContent()) ?? '', /Off for this run/);
      assert.equal(
        await page.locator('main .warn-text').count(),
        0,
        'no public-URL warning as a present danger',
      );
      if (SHOT) await page.screenshot({ path: SHOT, fullPage: true });
      await shots(page, 'e2e-settings-local-only');

      // Still editable: choosing no authentication says what it would mean once a tunnel runs.
      await page.getByRole('radio', { name: /^No authentication/ }).check();
      const hint = page.getByTestId('auth-none-hint');
      await hint.waitFor();
      assert.match((await hint.textContent()) ?? '', /once it runs with a tunnel.*the URL is the key/);
      assert.equal(await page.locator('main .warn-text').count(), 0);
      await page.getByRole('button', { name: 'Discard changes' }).click();
      assert.equal(await page.getByRole('radio', { name: /^OAuth/ }).isChecked(), true);
      await page.getByLabel('Mode', { exact: true }).selectOption('named');
      await page.getByLabel('Public hostname').waitFor();
      await page.locator('button:enabled', { hasText: 'Save settings' }).waitFor();
      await page.getByRole('button', { name: 'Discard changes' }).click();
    });

    it('with tunnel.mode "off" saved, says to choose a mode; a saved auth "none" is a caution for later', async () => {
      const { page } = await openSettings({ gateway: { auth: 'none' }, tunnel: { mode: 'off' } });
      const notice = page.getByTestId('settings-local-only');
      await notice.waitFor();
      assert.match(
        (await notice.textContent()) ?? '',
        /started without a tunnel \(serves this computer only\).*choose a tunnel mode below, save, and restart "tunnelgate serve"/,
      );
      assert.equal(await page.getByRole('radio', { name: /^No authentication/ }).isChecked(), true);
      assert.match(
        (await page.getByTestId('auth-none-hint').textContent()) ?? '',
        /once it runs with a tunnel.*the URL is the key/,
      );
      assert.equal(await page.locator('main .warn-text').count(), 0);
      await screenshot(page, 'e2e-settings-local-only-mode-off');
    });
  },
);
