/**
 * Component-level checks of the built renderer in real Chromium, with the typed stub bridge in place
 * of `window.tunnelgate`: what each page shows and which contract calls each control makes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { buildRenderer, openContext, screenshot, serveFolder } from './browser.js';
import { notPublicInit, stubInit } from './fixtures.js';
import type { StubInit } from './stub-bridge.js';
import { createStubPages, type StubPages } from './stub-page.js';

describe('renderer pages (built bundle, stub bridge, Chromium)', { timeout: 240_000 }, () => {
  let context: BrowserContext;
  let server: Awaited<ReturnType<typeof serveFolder>>;
  let pages: StubPages;

  before(async () => {
    const built = await buildRenderer();
    server = await serveFolder(built.dir);
    const viewport = { width: 1280, height: 820 };
    context = await openContext({ viewport });
    pages = createStubPages(context, { url: server.url, viewport });
  });
  after(async () => {
    await context?.close();
    await server?.close();
  });

  /** Each check in a fresh document of one page (stub-page.ts says why not a fresh page). */
  const open = (route: string, init: StubInit = stubInit(), colorScheme: 'light' | 'dark' = 'light') =>
    pages.open(route, init, colorScheme);
  const calls = (page: Page, method: string) =>
    page.evaluate(
      (m) =>
        (globalThis as unknown as { __stub: { calls: [string, unknown[]][] } }).__stub.calls
          .filter((c) => c[0] === m)
          .map((c) => c[1]),
      method,
    );
  async function done({ page, errors }: { page: Page; errors: string[] }, shot?: string) {
    if (shot) await screenshot(page, `stub-${shot}`);
    assert.deepEqual(errors, [], 'no page or console errors');
  }

  it('Connect: the URL large, auth mode, checklist state, URL-change notice', async () => {
    const init = stubInit();
    init.status.urlChanged = {
      previous: 'https://old-words.trycloudflare.com/mcp',
      current: 'https://calm-river-lake.trycloudflare.com/mcp',
    };
    const p = await open('connect', init);
    const { page } = p;
    await page.getByTestId('connector-url').waitFor();
    assert.equal(
      await page.getByTestId('connector-url').textContent(),
      'https://calm-river-lake.trycloudflare.com/mcp',
    );
    assert.match((await page.getByTestId('auth-mode').textContent()) ?? '', /OAuth/);
    await page
      .context()
      .grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(server.url).origin });
    await page.getByRole('button', { name: 'Copy URL' }).click();
    await page.getByRole('button', { name: 'Copied ✓' }).waitFor();
    assert.equal(
      await page.evaluate('navigator.clipboard.readText()'),
      'https://calm-river-lake.trycloudflare.com/mcp',
    );
    // Both listeners are shown: the local MCP endpoint and the public listener the tunnel forwards to.
    assert.equal(await page.getByTestId('local-url').textContent(), 'http://127.0.0.1:8740/mcp');
    assert.equal(await page.getByTestId('public-listener').textContent(), 'http://127.0.0.1:8741');
    const done_ = await page
      .locator('[data-check]')
      .evaluateAll((els) => els.map((e) => [e.getAttribute('data-check'), e.getAttribute('data-done')]));
    assert.deepEqual(done_, [
      ['gatewayRunning', 'yes'],
      ['tunnelReady', 'yes'],
      ['reachable', 'yes'],
      ['clientApproved', 'no'],
    ]);
    await page.getByText('The public URL changed.').waitFor();
    await page.getByRole('button', { name: 'Got it' }).click();
    await page.getByText('The public URL changed.').waitFor({ state: 'detached' });
    assert.equal((await calls(page, 'acknowledgeUrlChange')).length, 1);
    // A live status event turns the last item green.
    await page.evaluate(() => {
      const w = globalThis as unknown as {
        __stub: {
          state: { status: { checklist: { clientApproved: boolean } } };
          emit(e: string, p: unknown): void;
        };
      };
      w.__stub.state.status.checklist.clientApproved = true;
      w.__stub.emit('status', w.__stub.state.status);
    });
    await page.locator('[data-check="clientApproved"][data-done="yes"]').waitFor();
    assert.match(
      (await page.getByTestId('sidebar-status').textContent()) ?? '',
      /Public at calm-river-lake\.trycloudflare\.com/,
    );
    await done(p, 'connect');
  });

  it("Connect, OpenAI's tunnel: the tunnel id instead of a URL, ChatGPT's Tunnel steps, the workspace binding", async () => {
    const init = stubInit();
    const id = 'tunnel_0123456789abcdef0123456789abcdef';
    init.status.gateway.connectorUrl = null;
    init.status.tunnel = { mode: 'openai', phase: 'ready', url: null, reachable: 'yes', tunnelId: id };
    const p = await open('connect', init);
    const { page } = p;
    await page.getByTestId('openai-tunnel-id').waitFor();
    assert.equal(await page.getByTestId('openai-tunnel-id').textContent(), id);
    assert.equal(await page.getByTestId('connector-url').count(), 0, 'no connector URL to paste');
    assert.match(
      (await page.getByTestId('openai-tunnel-state').textContent()) ?? '',
      new RegExp(`Connected to OpenAI's tunnel ${id}`),
    );
    const steps = (await page.getByTestId('openai-steps').textContent()) ?? '';
    assert.match(steps, /Add custom MCP server/);
    assert.match(steps, /Tunnel/);
    assert.match(steps, /Authentication, choose No authentication/);
    assert.match((await page.getByTestId('openai-binding').textContent()) ?? '', /OpenAI workspace/);
    assert.match(
      (await page.getByTestId('sidebar-status').textContent()) ?? '',
      /Connected to OpenAI's tunnel/,
    );
    await page.getByRole('button', { name: 'Disconnect' }).click();
    assert.equal((await calls(page, 'stopTunnel')).length, 1);
    await done(p, 'connect-openai');
  });

  it('Connect: warns that the URL is the key in auth none, and says what is missing when not public', async () => {
    const init = stubInit();
    init.status.gateway.authMode = 'none';
    const p = await open('connect', init);
    await p.page.getByText('this URL is the key').waitFor();
    await p.page.evaluate(() => {
      const w = globalThis as unknown as {
        __stub: {
          state: {
            status: Record<string, unknown> & {
              gateway: Record<string, unknown>;
              tunnel: Record<string, unknown>;
            };
          };
          emit(e: string, p: unknown): void;
        };
      };
      const s = w.__stub.state.status;
      s.gateway.connectorUrl = null;
      s.tunnel = {
        mode: 'quick',
        phase: 'failed',
        url: null,
        reachable: 'unknown',
        error: 'cloudflared exited: no network',
      };
      w.__stub.emit('status', s);
    });
    await p.page.getByText('No public URL yet: start the tunnel to get one.').waitFor();
    await p.page.getByText('cloudflared exited: no network').waitFor();
    await p.page.getByRole('button', { name: 'Retry tunnel' }).click();
    await p.page.waitForFunction(() =>
      (globalThis as unknown as { __stub: { calls: unknown[][] } }).__stub.calls.some(
        (c) => c[0] === 'startTunnel',
      ),
    );
    await done(p, 'connect-none');
  });

  it('Connect: download progress, keychain missing, gateway stopped', async () => {
    const init = notPublicInit('starting', {
      download: { receivedBytes: 5_000_000, totalBytes: 20_000_000 },
    });
    init.status.checklist = {
      gatewayRunning: true,
      tunnelReady: false,
      reachable: false,
      clientApproved: false,
    };
    init.status.keychain = { available: false, reason: 'no Secret Service provider is running' };
    const p = await open('connect', init);
    const { page } = p;
    await page.getByText('Downloading cloudflared… 25%').waitFor();
    await page.getByText('Getting a public URL from Cloudflare…').waitFor();
    assert.equal(await page.getByLabel('cloudflared download').getAttribute('value'), '5000000');
    await page.getByText('The OS keychain is not available').waitFor();
    await page.getByText(': no Secret Service provider is running', { exact: false }).waitFor();
    assert.match((await page.getByTestId('sidebar-status').textContent()) ?? '', /Downloading cloudflared/);
    await screenshot(page, 'stub-connect-starting');
    await page.evaluate(() => {
      const w = globalThis as unknown as {
        __stub: {
          state: { status: { gateway: Record<string, unknown>; tunnel: Record<string, unknown> } };
          emit(e: string, p: unknown): void;
        };
      };
      const s = w.__stub.state.status;
      s.gateway = { running: false, port: null, localUrl: null, connectorUrl: null, authMode: 'oauth' };
      s.tunnel = { mode: 'quick', phase: 'stopped', url: null, reachable: 'unknown' };
      w.__stub.emit('status', s);
    });
    await page.getByText('Start the gateway to get a URL.').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Go public (start tunnel)' }).isDisabled(), true);
    await page.getByRole('button', { name: 'Start gateway' }).click();
    await page.waitForFunction(() =>
      (globalThis as unknown as { __stub: { calls: unknown[][] } }).__stub.calls.some(
        (c) => c[0] === 'startGateway',
      ),
    );
    await done(p);
  });

  it('Connect: cloudflared missing offers "Download cloudflared" with a progress bar, then Go public', async () => {
    const init = notPublicInit('failed', {
      error: 'cloudflared was not found (CLOUDFLARED_BIN, PATH, the data folder).',
      errorCode: 'binary-missing',
    });
    init.status.checklist = {
      gatewayRunning: true,
      tunnelReady: false,
      reachable: false,
      clientApproved: false,
    };
    const p = await open('connect', init);
    const { page } = p;
    type W = {
      __stub: {
        state: { status: { tunnel: Record<string, unknown> } };
        emit(e: string, p: unknown): void;
        failNext(m: string, message: string): void;
        calls: unknown[][];
      };
    };
    await page.getByText('cloudflared was not found').waitFor();
    await page.getByTestId('download-hint').waitFor();
    // A failed download is said in words and the button stays.
    await page.evaluate(() =>
      (globalThis as unknown as W).__stub.failNext(
        'downloadCloudflared',
        'The cloudflared download failed: checksum mismatch.',
      ),
    );
    await page.getByRole('button', { name: 'Download cloudflared' }).click();
    await page.getByText('The cloudflared download failed: checksum mismatch.').waitFor();

    await page.getByRole('button', { name: 'Download cloudflared' }).click();
    await page.waitForFunction(
      () =>
        (globalThis as unknown as W).__stub.calls.filter((c) => c[0] === 'downloadCloudflared').length === 2,
    );
    await page.getByLabel('cloudflared download').waitFor();
    await page.evaluate(() => {
      const w = globalThis as unknown as W;
      const s = w.__stub.state.status;
      s.tunnel = { ...s.tunnel, download: { receivedBytes: 20_000_000, totalBytes: 40_000_000 } };
      w.__stub.emit('status', s);
    });
    await page.getByText('Downloading cloudflared… 50%').waitFor();
    assert.equal(await page.getByLabel('cloudflared download').getAttribute('value'), '20000000');
    assert.equal(await page.getByRole('button', { name: 'Downloading cloudflared…' }).isDisabled(), true);
    assert.equal(await page.getByRole('button', { name: 'Retry tunnel' }).isDisabled(), true);
    await screenshot(page, 'stub-connect-download');

    // Done: the manager found the binary, binary-missing is gone, going public is the next step.
    await page.evaluate(() => {
      const w = globalThis as unknown as W;
      const s = w.__stub.state.status;
      s.tunnel = {
        mode: 'quick',
        phase: 'stopped',
        url: null,
        reachable: 'unknown',
        binaryPath: '/data/bin/cloudflared',
      };
      w.__stub.emit('status', s);
    });
    await page.getByRole('button', { name: 'Go public (start tunnel)' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Download cloudflared' }).count(), 0);
    assert.equal(await page.getByLabel('cloudflared download').count(), 0);
    await page.getByRole('button', { name: 'Go public (start tunnel)' }).click();
    await page.waitForFunction(() =>
      (globalThis as unknown as W).__stub.calls.some((c) => c[0] === 'startTunnel'),
    );
    // The failure banner of the first attempt does not linger as if it were current.
    assert.equal(await page.getByText('checksum mismatch').count(), 0);
    await done(p);
  });

  it('Servers: status in words, tools with switches, secrets, sign-in, add with errors shown', async () => {
    const p = await open('servers');
    const { page } = p;
    const memory = page.locator('[data-server="memory"]');
    await memory.waitFor();
    assert.match((await memory.textContent()) ?? '', /Running/);
    assert.equal(await memory.getByTestId('tool-count').textContent(), '2 tools');
    await memory.getByRole('button', { name: /2 tools/ }).click();
    await memory.getByText('memory__read_graph').waitFor();
    assert.equal(await memory.getByLabel('Expose delete_entities').isChecked(), false);
    await memory.getByLabel('Expose create_entities').click({ force: true });
    await page.waitForFunction(() =>
      (globalThis as unknown as { __stub: { calls: unknown[][] } }).__stub.calls.some(
        (c) => c[0] === 'setToolEnabled',
      ),
    );
    assert.deepEqual(await calls(page, 'setToolEnabled'), [['memory', 'create_entities', false]]);

    const github = page.locator('[data-server="github"]');
    assert.match((await github.textContent()) ?? '', /Needs attention.*Missing secret 'github'/s);
    await github.getByLabel('Secret github').fill('ghp_example');
    await github.getByRole('button', { name: 'Save to keychain' }).click();
    await page.waitForFunction(() =>
      (globalThis as unknown as { __stub: { calls: unknown[][] } }).__stub.calls.some(
        (c) => c[0] === 'setSecret',
      ),
    );
    assert.deepEqual(await calls(page, 'setSecret'), [['github', 'ghp_example']]);

    await page.locator('[data-server="linear"]').getByRole('button', { name: 'Sign in' }).click();
    await page.waitForFunction(() =>
      (globalThis as unknown as { __stub: { calls: unknown[][] } }).__stub.calls.some(
        (c) => c[0] === 'signIn',
      ),
    );

    await page.getByRole('button', { name: 'Add server' }).first().click();
    await page.getByLabel('Name', { exact: true }).fill('everything');
    await page.getByLabel('Command').fill('npx');
    await page.getByLabel('Arguments').fill('-y\n@modelcontextprotocol/server-everything');
    await page.getByLabel('Environment').fill('API_KEY=${secret:everything}');
    await screenshot(page, 'stub-server-editor');
    await page.evaluate(() =>
      (globalThis as unknown as { __stub: { failNext(m: string, e: string): void } }).__stub.failNext(
        'saveServer',
        'mcpServers.everything.command: must not be empty. Fix the field and save again.',
      ),
    );
    await page.locator('form[aria-label="Add a server"]').getByRole('button', { name: 'Add server' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: 'mcpServers.everything.command: must not be empty' })
      .waitFor();
    await page.locator('form[aria-label="Add a server"]').getByRole('button', { name: 'Add server' }).click();
    await page.locator('form[aria-label="Add a server"]').waitFor({ state: 'detached' });
    const saves = await calls(page, 'saveServer');
    assert.deepEqual(saves.at(-1), [
      'everything',
      {
        command: 'npx',
        args: ['-y', '@modelcontextprotocol/server-everything'],
        env: { API_KEY: '${secret:everything}' },
      },
    ]);
    await done(p, 'servers');
  });

  it('Servers: edits a remote server, keeping its headers with the secret reference', async () => {
    const p = await open('servers');
    const { page } = p;
    await page.locator('[data-server="github"]').getByRole('button', { name: 'Edit' }).click();
    const form = page.locator('form[aria-label="Edit github"]');
    assert.equal(await form.getByLabel('Name', { exact: true }).isDisabled(), true);
    assert.equal(
      await form.getByLabel('URL', { exact: true }).inputValue(),
      'https://api.githubcopilot.com/mcp/',
    );
    assert.equal(await form.getByLabel('Headers').inputValue(), 'Authorization: Bearer ${secret:github}');
    await form.getByLabel('URL', { exact: true }).fill('https://api.githubcopilot.com/mcp/x');
    await form.getByLabel('Transport').selectOption('sse');
    await form.getByLabel('Headers').fill('Authorization: Bearer ${secret:github}\nbroken line');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await form
      .getByRole('alert')
      .filter({ hasText: 'Headers: "broken line" is not in the form Name: value.' })
      .waitFor();
    await form.getByLabel('Headers').fill('Authorization: Bearer ${secret:github}');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await form.waitFor({ state: 'detached' });
    assert.deepEqual(await calls(page, 'saveServer'), [
      [
        'github',
        {
          type: 'sse',
          url: 'https://api.githubcopilot.com/mcp/x',
          headers: { Authorization: 'Bearer ${secret:github}' },
        },
      ],
    ]);
    await done(p);
  });

  it('follows the OS dark mode', async () => {
    const p = await open('servers', stubInit(), 'dark');
    await p.page.locator('[data-server="memory"]').waitFor();
    const bg = await p.page.evaluate('getComputedStyle(document.body).backgroundColor');
    assert.equal(bg, 'rgb(15, 17, 21)', 'dark background from prefers-color-scheme');
    await done(p, 'servers-dark');
  });

  it('Servers: imports Claude Desktop servers and says what was skipped', async () => {
    const p = await open('servers');
    await p.page.evaluate(() => {
      const w = globalThis as unknown as { tunnelgate: { importClaudeConfig(): Promise<unknown> } };
      w.tunnelgate.importClaudeConfig = async () => ({
        source: '/home/u/.config/Claude/claude_desktop_config.json',
        added: ['filesystem'],
        skipped: [{ name: 'memory', reason: 'a server with that name exists' }],
      });
    });
    await p.page.getByRole('button', { name: 'Import Claude Desktop config' }).click();
    await p.page.getByRole('button', { name: 'Import', exact: true }).click();
    await p.page.getByText('Imported from /home/u/.config/Claude/claude_desktop_config.json:').waitFor();
    await p.page.getByText('Skipped memory: a server with that name exists').waitFor();
    await done(p);
  });

  it('Servers: an empty list explains what to do', async () => {
    const p = await open('servers', stubInit({ servers: [] }));
    await p.page.getByText('No servers yet').waitFor();
    await p.page.getByRole('button', { name: 'Add your first server' }).waitFor();
    await done(p, 'servers-empty');
  });

  it('Approvals: pairing code, approve read-only or full, deny, revoke', async () => {
    const p = await open('approvals');
    const { page } = p;
    await page.getByTestId('pairing-code').waitFor();
    assert.equal(await page.getByTestId('pairing-code').textContent(), 'KX7-42Q');
    // The whole redirect URI is shown, so a look-alike connector id on a trusted host stands out.
    assert.equal(
      await page.getByTestId('redirect-uri').textContent(),
      'https://chatgpt.com/connector/oauth/g-4f2a9c',
    );
    await page.getByText('https://chatgpt.com/oauth/client.json').waitFor();
    await page.getByRole('button', { name: 'Approve read-only' }).click();
    await page.getByText('No pending requests').waitFor();
    assert.deepEqual(await calls(page, 'approve'), [['req-1', ['mcp:read']]]);
    page.on('dialog', (d) => void d.accept());
    await page.locator('[data-grant="g-1"]').getByRole('button', { name: 'Revoke' }).click();
    await page.waitForFunction(() =>
      (globalThis as unknown as { __stub: { calls: unknown[][] } }).__stub.calls.some(
        (c) => c[0] === 'revokeGrant',
      ),
    );
    assert.deepEqual(await calls(page, 'revokeGrant'), [['g-1']]);
    await done(p, 'approvals');
  });

  it('Approvals: several waiting requests each show pairing code, client, address and age, newest first', async () => {
    const init = stubInit();
    const base = init.approvals[0]!;
    const now = Date.now();
    init.approvals = [
      {
        ...base,
        id: 'old-1',
        pairingCode: 'AAA-111',
        clientName: 'ChatGPT',
        address: '203.0.113.9',
        createdAt: now - 7 * 60_000,
      },
      {
        ...base,
        id: 'old-2',
        pairingCode: 'BBB-222',
        clientName: 'ChatGPT',
        address: '2001:db8:66::1',
        createdAt: now - 4 * 60_000,
      },
      {
        ...base,
        id: 'mine',
        pairingCode: 'CCC-333',
        clientName: 'ChatGPT',
        address: '198.51.100.10',
        createdAt: now - 5_000,
      },
    ];
    const p = await open('approvals', init);
    const { page } = p;
    await page.getByTestId('several-waiting').waitFor();
    assert.match((await page.getByTestId('several-waiting').textContent()) ?? '', /3 requests are waiting/);
    const cards = page.locator('[data-request]');
    assert.deepEqual(await cards.evaluateAll((els) => els.map((e) => e.getAttribute('data-request'))), [
      'mine',
      'old-2',
      'old-1',
    ]);
    const first = cards.first();
    assert.equal(await first.getByTestId('pairing-code').textContent(), 'CCC-333');
    assert.equal(await first.getByTestId('request-address').textContent(), '198.51.100.10');
    assert.match((await first.getByTestId('request-age').textContent()) ?? '', /^\d+ s ago$/);
    assert.equal(await cards.nth(2).getByTestId('request-age').textContent(), '7 min ago');
    assert.equal(await cards.nth(1).getByTestId('request-address').textContent(), '2001:db8:66::1');
    await done(p, 'approvals-several');
  });

  it('Connectors bound to an old URL: named with their URL, forgotten with one button', async () => {
    const init = stubInit();
    init.status.staleGrants = ['ChatGPT', 'Work ChatGPT'].map((clientName, i) => ({
      grantId: `g-old-${i}`,
      clientId: `c-${i}`,
      clientName,
      resource: 'https://old-words.trycloudflare.com/mcp',
    }));
    const p = await open('connect', init);
    const { page } = p;
    const notice = page.getByTestId('stale-grants');
    await notice.waitFor();
    assert.match((await notice.textContent()) ?? '', /2 connectors are bound to an old URL.*re-create them/);
    assert.match((await notice.textContent()) ?? '', /Work ChatGPT.*old-words\.trycloudflare\.com\/mcp/);
    await screenshot(page, 'stub-stale-grants');
    await page.getByRole('button', { name: 'Forget all 2' }).click();
    await notice.waitFor({ state: 'detached' });
    assert.deepEqual(await calls(page, 'forgetStaleGrants'), [[]]);
    await done(p);
  });

  it('Approvals: a grant Tunnelgate revoked by itself is shown with what the client was told', async () => {
    const init = stubInit();
    init.status.revokedGrants = [
      {
        grantId: 'g-9',
        clientId: 'https://chatgpt.com/oauth/c1/client.json',
        clientName: 'ChatGPT',
        reason: 'refresh-reuse',
        message: 'refresh token reused; sign in again. Tunnelgate revoked this access.',
        at: Date.now(),
      },
    ];
    const p = await open('approvals', init);
    const { page } = p;
    await page.getByTestId('revoked-grants').waitFor();
    const text = (await page.getByTestId('revoked-grants').textContent()) ?? '';
    assert.match(text, /ChatGPT/);
    assert.match(text, /refresh token reused; sign in again/);
    await done(p, 'approvals-revoked');
  });

  it("Connect: ChatGPT's current steps (Security and login, Plugins, Create as a plugin, Refresh)", async () => {
    const p = await open('connect');
    const { page } = p;
    await page.getByTestId('chatgpt-steps').waitFor();
    const steps = (await page.getByTestId('chatgpt-steps').textContent()) ?? '';
    for (const step of [
      /Settings → Security and login/,
      /Developer mode/,
      /chatgpt\.com\/plugins/,
      /Add custom MCP server/,
      /Server URL/,
      /OAuth/,
      /risk warning/,
      /Create as a plugin/,
      /@-mention/,
    ])
      assert.match(steps, step);
    await page.getByText(/press Refresh in the plugin's settings/).waitFor();
    await page.getByText(/Older ChatGPT: Settings → Apps & Connectors/).waitFor();
    await done(p);
  });

  it('Settings: sends only what changed; the token goes as a secret, errors in words', async () => {
    const p = await open('settings');
    const { page } = p;
    await page.getByLabel('Port').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Save settings' }).isDisabled(), true);
    await page.getByLabel('Port').fill('9001');
    await page.getByLabel('Mode').selectOption('named');
    await page.getByLabel('Public hostname').fill('mcp.example.com');
    await page.getByLabel('Tunnel token').fill('eyJ-token');
    await page.evaluate(() =>
      (globalThis as unknown as { __stub: { failNext(m: string, e: string): void } }).__stub.failNext(
        'updateSettings',
        'Port: must be a whole number from 0 to 65535.',
      ),
    );
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('alert').filter({ hasText: 'Port: must be a whole number' }).waitFor();
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Settings saved.').waitFor();
    assert.deepEqual((await calls(page, 'updateSettings')).at(-1), [
      { port: 9001, tunnelMode: 'named', tunnelHostname: 'mcp.example.com', tunnelToken: 'eyJ-token' },
    ]);
    // OpenAI's Secure MCP Tunnel: a tunnel id, and the key as a secret (never shown back).
    await page.getByLabel('Mode').selectOption('openai');
    await page.getByLabel('Tunnel id').fill('tunnel_abc123');
    await page.getByLabel('Runtime API key').fill('sk-openai-tunnel');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Settings saved.').waitFor();
    assert.deepEqual((await calls(page, 'updateSettings')).at(-1), [
      { tunnelMode: 'openai', openaiTunnelId: 'tunnel_abc123', openaiApiKey: 'sk-openai-tunnel' },
    ]);
    await done(p, 'settings');
  });

  it('Activity: 100,000 entries, windowed; newest first; filters; live, pause and detail', async () => {
    const p = await open('activity', stubInit({ activityCount: 100_000 }));
    const { page } = p;
    const rows = page.locator('.vlist-row');
    await rows.first().waitFor();
    assert.match((await page.locator('.page-subtitle').textContent()) ?? '', /100,000 entries, newest first/);
    const inDom = await rows.count();
    assert.ok(inDom > 10 && inDom < 80, `only the visible rows are in the DOM (got ${inDom})`);
    assert.equal(await rows.first().locator('[data-event-id]').getAttribute('data-event-id'), '100000');

    // Scroll to the very end: the oldest entry is there, and still only a window of rows exists.
    await page.locator('.vlist').evaluate((el) => (el.scrollTop = el.scrollHeight));
    await page.locator('[data-event-id="1"]').waitFor();
    assert.ok((await rows.count()) < 80);
    await page.locator('.vlist').evaluate((el) => (el.scrollTop = 34 * 50_000));
    await page.locator('[data-event-id="50000"]').waitFor();

    // Filters: outcome error -> every 7th event; then the server and text filters narrow further.
    await page.getByLabel('Outcome').selectOption('error');
    await page.locator('.page-subtitle', { hasText: /^14,285 of 100,000 entries/ }).waitFor();
    await page.getByLabel('Server').selectOption('alpha');
    await page.locator('.page-subtitle', { hasText: /^7,143 of 100,000 entries/ }).waitFor();
    await page.getByLabel('Search').fill('failure number 99967');
    await page.locator('.page-subtitle', { hasText: /^1 of 100,000 entries/ }).waitFor();
    await rows.first().click();
    const detail = page.getByTestId('activity-detail');
    await detail.waitFor();
    assert.match((await detail.textContent()) ?? '', /failure number 99967/);
    assert.match((await page.getByTestId('detail-request').textContent()) ?? '', /"n": 99967/);
    assert.match((await page.getByTestId('detail-response').textContent()) ?? '', /"text": "result 99967"/);
    await page.getByRole('button', { name: 'Reset' }).click();
    await page.locator('.page-subtitle', { hasText: /^100,000 entries, newest first/ }).waitFor();

    // Keyboard: arrows move the selection (and the detail) through the windowed rows.
    await page.locator('.vlist').evaluate((el) => (el.scrollTop = 0));
    await rows.first().click();
    const selectedIs = (id: number) =>
      page.locator(`.vlist-row.is-selected [data-event-id="${id}"]`).waitFor();
    await selectedIs(100_000);
    await page.locator('.vlist').press('ArrowDown');
    await selectedIs(99_999);
    await page.locator('.vlist').press('ArrowDown');
    await page.locator('.vlist-row.is-selected [data-event-id="99998"]').waitFor();
    assert.match((await page.getByTestId('detail-request').textContent()) ?? '', /"n": 99998/);
    await page.locator('.vlist').press('End');
    await page.locator('.vlist-row.is-selected [data-event-id="1"]').waitFor();
    await page.getByRole('button', { name: 'Close detail' }).click();

    // Live: a new event appears at the top; while paused it waits and is counted.
    const live = (id: number) => ({
      id,
      time: Date.now(),
      kind: 'request',
      method: 'tools/call',
      target: `gamma__live_${id}`,
      upstream: 'gamma',
      outcome: 'ok',
      durationMs: 5,
    });
    await page.evaluate(
      (e) =>
        (globalThis as unknown as { __stub: { emit(n: string, p: unknown): void } }).__stub.emit(
          'activity',
          e,
        ),
      live(100_001),
    );
    await page.locator('.vlist').evaluate((el) => (el.scrollTop = 0));
    await page.locator('[data-event-id="100001"]').waitFor();
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.evaluate(
      (e) =>
        (globalThis as unknown as { __stub: { emit(n: string, p: unknown): void } }).__stub.emit(
          'activity',
          e,
        ),
      live(100_002),
    );
    await page.getByRole('button', { name: 'Resume (1 new)' }).waitFor();
    assert.equal(await page.locator('[data-event-id="100002"]').count(), 0);
    await screenshot(page, 'stub-activity');
    await page.getByRole('button', { name: /Resume/ }).click();
    await page.locator('[data-event-id="100002"]').waitFor();
    assert.equal(await rows.first().locator('[data-event-id]').getAttribute('data-event-id'), '100002');

    // Reading further down while calls stream in: the rows in view stay where they are.
    await page.locator('.vlist').evaluate((el) => (el.scrollTop = 34 * 1000));
    await page.locator('[data-event-id="99002"]').waitFor();
    await page.evaluate(
      (e) =>
        (globalThis as unknown as { __stub: { emit(n: string, p: unknown): void } }).__stub.emit(
          'activity',
          e,
        ),
      live(100_003),
    );
    await page.locator('.page-subtitle', { hasText: /^100,003 entries/ }).waitFor();
    assert.equal(await page.locator('.vlist').evaluate((el) => el.scrollTop), 34 * 1001);
    assert.equal(
      await page
        .locator('.vlist-row', { has: page.locator('[data-event-id="99002"]') })
        .evaluate((el) => (el as unknown as { style: { transform: string } }).style.transform),
      `translateY(${34 * 1001}px)`,
    );

    // Clear asks first, then empties the log.
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByText('No calls yet').waitFor();
    assert.equal((await calls(page, 'clearActivity')).length, 1);
    await done(p, 'activity-cleared');
  });

  it('Activity: "1 entry" in the singular; a system row (tunnel failed) shows no size', async () => {
    const p = await open('activity', stubInit({ activityCount: 0 }));
    const { page } = p;
    await page.getByText('No calls yet').waitFor();
    const emit = (e: unknown) =>
      page.evaluate(
        (ev) =>
          (globalThis as unknown as { __stub: { emit(n: string, p: unknown): void } }).__stub.emit(
            'activity',
            ev,
          ),
        e,
      );
    // As bootstrap-tunnel-report records it: the gateway's own event, no message on the wire.
    await emit({
      id: 1,
      time: Date.now(),
      kind: 'system',
      method: 'tunnel/failed',
      outcome: 'error',
      error: { message: 'cloudflared exited before it had a URL' },
    });
    await page.locator('.page-subtitle', { hasText: /^1 entry, newest first$/ }).waitFor();
    const row = page.locator('[data-event-id="1"]');
    await row.waitFor();
    assert.doesNotMatch(
      (await row.textContent()) ?? '',
      /\d+(\.\d)? ?(B|KB|MB)\b/,
      'no size on a system row',
    );
    await row.click();
    const detail = page.getByTestId('activity-detail');
    await detail.waitFor();
    assert.doesNotMatch((await detail.textContent()) ?? '', /Request size|Response size/);
    await screenshot(page, 'stub-activity-system-row');
    await page.getByRole('button', { name: 'Close detail' }).click();

    await emit({
      id: 2,
      time: Date.now(),
      kind: 'request',
      method: 'tools/call',
      target: 'alpha__echo',
      upstream: 'alpha',
      outcome: 'ok',
      durationMs: 4,
      requestBytes: 60,
      responseBytes: 40,
    });
    await page.locator('.page-subtitle', { hasText: /^2 entries, newest first$/ }).waitFor();
    assert.match((await page.locator('[data-event-id="2"]').textContent()) ?? '', /100 B/);
    await page.getByLabel('Server').selectOption('alpha');
    await page.locator('.page-subtitle', { hasText: /^1 of 2 entries/ }).waitFor();
    await done(p);
  });

  it('Connect: a failed retry says why once; a gateway without a tunnel says Off; a note is not an error', async () => {
    const init = notPublicInit('failed', {
      error: 'cloudflared exited: no network',
    });
    const p = await open('connect', init);
    const { page } = p;
    await page.getByText('cloudflared exited: no network').waitFor();
    await page.evaluate(() =>
      (globalThis as unknown as { __stub: { failNext(m: string, e: string): void } }).__stub.failNext(
        'startTunnel',
        'cloudflared exited: no network',
      ),
    );
    await page.getByRole('button', { name: 'Retry tunnel' }).click();
    await page.waitForFunction(() =>
      (globalThis as unknown as { __stub: { calls: unknown[][] } }).__stub.calls.some(
        (c) => c[0] === 'startTunnel',
      ),
    );
    // The button is enabled again once the rejected call has settled (and set its error, if shown).
    await page.getByRole('button', { name: 'Retry tunnel' }).and(page.locator(':enabled')).waitFor();
    assert.equal(
      await page.getByText('cloudflared exited: no network').count(),
      1,
      'the Tunnel row says why; no banner repeats it',
    );
    await done(p);

    const local = notPublicInit('stopped');
    local.status.gateway.cannotGoPublic =
      'This gateway serves this computer only: it was started without a tunnel.';
    const q = await open('connect', local);
    await q.page.getByText('Off: this gateway serves this computer only').waitFor();
    assert.equal(await q.page.getByText('Not public (tunnel stopped)').count(), 0);
    await screenshot(q.page, 'stub-connect-local-only');
    await q.page.goto(`${server.url}#/activity`);
    await q.page.getByText('No calls yet').waitFor();
    await q.page.evaluate(() =>
      (globalThis as unknown as { __stub: { emit(n: string, p: unknown): void } }).__stub.emit('activity', {
        id: 1,
        time: Date.now(),
        kind: 'system',
        method: 'gateway/naming',
        upstream: 'everything',
        outcome: 'note',
        error: { message: "tool 'simulate-research-query' is hidden: it runs only as a task" },
      }),
    );
    const row = q.page.locator('[data-event-id="1"]');
    await row.waitFor();
    assert.equal(await row.locator('[data-outcome]').getAttribute('data-outcome'), 'note');
    await row.click();
    const message = q.page.getByTestId('detail-message');
    await message.waitFor();
    assert.match((await message.getAttribute('class')) ?? '', /detail-note/);
    assert.equal(await q.page.getByLabel('Outcome').locator('option[value="note"]').count(), 1);
    await done(q, 'activity-note');
  });
});
