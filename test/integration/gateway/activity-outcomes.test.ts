/**
 * Outcomes that tell the truth, through a real gateway, real upstreams and the real activity log:
 * a tool's own failure (`isError: true`) is `tool_error` (not `ok`) in the events, the files and
 * `tunnelgate logs`' line; a slow call is published as `pending` while it runs (the log shows a
 * call once it has run 100 ms), with its progress, and settles under the same id.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createActivityLog, formatEventLine, readRecentEvents } from '../../../main/activity/index.js';
import type { ActivityEvent } from '../../../main/activity/types.js';
import { createGateway } from '../../../main/gateway/gateway.js';
import { createUpstreamManager } from '../../../main/gateway/upstream/index.js';
import type { ServerConfig } from '../../../main/config/schema.js';

const root = resolve(import.meta.dirname, '../../..');
const pkg = (name: string): string => join(root, 'node_modules/@modelcontextprotocol', name, 'dist/index.js');

describe('activity outcomes over real upstreams', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tg-outcomes-'));
  const servers: Record<string, ServerConfig> = {
    everything: { command: process.execPath, args: [pkg('server-everything'), 'stdio'] },
    fs: { command: process.execPath, args: [pkg('server-filesystem'), join(dir)] },
  };
  const activity = createActivityLog({ dir: join(dir, 'activity'), progressIntervalMs: 0 });
  const events: ActivityEvent[] = [];
  activity.subscribe((e) => events.push(e));
  const manager = createUpstreamManager({});
  const gateway = createGateway({ upstreams: manager, servers, activity, callTimeoutMs: 30_000 });
  let client: Client;

  before(async () => {
    await manager.apply(servers);
    const { port } = await gateway.listen(0);
    client = new Client({ name: 'outcomes-test', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`)));
  });
  after(async () => {
    await client?.close();
    await gateway.close();
    await manager.close();
    await activity.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('an isError result is tool_error in the events, the files and the logs line', async () => {
    const result = await client.callTool({
      name: 'fs__read_text_file',
      arguments: { path: '/etc/hostname-outside-the-allowed-folder' },
    });
    assert.equal(result.isError, true, 'the upstream reports a tool error');
    const ev = events.findLast((e) => e.target === 'fs__read_text_file');
    assert.equal(ev?.outcome, 'tool_error');
    assert.match(ev?.error?.message ?? '', /denied|outside|not allowed/i, 'the tool’s own words');
    await activity.flush();
    const onDisk = (await readRecentEvents(join(dir, 'activity'), 50)).find(
      (e) => e.target === 'fs__read_text_file',
    );
    assert.equal(onDisk?.outcome, 'tool_error');
    assert.match(formatEventLine(onDisk!), / tool_error {2}.*(denied|outside|not allowed)/i);

    await client.callTool({ name: 'everything__echo', arguments: { message: 'fine' } });
    assert.equal(events.findLast((e) => e.target === 'everything__echo')?.outcome, 'ok');
  });

  test('a slow call shows as pending while it runs, with progress, then settles under the same id', async () => {
    const progress: number[] = [];
    const pending = new Promise<ActivityEvent>((resolve) => {
      const off = activity.subscribe((e) => {
        if (e.target === 'everything__trigger-long-running-operation') {
          off();
          resolve(e);
        }
      });
    });
    let settled = false;
    const call = client.callTool(
      { name: 'everything__trigger-long-running-operation', arguments: { duration: 0.6, steps: 3 } },
      undefined,
      { onprogress: (p) => progress.push(p.progress) },
    );
    void call.then(() => (settled = true));
    const first = await pending;
    assert.equal(first.outcome, 'pending');
    assert.equal(settled, false, 'published while the call is still in flight');
    await call;
    const mine = events.filter((e) => e.target === 'everything__trigger-long-running-operation');
    assert.equal(mine[0]?.outcome, 'pending', 'the first event says the call is in flight');
    assert.equal(mine[0]?.upstream, 'everything');
    assert.ok(
      mine.some((e) => e.outcome === 'pending' && e.progress?.total === 3),
      'a pending update carries the progress',
    );
    const last = mine.at(-1)!;
    assert.equal(last.outcome, 'ok');
    assert.ok(
      mine.every((e) => e.id === last.id),
      'one id for the whole call',
    );
    assert.deepEqual(progress, [1, 2, 3], 'the client still gets its progress');
    assert.equal(activity.recent().filter((e) => e.id === last.id)[0]?.outcome, 'ok');
  });
});
