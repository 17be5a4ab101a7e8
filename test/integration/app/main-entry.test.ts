/**
 * The compiled Electron entry (dist/main/app/main.js, as scripts/build.mjs builds it) run under
 * plain Node with a fake 'electron' module (no Electron binary can run here): it must wire the real
 * services, the preload and renderer paths, the tray icons, the renderer scheme, and quit cleanly.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, it } from 'node:test';

const ROOT = resolve(import.meta.dirname, '../../..');
// Inside the repository so that the compiled files find node_modules.
const out = join(ROOT, 'test-output', `app-entry-${process.pid}`);
const home = mkdtempSync(join(tmpdir(), 'tg-app-entry-'));
after(() => {
  rmSync(out, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
});

before(() => {
  // The build under test: dist/ as scripts/build.mjs makes it, compiled by scripts/test.sh when older
  // than the sources (scripts/test-build.mjs; run here when this file runs alone). A copy, so that
  // the renderer folder beside it can be a stub.
  const dist =
    process.env.TUNNELGATE_TEST_DIST ??
    execFileSync(process.execPath, [join(ROOT, 'scripts/test-build.mjs'), import.meta.filename], {
      cwd: ROOT,
      encoding: 'utf8',
    }).trim();
  cpSync(join(dist, 'main'), join(out, 'main'), { recursive: true });
  cpSync(join(dist, 'preload'), join(out, 'preload'), { recursive: true });
  mkdirSync(join(out, 'renderer'), { recursive: true });
  writeFileSync(join(out, 'renderer', 'index.html'), '<!doctype html><title>Tunnelgate</title>');
});

it('starts the app from the compiled entry and quits it cleanly', { timeout: 240_000 }, async () => {
  const config = join(home, 'config.json');
  writeFileSync(config, JSON.stringify({ gateway: { port: 0 }, mcpServers: {} }));
  const child = spawn(
    process.execPath,
    [
      '--import',
      join(ROOT, 'test/integration/app/register-fake-electron.mjs'),
      join(out, 'main/app/main.js'),
    ],
    {
      cwd: home,
      env: {
        ...process.env,
        TUNNELGATE_CONFIG: config,
        HOME: home,
        XDG_CONFIG_HOME: join(home, 'config'),
        XDG_DATA_HOME: process.env.XDG_DATA_HOME ?? join(home, 'data'),
        FAKE_ELECTRON_USERDATA: join(home, 'userData'),
        FAKE_ELECTRON_APP_PATH: ROOT,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const events: Record<string, unknown>[] = [];
  createInterface({ input: child.stdout }).on('line', (l) => {
    try {
      events.push(JSON.parse(l) as Record<string, unknown>);
    } catch {
      // Not one of the fake's reports (e.g. bootstrap's own output).
    }
  });
  const code = await new Promise<number | null>((res) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('exit', (c) => {
      clearTimeout(timer);
      res(c);
    });
  });
  const find = (key: string) => events.find((e) => key in e)?.[key] as Record<string, unknown> & unknown;
  assert.equal(code, 0, `exit code; stderr:\n${stderr}\nevents: ${JSON.stringify(events)}`);
  assert.deepEqual(
    Object.keys(events[0] ?? {}),
    ['schemes'],
    'the scheme is registered first (before ready)',
  );
  assert.deepEqual(find('schemes'), ['tunnelgate']);
  const win = find('window');
  assert.equal(win.preload, join(out, 'preload/index.cjs'));
  assert.equal(win.preloadExists, true);
  assert.deepEqual([win.contextIsolation, win.sandbox, win.nodeIntegration], [true, true, false]);
  assert.equal(find('loadURL'), 'tunnelgate://app/index.html');
  assert.deepEqual(
    find('served'),
    { status: 200, csp: true },
    'the renderer folder resolved from the compiled layout',
  );
  assert.equal(find('tray'), join(ROOT, 'resources', 'tray-stopped.png'));
  assert.equal(events.find((e) => 'tray' in e)?.exists, true);
  assert.ok(
    events.some(
      (e) => typeof e.status === 'string' && /^Running locally on 127\.0\.0\.1:\d+$/.test(e.status),
    ),
    JSON.stringify(events),
  );
  assert.deepEqual(find('quit'), { held: true }, 'quit waits for the services to stop');
  assert.equal(find('exit'), 0);
  // The shell's preferences live in electron-store's file under userData (nothing public by default).
  assert.deepEqual(JSON.parse(readFileSync(join(home, 'userData', 'app-state.json'), 'utf8')), {
    goPublicOnLaunch: false,
  });
});
