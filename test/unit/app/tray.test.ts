import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { trayIconFile } from '../../../main/app/icons.js';
import { createTrayController } from '../../../main/app/tray.js';
import {
  buildTrayTemplate,
  trayIconState,
  trayStatusLine,
  type TrayActions,
} from '../../../main/app/tray-model.js';
import type { AppStatus } from '../../../preload/contract.js';
import { baseStatus } from './fake-api.js';
import { createFakeElectron, FakeTray } from './fake-electron.js';

const stopped = baseStatus({
  gateway: { running: false, port: null, localUrl: null, connectorUrl: null, authMode: 'oauth' },
});
const local = baseStatus();
const starting = baseStatus({
  tunnel: { mode: 'quick', phase: 'starting', url: null, reachable: 'unknown' },
});
const publicReady = baseStatus({
  gateway: {
    running: true,
    port: 8740,
    localUrl: 'http://127.0.0.1:8740/mcp',
    connectorUrl: 'https://fancy-river-stone-apple.trycloudflare.com/mcp',
    authMode: 'oauth',
  },
  tunnel: {
    mode: 'quick',
    phase: 'ready',
    url: 'https://fancy-river-stone-apple.trycloudflare.com',
    reachable: 'yes',
  },
  pendingApprovals: 2,
});
const failed = baseStatus({
  tunnel: {
    mode: 'quick',
    phase: 'failed',
    url: null,
    reachable: 'unknown',
    error:
      'cloudflared was not found (looked in tunnel.cloudflaredPath, CLOUDFLARED_BIN, PATH and the app data folder).',
    errorCode: 'binary-missing',
  },
});
const unreachable = baseStatus({
  tunnel: {
    mode: 'quick',
    phase: 'ready',
    url: 'https://a-b-c-d.trycloudflare.com',
    reachable: 'no',
    reachableDetail: '502',
  },
});
const gatewayError = baseStatus({
  gateway: {
    running: false,
    port: null,
    localUrl: null,
    connectorUrl: null,
    authMode: 'oauth',
    error: 'Port 8740 on 127.0.0.1 is already in use',
  },
});

const openaiReady = baseStatus({
  tunnel: {
    mode: 'openai',
    phase: 'ready',
    url: null,
    reachable: 'yes',
    tunnelId: 'tunnel_0123456789abcdef0123456789abcdef',
  },
});
const openaiRefused = baseStatus({
  tunnel: {
    mode: 'openai',
    phase: 'failed',
    url: null,
    reachable: 'unknown',
    tunnelId: 'tunnel_0123456789abcdef0123456789abcdef',
    errorCode: 'unauthorized',
    error: 'OpenAI refused the tunnel API key (HTTP 401, tunnel_use_forbidden).',
  },
});

function recorder() {
  const calls: string[] = [];
  const actions: TrayActions = {
    startGateway: () => calls.push('startGateway'),
    stopGateway: () => calls.push('stopGateway'),
    startTunnel: () => calls.push('startTunnel'),
    stopTunnel: () => calls.push('stopTunnel'),
    copyText: (t) => calls.push(`copy ${t}`),
    openDashboard: (r) => calls.push(`dashboard ${r ?? ''}`.trim()),
    openActivity: () => calls.push('activity'),
    setLaunchAtLogin: (v) => calls.push(`login ${v}`),
    quit: () => calls.push('quit'),
  };
  return { calls, actions };
}

describe('tray status line and icon state', () => {
  const cases: [string, AppStatus, string | RegExp, string][] = [
    ['stopped', stopped, 'Stopped', 'stopped'],
    ['running locally', local, 'Running locally on 127.0.0.1:8740', 'stopped'],
    ['starting', starting, 'Starting…', 'starting'],
    ['public', publicReady, 'Public at fancy-river-stone-apple.trycloudflare.com', 'public'],
    ['tunnel failed', failed, /^Error: cloudflared was not found/, 'error'],
    [
      'not reachable',
      unreachable,
      'Error: a-b-c-d.trycloudflare.com is not reachable from the internet',
      'error',
    ],
    ['gateway error', gatewayError, 'Error: Port 8740 on 127.0.0.1 is already in use', 'error'],
    [
      'OpenAI tunnel connected',
      openaiReady,
      "Connected to OpenAI's tunnel tunnel_0123456789abcdef0123456789abcdef",
      'public',
    ],
    ['OpenAI tunnel key refused', openaiRefused, /^Error: OpenAI refused the tunnel API key/, 'error'],
  ];
  for (const [name, status, line, icon] of cases) {
    it(name, () => {
      const text = trayStatusLine(status);
      if (typeof line === 'string') assert.equal(text, line);
      else assert.match(text, line);
      assert.ok(text.length <= 90, 'the line stays short');
      assert.equal(trayIconState(status), icon);
    });
  }
});

