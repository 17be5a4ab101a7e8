import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AppStatus } from '../../../preload/contract.js';
import { createControlService } from '../../../main/control/control-service.js';
import { createFakes } from './fakes.js';

const MISSING = {
  mode: 'quick',
  phase: 'failed',
  url: null,
  reachable: 'unknown',
  error: 'cloudflared was not found: install it or let Tunnelgate download it.',
  errorCode: 'binary-missing',
} as const;

describe('control service: downloadCloudflared', () => {
  it('asks the tunnel to download; status carries the progress, then binary-missing is gone', async () => {
    const f = createFakes();
    f.tunnel.state = { ...MISSING };
    let finish!: () => void;
    f.tunnel.downloadGate = new Promise((r) => (finish = r));
    const svc = createControlService(f.deps);
    const seen: AppStatus[] = [];
    const off = svc.onStatus((s) => seen.push(s));
    try {
      assert.equal((await svc.getStatus()).tunnel.errorCode, 'binary-missing');
      const done = svc.downloadCloudflared();
      // While it runs, status shows the progress for the window's bar.
      const during = await svc.getStatus();
      assert.deepEqual(during.tunnel.download, { receivedBytes: 0, totalBytes: 1000 });
      assert.equal(f.tunnel.downloads, 1);
      finish();
      await done;
      const afterwards = await svc.getStatus();
      assert.equal(afterwards.tunnel.errorCode, undefined);
      assert.equal(afterwards.tunnel.download, undefined);
      assert.equal(afterwards.tunnel.phase, 'stopped');
      assert.equal(afterwards.tunnel.binaryPath, '/data/bin/cloudflared');
      // Subscribers heard about the change without asking.
      const deadline = Date.now() + 2000;
      while (!seen.some((s) => s.tunnel.binaryPath)) {
        assert.ok(Date.now() < deadline, 'no status push after the download');
        await new Promise((r) => setTimeout(r, 10));
      }
    } finally {
      off();
      svc.close();
    }
  });

  it('a failed download rejects with the tunnel’s words and leaves binary-missing in place', async () => {
    const f = createFakes();
    f.tunnel.state = { ...MISSING };
    f.tunnel.downloadError = 'The cloudflared download failed: checksum mismatch. Try again later.';
    const svc = createControlService(f.deps);
    try {
      await assert.rejects(svc.downloadCloudflared(), /checksum mismatch/);
      const s = await svc.getStatus();
      assert.equal(s.tunnel.errorCode, 'binary-missing');
      assert.equal(s.tunnel.download, undefined);
    } finally {
      svc.close();
    }
  });
});
