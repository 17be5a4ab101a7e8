/**
 * After a save, the control service answers with what was saved even though the config store
 * applies the file only when its watcher fires (the Settings form snapped back to the old values);
 * and the status says when this gateway cannot go public, so the window offers no "Go public".
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { configSchema, type TunnelgateConfig } from '../../../main/config/schema.js';
import { createControlService } from '../../../main/control/control-service.js';
import { createFakes } from './fakes.js';

describe('control service: saved settings and local-only status', () => {
  it('returns and keeps the saved settings until the store reports the change', async () => {
    const f = createFakes({ mcpServers: {}, activity: { retentionDays: 14 } });
    // Like the real store: a write lands in the file; read() changes only when the watcher fires.
    let file: TunnelgateConfig | undefined;
    const svc = createControlService({
      ...f.deps,
      config: {
        ...f.deps.config,
        write: async (next) => {
          file = configSchema.parse(next);
        },
      },
    });
    const saved = await svc.updateSettings({ logRetentionDays: 3, port: 9100 });
    assert.equal(saved.logRetentionDays, 3);
    assert.equal(saved.port, 9100);
    const again = await svc.getSettings();
    assert.equal(again.logRetentionDays, 3, 'a reload right after Save shows what was saved');
    assert.equal(again.port, 9100);

    // The watcher fires; later a hand edit of the file wins.
    f.config.change(file!);
    assert.equal((await svc.getSettings()).logRetentionDays, 3);
    f.config.change(configSchema.parse({ mcpServers: {}, activity: { retentionDays: 30 } }));
    assert.equal((await svc.getSettings()).logRetentionDays, 30);
    svc.close();
  });

  it('says in the status why going public is not possible', async () => {
    const f = createFakes();
    const plain = createControlService(f.deps);
    assert.equal((await plain.getStatus()).gateway.cannotGoPublic, undefined);
    plain.close();
    const svc = createControlService({
      ...f.deps,
      tunnel: { ...f.deps.tunnel, cannotStart: () => 'started without a tunnel' },
    });
    assert.equal((await svc.getStatus()).gateway.cannotGoPublic, 'started without a tunnel');
    svc.close();
  });

  it('shows the auth a run with a tunnel has when this one was started without (no auth in the config)', async () => {
    const f = createFakes();
    const local = { ...f.deps.tunnel, cannotStart: () => 'started without a tunnel' };
    const gateway = { ...f.deps.gateway, authMode: () => 'none' as const };
    const svc = createControlService({ ...f.deps, gateway, tunnel: local });
    assert.equal((await svc.getSettings()).authMode, 'oauth', 'restarted with a tunnel, OAuth is on');
    f.config.change(configSchema.parse({ mcpServers: {}, gateway: { auth: 'none' } }));
    assert.equal((await svc.getSettings()).authMode, 'none', 'what the config says wins');
    svc.close();
    const g = createFakes();
    const plain = createControlService({ ...g.deps, gateway: { ...g.deps.gateway, authMode: () => 'none' } });
    assert.equal((await plain.getSettings()).authMode, 'none', 'a public gateway: its own mode');
    plain.close();
  });
});