describe('tray menu', () => {
  it("OpenAI's tunnel: stop covers it, and the copy item copies the tunnel id (there is no URL)", () => {
    const { calls, actions } = recorder();
    const items = buildTrayTemplate(openaiReady, false, actions);
    const toggle = items.find((i) => i.id === 'toggle-tunnel');
    assert.equal(toggle?.label, 'Disconnect OpenAI tunnel');
    const idle = buildTrayTemplate(
      baseStatus({ tunnel: { ...openaiReady.tunnel, phase: 'stopped' } }),
      false,
      actions,
    );
    assert.equal(idle.find((i) => i.id === 'toggle-tunnel')?.label, 'Connect OpenAI tunnel');
    const copy = items.find((i) => i.id === 'copy-url');
    assert.equal(copy?.label, 'Copy OpenAI tunnel id');
    (copy?.click as () => void)();
    (toggle?.click as () => void)();
    assert.deepEqual(calls, ['copy tunnel_0123456789abcdef0123456789abcdef', 'stopTunnel']);
  });

  it('has every item, in order, with the status line disabled', () => {
    const { actions } = recorder();
    const items = buildTrayTemplate(publicReady, false, actions);
    assert.deepEqual(
      items.map((i) => i.id ?? i.type),
      [
        'status',
        'separator',
        'toggle-gateway',
        'toggle-tunnel',
        'copy-url',
        'separator',
        'open-dashboard',
        'open-activity',
        'open-approvals',
        'separator',
        'launch-at-login',
        'separator',
        'quit',
      ],
    );
    assert.equal(items[0]?.enabled, false);
    assert.equal(items.find((i) => i.id === 'open-approvals')?.label, 'Pending approvals (2)');
    assert.equal(items.find((i) => i.id === 'launch-at-login')?.type, 'checkbox');
  });

  it('runs the right action for each item', () => {
    const { calls, actions } = recorder();
    const click = (status: AppStatus, id: string, login = false): void => {
      const item = buildTrayTemplate(status, login, actions).find((i) => i.id === id);
      (item?.click as () => void)();
    };
    click(publicReady, 'toggle-gateway');
    click(stopped, 'toggle-gateway');
    click(local, 'toggle-tunnel');
    click(publicReady, 'toggle-tunnel');
    click(publicReady, 'copy-url');
    click(local, 'copy-url');
    click(local, 'open-dashboard');
    click(local, 'open-activity');
    click(publicReady, 'open-approvals');
    click(local, 'launch-at-login', false);
    click(local, 'launch-at-login', true);
    click(local, 'quit');
    assert.deepEqual(calls, [
      'stopGateway',
      'startGateway',
      'startTunnel',
      'stopTunnel',
      'copy https://fancy-river-stone-apple.trycloudflare.com/mcp',
      'copy http://127.0.0.1:8740/mcp',
      'dashboard',
      'activity',
      'dashboard approvals',
      'login true',
      'login false',
      'quit',
    ]);
  });

  it('disables what cannot be done', () => {
    const { actions } = recorder();
    const items = buildTrayTemplate(stopped, false, actions);
    assert.equal(items.find((i) => i.id === 'toggle-tunnel')?.enabled, false, 'no tunnel without a gateway');
    assert.equal(items.find((i) => i.id === 'copy-url')?.enabled, false);
    assert.equal(items.find((i) => i.id === 'open-approvals')?.enabled, false);
    assert.equal(items.find((i) => i.id === 'toggle-gateway')?.label, 'Start gateway');
  });
});

describe('tray controller', () => {
  it('follows the status: icon per state (template images on macOS), tooltip and menu', () => {
    for (const platform of ['darwin', 'linux'] as const) {
      const f = createFakeElectron();
      const { actions } = recorder();
      let login = false;
      const tray = createTrayController({
        electron: f.electron,
        iconsDir: '/res',
        platform,
        actions: { ...actions, setLaunchAtLogin: (v) => (login = v) },
        launchAtLogin: () => login,
      });
      const fake = FakeTray.created[0];
      assert.ok(fake);
      assert.equal(fake.item('status').label, 'Starting…', 'a menu exists before the first status');
      assert.doesNotThrow(() => fake.item('quit'));
      tray.update(local);
      tray.update(starting);
      tray.update(starting);
      tray.update(publicReady);
      tray.update(failed);
      const suffix = platform === 'darwin' ? 'Template' : '';
      assert.deepEqual(
        fake.images,
        [
          `/res/tray-stopped${suffix}.png`,
          `/res/tray-starting${suffix}.png`,
          `/res/tray-public${suffix}.png`,
          `/res/tray-error${suffix}.png`,
        ],
        'the image changes only with the state',
      );
      assert.equal(trayIconFile('public', platform), `tray-public${suffix}.png`);
      assert.match(fake.tooltip, /^Tunnelgate: Error: cloudflared was not found/);
      assert.match(String(fake.item('status').label), /^Error:/);
      fake.click('launch-at-login');
      assert.equal(login, true);
      assert.equal(fake.item('launch-at-login').checked, true, 'the checkbox re-renders at once');
      tray.close();
      assert.equal(fake.destroyed, true);
    }
  });
});
