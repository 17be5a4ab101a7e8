import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createControlService } from '../../../main/control/control-service.js';
import { createFakes, nextValue } from './fakes.js';

const memoryServer = { command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'] };

describe('control service: status and checklist', () => {
  it('builds the connector URL from the ready tunnel and turns the checklist green step by step', async () => {
    const f = createFakes();
    const svc = createControlService(f.deps);
    let s = await svc.getStatus();
    assert.equal(s.gateway.localUrl, 'http://127.0.0.1:8740/mcp');
    assert.equal(s.gateway.connectorUrl, null);
    assert.deepEqual(s.checklist, {
      gatewayRunning: true,
      tunnelReady: false,
      reachable: false,
      clientApproved: false,
    });

    const pushed = nextValue(svc.onStatus);
    f.tunnel.setState({ phase: 'ready', url: 'https://a-b-c.trycloudflare.com', reachable: 'yes' });
    s = await pushed;
    assert.equal(s.gateway.connectorUrl, 'https://a-b-c.trycloudflare.com/mcp');
    assert.equal(s.checklist.tunnelReady, true);
    assert.equal(s.checklist.reachable, true);

    f.auth.pending.push({
      id: 'r1',
      pairingCode: 'ABC-123',
      clientId: 'c1',
      clientName: 'ChatGPT',
      redirectHost: 'chatgpt.com',
      redirectUri: 'https://chatgpt.com/connector/oauth/abc',
      requestedScopes: ['mcp:full'],
      createdAt: 1,
      expiresAt: 2,
    });
    assert.equal((await svc.getStatus()).pendingApprovals, 1);
    await svc.approve('r1', ['mcp:full']);
    s = await svc.getStatus();
    assert.equal(s.checklist.clientApproved, true);
    assert.equal(s.pendingApprovals, 0);
    svc.close();
  });

  it('uses the secret path in auth none (public side only) and needs no approval then', async () => {
    const f = createFakes({ mcpServers: {}, gateway: { publicUrl: 'https://from-config.example' } });
    f.gateway.authMode = 'none';
    f.gateway.path = '/s/0123456789abcdef0123456789abcdef/mcp';
    const svc = createControlService(f.deps);
    const s = await svc.getStatus();
    assert.equal(s.gateway.localUrl, 'http://127.0.0.1:8740/mcp', 'the local endpoint has no secret path');
    assert.equal(
      s.gateway.connectorUrl,
      'https://from-config.example/s/0123456789abcdef0123456789abcdef/mcp',
    );
    assert.equal(s.gateway.publicListener, 'http://127.0.0.1:8741');
    assert.equal(s.checklist.clientApproved, true);
    svc.close();
  });

  it("prefers the gateway's own public origin (--public-url) when it reports one", async () => {
    const f = createFakes({ mcpServers: {}, gateway: { publicUrl: 'https://from-config.example' } });
    const plain = createControlService(f.deps);
    assert.equal((await plain.getStatus()).gateway.connectorUrl, 'https://from-config.example/mcp');
    plain.close();
    const svc = createControlService({
      ...f.deps,
      gateway: { ...f.deps.gateway, publicOrigin: () => 'http://127.0.0.1:9999' },
    });
    assert.equal((await svc.getStatus()).gateway.connectorUrl, 'http://127.0.0.1:9999/mcp');
    f.gateway.running = false;
    assert.equal(
      (await svc.getStatus()).gateway.connectorUrl,
      null,
      'no URL to paste while the gateway is stopped',
    );
    svc.close();
  });

  it('reports a changed public URL until acknowledged', async () => {
    const f = createFakes();
    const svc = createControlService(f.deps);
    f.tunnel.changeUrl(null, 'https://first.trycloudflare.com');
    assert.equal((await svc.getStatus()).urlChanged, undefined, 'the first URL is not a change');
    const pushed = nextValue(svc.onStatus);
    f.tunnel.changeUrl('https://first.trycloudflare.com', 'https://second.trycloudflare.com');
    const s = await pushed;
    assert.deepEqual(s.urlChanged, {
      previous: 'https://first.trycloudflare.com/mcp',
      current: 'https://second.trycloudflare.com/mcp',
    });
    await svc.acknowledgeUrlChange();
    assert.equal((await svc.getStatus()).urlChanged, undefined);
    svc.close();
  });

  it('shows the URL change auth saw since the last run until acknowledged', async () => {
    const f = createFakes();
    let change: { previous: string; current: string } | undefined = {
      previous: 'https://old.trycloudflare.com',
      current: 'https://new.trycloudflare.com',
    };
    const svc = createControlService({ ...f.deps, auth: { ...f.deps.auth, lastUrlChange: () => change } });
    assert.deepEqual((await svc.getStatus()).urlChanged, {
      previous: 'https://old.trycloudflare.com/mcp',
      current: 'https://new.trycloudflare.com/mcp',
    });
    await svc.acknowledgeUrlChange();
    assert.equal((await svc.getStatus()).urlChanged, undefined);
    change = { previous: 'https://new.trycloudflare.com', current: 'https://third.trycloudflare.com' };
    assert.equal(
      (await svc.getStatus()).urlChanged?.current,
      'https://third.trycloudflare.com/mcp',
      'a later change shows again',
    );
    svc.close();
  });

  it('says plainly when the keychain is unavailable', async () => {
    const f = createFakes();
    f.keychain = { available: false, reason: 'no Secret Service on the session bus' };
    const svc = createControlService(f.deps);
    assert.deepEqual((await svc.getStatus()).keychain, {
      available: false,
      reason: 'no Secret Service on the session bus',
    });
    await assert.rejects(svc.setSecret('github', 'ghp_x'), /keychain is not available/);
    svc.close();
  });
});

describe('control service: servers', () => {
  it('merges config and live state, with tools, read-only marks and missing secrets', async () => {
    const f = createFakes({
      mcpServers: {
        memory: { ...memoryServer, tools: { deny: ['delete_entities'], readOnly: ['search_nodes'] } },
        github: { url: 'https://api.example.com/mcp', headers: { Authorization: 'Bearer ${secret:github}' } },
        off: { command: 'x', enabled: false },
      },
    });
    f.upstreams.states = [
      { name: 'memory', transport: 'stdio', status: 'ready', since: 1, restarts: 2 },
      {
        name: 'github',
        transport: 'http',
        status: 'misconfigured',
        error: "Secret 'github' is not in the keychain",
        since: 1,
        restarts: 0,
      },
      { name: 'demo', transport: 'builtin', status: 'ready', since: 1, restarts: 0 },
    ];
    f.upstreams.tools.memory = [
      { name: 'read_graph', annotations: { readOnlyHint: true }, description: 'Read it' },
      { name: 'search_nodes' },
      { name: 'delete_entities' },
      // Task-only (server-everything's simulate-research-query): the router hides it from clients.
      { name: 'research', execution: { taskSupport: 'required' } },
    ];
    const svc = createControlService(f.deps);
    const servers = await svc.listServers();
    assert.deepEqual(
      servers.map((s) => s.name),
      ['memory', 'github', 'off', 'demo'],
    );
    const [memory, github, off, demo] = servers;
    assert.equal(memory?.status, 'ready');
    assert.equal(memory?.restarts, 2);
    assert.equal(memory?.toolCount, 2);
    assert.deepEqual(
      memory?.tools.map((t) => [t.name, t.exposedName, t.enabled, t.readOnly]),
      [
        ['read_graph', 'memory__read_graph', true, true],
        ['search_nodes', 'memory__search_nodes', true, true],
        ['delete_entities', 'memory__delete_entities', false, false],
        ['research', 'memory__research', true, false],
      ],
    );
    // Not counted and not offered: clients never see it, so the page says why instead.
    assert.equal(
      memory?.tools.find((t) => t.name === 'research')?.hidden,
      'runs only as a task, and the gateway does not relay tasks',
    );
    assert.deepEqual(
      memory?.tools.filter((t) => t.hidden).map((t) => t.name),
      ['research'],
    );
    assert.deepEqual(github?.missingSecrets, ['github']);
    assert.equal(github?.error, "Secret 'github' is not in the keychain");
    assert.equal(github?.transport, 'http');
    assert.equal(off?.status, 'disabled');
    assert.equal(off?.enabled, false);
    assert.equal(demo?.transport, 'builtin');

    f.secrets.set('github', 'ghp_secret');
    const again = await svc.listServers();
    assert.deepEqual(again[1]?.missingSecrets, []);
    assert.ok(!JSON.stringify(again).includes('ghp_secret'), 'a secret value never appears in a view');
    svc.close();
  });

  it('shows per tool what ChatGPT would object to, and the hints the owner overrode', async () => {
    const f = createFakes({
      mcpServers: {
        memory: {
          ...memoryServer,
          annotations: { read_graph: { destructiveHint: false, openWorldHint: false } },
        },
      },
    });
    f.upstreams.states = [{ name: 'memory', transport: 'stdio', status: 'ready', since: 1, restarts: 0 }];
    f.upstreams.tools.memory = [
      {
        name: 'read_graph',
        description: 'Read it',
        inputSchema: { type: 'object' },
        annotations: { readOnlyHint: true },
      },
      { name: 'bad_schema', description: 'Broken', inputSchema: { type: 'string' } },
    ];
    const svc = createControlService(f.deps);
    const [memory] = await svc.listServers();
    const [read, bad] = memory!.tools;
    assert.deepEqual(read?.findings, []);
    assert.deepEqual(read?.hints, { readOnlyHint: true, destructiveHint: false, openWorldHint: false });
    assert.deepEqual(read?.overriddenHints, ['destructiveHint', 'openWorldHint']);
    assert.deepEqual(
      bad?.findings?.map((x) => [x.level, x.code]),
      [
        ['failure', 'schema-invalid'],
        ['warning', 'hint-missing'],
      ],
    );
    assert.equal(bad?.overriddenHints, undefined);
    svc.close();
  });

  it('saves, validates, enables, disables and removes servers in the config', async () => {
    const f = createFakes();
    const svc = createControlService(f.deps);
    const pushed = nextValue(svc.onServers);
    await svc.saveServer('memory', memoryServer);
    assert.deepEqual(
      (await pushed).map((s) => s.name),
      ['memory'],
    );
    assert.deepEqual(f.config.current.mcpServers.memory, memoryServer);

    await assert.rejects(svc.saveServer('bad name!', memoryServer), /Server name 'bad name!' is not allowed/);
    await assert.rejects(svc.saveServer('web', { url: 'htps:/x' }), /mcpServers\.web\.url: not a URL/);
    await assert.rejects(svc.saveServer('web', {}), /give either "command"/);
    await assert.rejects(svc.saveServer('s', { command: '' }), /mcpServers\.s\.command: must not be empty/);

    await svc.setServerEnabled('memory', false);
    assert.equal((f.config.current.mcpServers.memory as { enabled?: boolean } | undefined)?.enabled, false);
    await assert.rejects(svc.setServerEnabled('nope', true), /No server named 'nope'/);
    await svc.removeServer('memory');
    assert.deepEqual(f.config.current.mcpServers, {});
    svc.close();
  });

  it('switches single tools through tools.deny and tools.allow', async () => {
    const f = createFakes({
      mcpServers: { m: { command: 'x', tools: { allow: ['a'], deny: ['secret_*'] } } },
    });
    const svc = createControlService(f.deps);
    await svc.setToolEnabled('m', 'b', true);
    assert.deepEqual(f.config.current.mcpServers.m?.tools, { allow: ['a', 'b'], deny: ['secret_*'] });
    await svc.setToolEnabled('m', 'a', false);
    assert.deepEqual(f.config.current.mcpServers.m?.tools, { allow: ['a', 'b'], deny: ['secret_*', 'a'] });
    await svc.setToolEnabled('m', 'a', true);
    assert.deepEqual(f.config.current.mcpServers.m?.tools, { allow: ['a', 'b'], deny: ['secret_*'] });
    await assert.rejects(
      svc.setToolEnabled('m', 'secret_x', true),
      /pattern 'secret_\*' in mcpServers\.m\.tools\.deny/,
    );
    svc.close();
  });

  it('passes restart, sign-in and import through', async () => {
    const f = createFakes({ mcpServers: { m: { command: 'x' } } });
    const svc = createControlService(f.deps);
    await svc.restartServer('m');
    await svc.signIn('m');
    assert.deepEqual(f.upstreams.restarted, ['m']);
    assert.deepEqual(f.upstreams.signedIn, ['m']);
    assert.deepEqual((await svc.importClaudeConfig('/tmp/c.json')).added, ['imported']);
    svc.close();
  });
});

describe('control service: secrets, approvals, activity, settings', () => {
  it('stores and deletes secrets by name, refusing bad names and empty values', async () => {
    const f = createFakes();
    const svc = createControlService(f.deps);
    await svc.setSecret('github', 'v1');
    assert.deepEqual(await svc.listSecrets(), ['github']);
    await assert.rejects(svc.setSecret('a b', 'v'), /Secret name 'a b' is not allowed/);
    await assert.rejects(svc.setSecret('x', ''), /empty/);
    await svc.deleteSecret('github');
    await assert.rejects(svc.deleteSecret('github'), /No secret named 'github'/);
  });

  it("neither lists nor deletes the gateway's own signing key (deleting it would sign every client out)", async () => {
    const f = createFakes();
    f.secrets.set('auth:signing-key', '{"kty":"EC"}');
    f.secrets.set('github', 'v1');
    const svc = createControlService(f.deps);
    assert.deepEqual(await svc.listSecrets(), ['github']);
    await assert.rejects(
      svc.deleteSecret('auth:signing-key'),
      /own token-signing key.*revoke it on the Approvals page/,
    );
    assert.equal(f.secrets.get('auth:signing-key'), '{"kty":"EC"}', 'the key is still in the keychain');
  });

  it('approves only with known scopes, denies and pushes the pending list', async () => {
    const f = createFakes();
    f.auth.pending.push(
      {
        id: 'r1',
        pairingCode: 'AAA',
        clientId: 'c',
        clientName: 'A',
        redirectHost: 'h',
        redirectUri: 'https://h/cb',
        requestedScopes: [],
        createdAt: 1,
        expiresAt: 2,
      },
      {
        id: 'r2',
        pairingCode: 'BBB',
        clientId: 'd',
        clientName: 'B',
        redirectHost: 'h',
        redirectUri: 'https://h/cb',
        requestedScopes: [],
        createdAt: 1,
        expiresAt: 2,
      },
    );
    const svc = createControlService(f.deps);
    await assert.rejects(svc.approve('r1', ['admin']), /scopes must be/);
    await assert.rejects(svc.approve('r1', []), /scopes must be/);
    const pushed = nextValue(svc.onApprovals);
    await svc.approve('r1', ['mcp:read']);
    assert.deepEqual(
      (await pushed).map((p) => p.id),
      ['r2'],
    );
    await svc.deny('r2');
    assert.deepEqual(f.auth.denied, ['r2']);
    assert.equal((await svc.listGrants()).length, 1);
    await svc.revokeGrant('g-r1');
    assert.equal((await svc.listGrants()).length, 0);
    svc.close();
  });

  it('streams activity events and pages back through the log', async () => {
    const f = createFakes();
    const svc = createControlService(f.deps);
    const seen = nextValue(svc.onActivity);
    const ev = f.activity.push({
      time: 1,
      kind: 'request',
      method: 'tools/call',
      target: 'm__echo',
      outcome: 'ok',
    });
    assert.deepEqual(await seen, ev);
    for (let i = 0; i < 10; i++)
      f.activity.push({ time: i, kind: 'request', method: 'tools/list', outcome: 'ok' });
    assert.deepEqual(
      (await svc.getActivity({ limit: 3 })).map((e) => e.id),
      [9, 10, 11],
    );
    assert.deepEqual(
      (await svc.getActivity({ limit: 2, beforeId: 5 })).map((e) => e.id),
      [3, 4],
    );
    assert.equal((await svc.getActivity({ limit: 0 })).length, 1, 'limit is clamped to at least 1');
    assert.match(await svc.exportActivity(), /"method":"tools\/call"/);
    await svc.clearActivity();
    assert.deepEqual(await svc.getActivity(), []);
    svc.close();
  });

  it('reads and updates settings; the tunnel token goes to the keychain only', async () => {
    const f = createFakes();
    const svc = createControlService(f.deps);
    const s = await svc.getSettings();
    assert.deepEqual(s, {
      port: 8740,
      authMode: 'oauth',
      tunnelMode: 'quick',
      tunnelTokenStored: false,
      launchAtLogin: false,
      launchAtLoginAvailable: false,
      logRetentionDays: 14,
    });
    const next = await svc.updateSettings({
      port: 9000,
      tunnelMode: 'named',
      tunnelHostname: 'mcp.example.com',
      tunnelToken: 'eyJ-token',
      logRetentionDays: 3,
    });
    assert.equal(next.port, 9000);
    assert.equal(next.tunnelMode, 'named');
    assert.equal(next.tunnelTokenStored, true);
    assert.equal(f.secrets.get('cloudflared-tunnel-token'), 'eyJ-token');
    assert.ok(!JSON.stringify(f.config.current).includes('eyJ-token'), 'the token is not in the config');
    assert.equal(f.config.current.tunnel?.tokenSecret, 'cloudflared-tunnel-token');
    await assert.rejects(
      svc.updateSettings({ port: 70000 }),
      /Port: must be a whole number from 0 to 65535 \(got 70000\)/,
    );
    await assert.rejects(svc.updateSettings({ logRetentionDays: 0 }), /Log retention/);
    await assert.rejects(svc.updateSettings({ launchAtLogin: true }), /desktop app only/);
    svc.close();
  });

  it('shows a quick tunnel as the default mode even while no tunnel runs', async () => {
    const f = createFakes();
    f.tunnel.state = { mode: 'off', phase: 'stopped', url: null, reachable: 'unknown' };
    const svc = createControlService(f.deps);
    assert.equal((await svc.getSettings()).tunnelMode, 'quick');
    f.config.current = { ...f.config.current, tunnel: { mode: 'off' } };
    assert.equal((await svc.getSettings()).tunnelMode, 'off');
    svc.close();
  });

  it('uses the platform port for launch at login when there is one', async () => {
    const f = createFakes();
    let login = false;
    const svc = createControlService({
      ...f.deps,
      platform: { getLaunchAtLogin: () => login, setLaunchAtLogin: (v) => (login = v) },
    });
    assert.equal((await svc.getSettings()).launchAtLoginAvailable, true);
    assert.equal((await svc.updateSettings({ launchAtLogin: true })).launchAtLogin, true);
    assert.equal(login, true);
    svc.close();
  });

  it('unsubscribes from every service on close', () => {
    const f = createFakes();
    const before = f.subscriberCount();
    const svc = createControlService(f.deps);
    assert.ok(f.subscriberCount() > before);
    svc.close();
    assert.equal(f.subscriberCount(), before);
  });
});
