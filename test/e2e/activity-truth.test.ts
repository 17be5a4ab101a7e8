/**
 * The dashboard against a real local-only gateway (`serve --no-tunnel`) with real stdio upstreams
 * (server-everything, server-filesystem): a tool's own error shows as "tool error" (row, filter,
 * detail, export), a slow call shows while it runs with a spinner, elapsed time and its progress, no
 * "Go public" is offered, the Settings form keeps what was saved, and Claude import takes a path.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ROOT, pkg, shots, startHarness, type Harness } from './harness.js';

describe('dashboard: outcomes, calls in flight, fixes (real gateway, Chromium)', { timeout: 300_000 }, () => {
  let h: Harness;
  let mcp: Client;

  before(async () => {
    h = await startHarness((dir) => ({
      mcpServers: {
        everything: { command: process.execPath, args: [pkg('server-everything'), 'stdio'] },
        fs: { command: process.execPath, args: [pkg('server-filesystem'), dir] },
      },
    }));
    mcp = new Client({ name: 'e2e-local-client', version: '1.0.0' });
    await mcp.connect(new StreamableHTTPClientTransport(new URL(`${h.origin}/mcp`)));
  });
  after(async () => {
    await mcp?.close().catch(() => {});
    const errors = h?.errors ?? [];
    await h?.close();
    assert.deepEqual(errors, [], 'no page or console errors during the whole run');
  });

  it('offers no "Go public" on a gateway started without a tunnel, and says why', async () => {
    const { page } = h;
    await page.goto(h.dashboardUrl);
    await page.getByTestId('local-only-hint').waitFor();
    assert.match(
      (await page.getByTestId('local-only-hint').textContent()) ?? '',
      /without a tunnel.*restart "tunnelgate serve" without --no-tunnel/,
    );
    assert.equal(await page.getByRole('button', { name: /Go public/ }).count(), 0);
    // No URL to paste, so the page's subtitle does not ask for one.
    const header = (await page.locator('main .page-header').first().textContent()) ?? '';
    assert.doesNotMatch(header, /Paste this URL/);
    assert.match(header, /serves this computer only/);
    assert.doesNotMatch((await page.locator('main').textContent()) ?? '', /--auth none/);
    // No URL to paste: the ChatGPT steps give way to how to go public.
    assert.equal(await page.getByTestId('chatgpt-steps').count(), 0, 'no ChatGPT steps without a URL');
    assert.match(
      (await page.getByTestId('chatgpt-go-public-hint').textContent()) ?? '',
      /public URL.*restart tunnelgate serve without --no-tunnel/,
    );
    assert.match(
      (await page.getByTestId('doctor').textContent()) ?? '',
      /nothing to check: this gateway serves this computer only/,
    );
    await shots(page, 'e2e-connect-local-only');
  });

  it('copies the local endpoint and client snippets that work as pasted', async () => {
    const { page } = h;
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], {
      origin: new URL(h.dashboardUrl).origin,
    });
    const box = page.getByTestId('client-snippets');
    const endpoint = `${h.origin}/mcp`;
    assert.equal(await box.getByTestId('snippet-endpoint').textContent(), endpoint);
    const clipboard = () => page.evaluate('navigator.clipboard.readText()') as Promise<string>;
    await box.getByRole('button', { name: 'Copy endpoint' }).click();
    assert.equal(await clipboard(), endpoint);

    // VS Code: "servers" with type http; the URL in it reaches the gateway.
    await box.getByRole('tab', { name: 'VS Code' }).click();
    await box.getByRole('button', { name: 'Copy for VS Code' }).click();
    const vscode = JSON.parse(await clipboard()) as {
      servers: Record<string, { type: string; url: string }>;
    };
    assert.deepEqual(vscode.servers.tunnelgate, { type: 'http', url: endpoint });
    const viaUrl = new Client({ name: 'snippet-check', version: '1' });
    await viaUrl.connect(new StreamableHTTPClientTransport(new URL(vscode.servers.tunnelgate!.url)));
    assert.ok((await viaUrl.listTools()).tools.some((t) => t.name === 'everything__echo'));
    await viaUrl.close();

    await box.getByRole('tab', { name: 'Cursor' }).click();
    assert.deepEqual(JSON.parse((await box.getByTestId('snippet-text').textContent()) ?? ''), {
      mcpServers: { tunnelgate: { url: endpoint } },
    });
    await box.getByRole('tab', { name: 'Codex' }).click();
    assert.equal(
      await box.getByTestId('snippet-text').textContent(),
      `[mcp_servers.tunnelgate]\nurl = "${endpoint}"\n`,
    );

    // Claude Desktop: a stdio command, `npx -y mcp-remote <url>`; run what npx would run.
    await box.getByRole('tab', { name: 'Claude Desktop' }).click();
    await shots(page, 'e2e-connect-snippets');
    await box.getByRole('button', { name: 'Copy for Claude Desktop' }).click();
    const claude = JSON.parse(await clipboard()) as {
      mcpServers: Record<string, { command: string; args: string[] }>;
    };
    const entry = claude.mcpServers.tunnelgate!;
    assert.equal(entry.command, 'npx');
    assert.deepEqual(entry.args.slice(0, 2), ['-y', 'mcp-remote']);
    const bridge = new Client({ name: 'claude-desktop-like', version: '1' });
    await bridge.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [join(ROOT, 'node_modules/mcp-remote/dist/proxy.js'), ...entry.args.slice(2)],
        env: { PATH: process.env.PATH ?? '', HOME: h.dir, MCP_REMOTE_CONFIG_DIR: join(h.dir, 'mcp-auth') },
        stderr: 'ignore',
      }),
    );
    assert.ok((await bridge.listTools()).tools.some((t) => t.name === 'everything__echo'));
    await bridge.close();
  });

  it('shows an isError result as "tool error" in the row, the filter, the detail and the export', async () => {
    const { page } = h;
    await page.getByRole('link', { name: 'Activity' }).click();
    await page.locator('.page-subtitle', { hasText: /(entry|entries), newest first/ }).waitFor();
    const result = await mcp.callTool({
      name: 'fs__read_text_file',
      arguments: { path: '/etc/outside-the-allowed-folder' },
    });
    assert.equal(result.isError, true, 'the real upstream reports a tool error');
    await mcp.callTool({ name: 'everything__echo', arguments: { message: 'all good' } });

    const bad = page.locator('.log-row', { hasText: 'fs__read_text_file' }).first();
    await bad.waitFor({ timeout: 15_000 });
    // Like the echo row below: the row can show the call in flight ("pending") before the settle
    // event arrives (seen on a loaded machine), so wait for the outcome, then check it.
    await bad.locator('.outcome:not([data-outcome="pending"])').waitFor();
    assert.equal(await bad.locator('.outcome').getAttribute('data-outcome'), 'tool_error');
    assert.equal((await bad.locator('.outcome').textContent())?.toLowerCase(), 'tool error');
    const good = page.locator('.log-row', { hasText: 'everything__echo' }).first();
    await good.waitFor();
    // The row can show the call in flight first; its outcome follows with the settle event.
    await good.locator('.outcome[data-outcome="ok"]').waitFor();
    const color = (sel: string) =>
      page
        .locator(sel)
        .first()
        .evaluate(
          (el) =>
            (globalThis as unknown as { getComputedStyle(e: unknown): { color: string } }).getComputedStyle(
              el,
            ).color,
        );
    assert.notEqual(
      await color('.log-row .outcome-tool_error'),
      await color('.log-row .outcome-ok'),
      'a tool error is not shown in the colour of ok',
    );

    await bad.click();
    await page.getByTestId('activity-detail').waitFor();
    assert.match(
      (await page.locator('.detail-error').textContent()) ?? '',
      /The tool reported an error: .*(denied|outside|not allowed)/i,
    );
    await shots(page, 'e2e-activity-tool-error');
    await page.getByRole('button', { name: 'Close detail' }).click();

    await page.getByLabel('Outcome').selectOption('tool_error');
    await page.locator('.page-subtitle', { hasText: /^1 of \d+ entries/ }).waitFor();
    assert.equal(await page.locator('.log-row', { hasText: 'everything__echo' }).count(), 0);
    await page.getByRole('button', { name: 'Reset' }).click();

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export' }).click(),
    ]);
    const lines = (await readFile(await download.path(), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { target?: string; outcome: string });
    assert.equal(lines.find((e) => e.target === 'fs__read_text_file')?.outcome, 'tool_error');
  });

  it('shows a slow call while it runs with a spinner, elapsed time and its last progress', async () => {
    const { page } = h;
    const steps: number[] = [];
    const call = mcp.callTool(
      { name: 'everything__trigger-long-running-operation', arguments: { duration: 4, steps: 4 } },
      undefined,
      { onprogress: (p) => steps.push(p.progress), timeout: 60_000 },
    );
    const row = page.locator('.log-row', { hasText: 'everything__trigger-long-running-operation' }).first();
    await row.locator('[data-outcome="pending"]').waitFor({ timeout: 10_000 });
    assert.equal(steps.length < 4, true, 'shown while the call runs');
    assert.equal(await row.locator('.outcome .spinner').count(), 1);
    await row
      .getByTestId('row-progress')
      .filter({ hasText: /[12]\/4/ })
      .waitFor({ timeout: 10_000 });
    const elapsed = row.getByTestId('elapsed');
    const first = await elapsed.textContent();
    await elapsed.filter({ hasNotText: first ?? '' }).waitFor({ timeout: 5_000 });
    await row.click();
    await page.getByTestId('detail-progress').filter({ hasText: /\/4/ }).waitFor();
    await shots(page, 'e2e-activity-in-flight');
    await call;
    await row.locator('[data-outcome="ok"]').waitFor({ timeout: 10_000 });
    assert.equal(
      await page.locator('.log-row', { hasText: 'everything__trigger-long-running-operation' }).count(),
      1,
      'the call settles in its own row, not a second one',
    );
    assert.match((await page.getByTestId('detail-duration').textContent()) ?? '', /\d(\.\d+)? s/);
    await page.getByRole('button', { name: 'Close detail' }).click();
  });

  it('keeps the saved values in the Settings form after Save', async () => {
    const { page } = h;
    await page.getByRole('link', { name: 'Settings' }).click();
    const retention = page.getByLabel('Keep the log for');
    await retention.waitFor();
    assert.equal(await retention.inputValue(), '14');
    await retention.fill('7');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Settings saved.').waitFor();
    assert.equal(await retention.inputValue(), '7', 'no snap back to the old value');
    // Nothing left to save: the button turns disabled (it may take a render after the notice).
    await page.locator('button:disabled', { hasText: 'Save settings' }).waitFor();
    await shots(page, 'e2e-settings-saved');
    const saved = JSON.parse(await readFile(join(h.dir, 'config.json'), 'utf8')) as {
      activity?: { retentionDays?: number };
    };
    assert.equal(saved.activity?.retentionDays, 7);
  });

  it('imports a Claude Desktop config from a path the user types', async () => {
    const { page } = h;
    const claudeFile = join(h.dir, 'elsewhere-claude.json');
    await writeFile(
      claudeFile,
      JSON.stringify({
        mcpServers: {
          memory: {
            command: process.execPath,
            args: [pkg('server-memory')],
            env: { MEMORY_FILE_PATH: join(h.dir, 'm.jsonl') },
          },
        },
      }),
    );
    await page.getByRole('link', { name: 'Servers' }).click();
    await page.getByRole('button', { name: 'Import Claude Desktop config' }).click();
    await page.getByLabel('Path to claude_desktop_config.json').fill(claudeFile);
    await shots(page, 'e2e-servers-import-path');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByText(`Imported from ${claudeFile}:`).waitFor();
    await page.locator('[data-server="memory"]').waitFor({ timeout: 30_000 });
  });
});
