/**
 * The tool playground in Chromium against a real gateway and real upstreams: pick a tool (with the
 * search box), fill the form made from its input schema or the raw JSON, call it through the
 * gateway's local MCP endpoint, and see the result rendered: text, an image as an image (never its
 * base64), structured content, a tool's own error; the call lands in Activity.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pkg, shots, startHarness, type Harness } from './harness.js';

describe('tool playground (real gateway, Chromium)', { timeout: 300_000 }, () => {
  let h: Harness;

  before(async () => {
    h = await startHarness((dir) => ({
      mcpServers: {
        everything: { command: process.execPath, args: [pkg('server-everything'), 'stdio'] },
        fs: { command: process.execPath, args: [pkg('server-filesystem'), dir] },
      },
    }));
  });
  after(async () => {
    const errors = h?.errors ?? [];
    await h?.close();
    assert.deepEqual(errors, [], 'no page or console errors during the whole run');
  });

  const pick = async (search: string, tool: string) => {
    const { page } = h;
    await page.getByLabel('Search tools').fill(search);
    await page.getByRole('button', { name: new RegExp(`^${tool}`) }).click();
    await page.locator(`form[aria-label="Call ${tool}"]`).waitFor();
  };

  it('fills a form made from the schema, calls the tool and shows its text', async () => {
    const { page } = h;
    await page.goto(h.dashboardUrl);
    await page.getByRole('link', { name: 'Playground' }).click();
    await page.getByLabel('Search tools').waitFor({ timeout: 60_000 });
    await pick('get-sum', 'everything__get-sum');
    // Raw JSON from an empty form: a newcomer who would rather type JSON gets the editor (with what
    // the form holds, nothing yet), not "a: required" from a call they have not made.
    await page.getByRole('button', { name: 'Raw JSON' }).click();
    assert.deepEqual(JSON.parse(await page.getByLabel('Arguments (JSON)').inputValue()), {});
    await page.getByRole('button', { name: 'Form' }).click();
    await page.getByLabel('a *').fill('x');
    await page.getByLabel('b *').fill('3');
    await page.getByRole('button', { name: 'Call tool' }).click();
    await page.getByRole('alert').filter({ hasText: 'a: must be a number' }).waitFor();
    await page.getByLabel('a *').fill('2');
    await page.getByRole('button', { name: 'Call tool' }).click();
    const result = page.getByTestId('tool-result');
    await result.filter({ hasText: /5/ }).waitFor({ timeout: 15_000 });
    assert.equal(await result.getAttribute('data-outcome'), 'ok');
    await shots(page, 'e2e-playground-form');

    // Raw JSON: the form's values carry over, and an edit there is what is sent.
    await page.getByRole('button', { name: 'Raw JSON' }).click();
    const raw = page.getByLabel('Arguments (JSON)');
    assert.deepEqual(JSON.parse(await raw.inputValue()), { a: 2, b: 3 });
    await raw.fill('{"a": 10, "b": 5}');
    await page.getByRole('button', { name: 'Call tool' }).click();
    await result.filter({ hasText: /15/ }).waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Form' }).click();
    assert.equal(await page.getByLabel('a *').inputValue(), '10');
  });

  it('offers no task-only tool (clients never see it) and the Servers page says why', async () => {
    const { page } = h;
    // server-everything's simulate-research-query requires tasks, which the gateway does not relay:
    // tools/list hides it, so the playground must not offer a call that ends in "Unknown tool".
    await page.getByLabel('Search tools').fill('simulate-research');
    await page.getByRole('button', { name: /^everything__simulate-research-query/ }).waitFor({
      state: 'detached',
    });
    assert.equal(await page.getByRole('button', { name: /^everything__simulate-research-query/ }).count(), 0);
    await page.getByLabel('Search tools').fill('');
    await page.getByRole('link', { name: 'Servers' }).click();
    // 16 of its 17 tools: the count is what clients get.
    await page.getByRole('button', { name: /^16 tools/ }).click({ timeout: 30_000 });
    const hidden = page.getByTestId('tool-hidden').first();
    await hidden.waitFor({ timeout: 30_000 });
    assert.match((await hidden.textContent()) ?? '', /Not offered to clients: runs only as a task/);
    assert.equal(
      await page.getByRole('link', { name: /^Try everything__simulate-research-query/ }).count(),
      0,
    );
    await page.getByRole('link', { name: 'Playground', exact: true }).click();
    await page.getByLabel('Search tools').waitFor();
  });

  it('shows an image as an image, not as base64', async () => {
    const { page } = h;
    await pick('tiny', 'everything__get-tiny-image');
    await page.getByRole('button', { name: 'Call tool' }).click();
    const img = page.getByTestId('tool-result').locator('img');
    await img.waitFor({ timeout: 15_000 });
    await page.waitForFunction(
      (el) => (el as unknown as { complete: boolean; naturalWidth: number }).complete,
      await img.elementHandle(),
    );
    const width = await img.evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth);
    assert.ok(width > 0, 'the PNG decoded');
    const text = (await page.getByTestId('tool-result').textContent()) ?? '';
    assert.doesNotMatch(text, /iVBORw0KGgo/, 'no base64 on the page');
    await shots(page, 'e2e-playground-image');
  });

  it('shows structured content, picked from an enum field', async () => {
    const { page } = h;
    await pick('structured', 'everything__get-structured-content');
    await page.getByLabel('location *').selectOption('Chicago');
    await page.getByRole('button', { name: 'Call tool' }).click();
    const structured = page.getByTestId('structured-content');
    await structured.waitFor({ timeout: 15_000 });
    const value = JSON.parse((await structured.textContent()) ?? '{}') as Record<string, unknown>;
    assert.equal(typeof value.temperature, 'number');
    await shots(page, 'e2e-playground-structured');
  });

  it('shows a tool error as one, and every playground call lands in Activity', async () => {
    const { page } = h;
    await pick('read_text', 'fs__read_text_file');
    await page.getByLabel('path *').fill('/etc/outside-the-allowed-folder');
    await page.getByRole('button', { name: 'Call tool' }).click();
    const result = page.getByTestId('tool-result');
    await result.waitFor({ timeout: 15_000 });
    assert.equal(await result.getAttribute('data-outcome'), 'tool_error');
    assert.match((await result.textContent()) ?? '', /The tool reported an error/);
    await shots(page, 'e2e-playground-tool-error');

    await page.getByRole('link', { name: 'See it in Activity' }).click();
    const row = page.locator('.log-row', { hasText: 'fs__read_text_file' }).first();
    await row.waitFor({ timeout: 15_000 });
    assert.equal(await row.locator('.outcome').getAttribute('data-outcome'), 'tool_error');
    assert.match((await row.textContent()) ?? '', /Tunnelgate playground/);
    assert.ok(
      (await page.locator('.log-row', { hasText: 'everything__get-sum' }).count()) >= 2,
      'the earlier calls are there too',
    );
  });

  it('opens a tool from the Servers page with "Try"', async () => {
    const { page } = h;
    await page.getByRole('link', { name: 'Servers' }).click();
    const card = page.locator('[data-server="everything"]');
    await card.getByRole('button', { name: /tools/ }).click();
    await card.getByRole('link', { name: 'Try everything__echo in the playground' }).click();
    await page.locator('form[aria-label="Call everything__echo"]').waitFor();
    await page.getByLabel('message *').fill('hello from the playground');
    await page.getByRole('button', { name: 'Call tool' }).click();
    await page.getByTestId('tool-result').filter({ hasText: 'hello from the playground' }).waitFor();
  });
});
