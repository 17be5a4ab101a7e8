import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createRendererHandler, registerRendererScheme } from '../../../main/app/renderer-protocol.js';
import {
  hardenSession,
  hardenWebContents,
  isAllowedExternalUrl,
  isOurRendererUrl,
  RENDERER_CSP,
  rendererUrl,
  windowOptions,
} from '../../../main/app/window-options.js';
import { createWindowManager } from '../../../main/app/windows.js';
import { createFakeElectron, FakeBrowserWindow, FakeWebContents } from './fake-electron.js';

describe('window security options', () => {
  it('turns on contextIsolation and sandbox, and node integration off, for every window kind', () => {
    for (const kind of ['dashboard', 'activity'] as const) {
      const prefs = windowOptions(kind, '/app/dist/preload/index.cjs').webPreferences;
      assert.equal(prefs?.contextIsolation, true);
      assert.equal(prefs?.sandbox, true);
      assert.equal(prefs?.nodeIntegration, false);
      assert.equal(prefs?.nodeIntegrationInSubFrames, false);
      assert.equal(prefs?.nodeIntegrationInWorker, false);
      assert.equal(prefs?.webSecurity, true);
      assert.equal(prefs?.webviewTag, false);
      assert.equal(prefs?.allowRunningInsecureContent, false);
      assert.equal(prefs?.preload, '/app/dist/preload/index.cjs');
    }
  });

  it('has a strict CSP: no inline script, no eval, no network, no frames', () => {
    const directives = new Map(
      RENDERER_CSP.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]),
    );
    assert.equal(directives.get('default-src'), "'none'");
    assert.equal(directives.get('script-src'), "'self'");
    assert.equal(directives.get('connect-src'), "'none'");
    assert.equal(directives.get('object-src'), "'none'");
    assert.equal(directives.get('frame-ancestors'), "'none'");
    assert.doesNotMatch(RENDERER_CSP, /unsafe-inline|unsafe-eval|\*|https?:/);
  });

  it('denies navigation and window.open; only allow-listed https links reach the system browser', () => {
    const contents = new FakeWebContents();
    const opened: string[] = [];
    hardenWebContents(contents, (u) => opened.push(u));
    assert.equal(contents.tryNavigate('will-navigate', 'https://evil.example/phish'), true);
    assert.equal(
      contents.tryNavigate('will-navigate', 'https://chatgpt.com/'),
      true,
      'even allowed links never load in our window',
    );
    assert.equal(contents.tryNavigate('will-navigate', rendererUrl('servers')), true);
    assert.equal(contents.tryNavigate('will-redirect', 'https://developers.cloudflare.com/'), true);
    assert.deepEqual(opened, ['https://chatgpt.com/']);
    assert.deepEqual(contents.openHandler?.({ url: 'https://developers.cloudflare.com/cloudflare-one/' }), {
      action: 'deny',
    });
    assert.deepEqual(contents.openHandler?.({ url: 'http://chatgpt.com/' }), { action: 'deny' });
    assert.deepEqual(contents.openHandler?.({ url: 'file:///etc/passwd' }), { action: 'deny' });
    assert.deepEqual(opened, ['https://chatgpt.com/', 'https://developers.cloudflare.com/cloudflare-one/']);
    let webviewPrevented = false;
    contents.emit('will-attach-webview', { preventDefault: () => (webviewPrevented = true) });
    assert.equal(webviewPrevented, true);
  });

  it('allow-lists external URLs strictly', () => {
    assert.equal(isAllowedExternalUrl('https://chatgpt.com/connector'), true);
    assert.equal(isAllowedExternalUrl('https://chatgpt.com.evil.example/'), false);
    assert.equal(isAllowedExternalUrl('https://user:pw@chatgpt.com/'), false);
    assert.equal(isAllowedExternalUrl('https://chatgpt.com:8443/'), false);
    assert.equal(isAllowedExternalUrl('javascript:alert(1)'), false);
    assert.equal(isOurRendererUrl('tunnelgate://app/index.html#/activity'), true);
    assert.equal(isOurRendererUrl('tunnelgate://evil/index.html'), false);
    assert.equal(isOurRendererUrl('file:///app/dist/renderer/index.html'), false);
  });

  it('refuses every permission and cancels requests that are not for our scheme', () => {
    const f = createFakeElectron();
    hardenSession(f.electron.session.defaultSession);
    let granted: boolean | undefined;
    f.permissionHandlers.request?.({}, 'media', (g) => (granted = g));
    assert.equal(granted, false);
    assert.equal(f.permissionHandlers.check?.({}, 'notifications'), false);
    assert.equal(f.beforeRequest('https://evil.example/x.js'), true);
    assert.equal(f.beforeRequest('http://127.0.0.1:8740/mcp'), true);
    assert.equal(f.beforeRequest('tunnelgate://app/assets/index.js'), false);
  });

  it('creates windows with those options, loading only our renderer', () => {
    const f = createFakeElectron();
    const windows = createWindowManager({ electron: f.electron, preloadPath: '/p/index.cjs' });
    windows.showDashboard();
    windows.showActivity();
    windows.showDashboard('approvals');
    assert.equal(FakeBrowserWindow.created.length, 2, 'the dashboard is reused');
    const [dash, activity] = FakeBrowserWindow.created;
    assert.deepEqual(dash?.loaded, ['tunnelgate://app/index.html', 'tunnelgate://app/index.html#/approvals']);
    assert.deepEqual(activity?.loaded, ['tunnelgate://app/index.html#/activity']);
    assert.equal(dash?.options.webPreferences?.sandbox, true);
    assert.ok(dash?.webContents.openHandler, 'window.open is handled (denied)');
    assert.deepEqual(
      [...windows.webContentsIds()].sort(),
      [dash?.webContents.id, activity?.webContents.id].sort(),
    );
    dash?.close();
    assert.deepEqual(
      [...windows.webContentsIds()],
      [activity?.webContents.id],
      'a closed window leaves the sender allow-list',
    );
  });
});

describe('renderer protocol', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tg-renderer-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(join(dir, 'assets', 'index.js'), 'console.log(1)');
  writeFileSync(join(tmpdir(), 'tg-secret-outside.txt'), 'secret');
  after(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(join(tmpdir(), 'tg-secret-outside.txt'), { force: true });
  });
  const handler = createRendererHandler(dir);

  it('registers a standard, secure scheme', () => {
    const f = createFakeElectron();
    registerRendererScheme(f.electron.protocol);
    assert.deepEqual(f.privileged[0]?.[0]?.scheme, 'tunnelgate');
    assert.equal(f.privileged[0]?.[0]?.privileges?.standard, true);
    assert.equal(f.privileged[0]?.[0]?.privileges?.secure, true);
  });

  it('serves our files with the CSP header and the right type', async () => {
    const res = await handler(new Request('tunnelgate://app/index.html'));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-security-policy'), RENDERER_CSP);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    const js = await handler(new Request('tunnelgate://app/assets/index.js'));
    assert.match(js.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.equal(await js.text(), 'console.log(1)');
  });

  it('never serves files outside the renderer folder or for another host', async () => {
    assert.equal((await handler(new Request('tunnelgate://app/..%2Ftg-secret-outside.txt'))).status, 404);
    assert.equal((await handler(new Request('tunnelgate://app/%2e%2e/tg-secret-outside.txt'))).status, 404);
    assert.equal((await handler(new Request('tunnelgate://other/index.html'))).status, 404);
    assert.equal((await handler(new Request('tunnelgate://app/missing.js'))).status, 404);
  });
});
