import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createGateway } from '../../../main/gateway/gateway.js';
import { createUpstreamManager } from '../../../main/gateway/upstream/index.js';
import type { ServerConfig } from '../../../main/config/schema.js';
import { node22 } from '../../helpers/node22.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../../..');
const mcp = (p: string): string => join(root, 'node_modules/@modelcontextprotocol', p);

/** Scenarios of @modelcontextprotocol/conformance that test a server generically (no fixture tools). */
const SCENARIOS = [
  'server-initialize',
  'ping',
  'logging-set-level',
  'tools-list',
  'resources-list',
  'prompts-list',
  'dns-rebinding-protection',
  'server-sse-multiple-streams',
  'server-sse-polling',
];

describe('the conformance suite against the gateway', { timeout: 180_000 }, () => {
  const servers: Record<string, ServerConfig> = {
    everything: { command: process.execPath, args: [mcp('server-everything/dist/index.js'), 'stdio'] },
  };
  const manager = createUpstreamManager({});
  const gateway = createGateway({ upstreams: manager, servers });
  let url: string;
  let nodeBin: string;

  before(async () => {
    nodeBin = node22();
    await manager.apply(servers);
    const { port } = await gateway.listen(0);
    url = `http://127.0.0.1:${port}/mcp`;
  });
  after(async () => {
    await gateway.close();
    await manager.close();
  });

  const conformance = async (scenario: string): Promise<void> => {
    const { stdout } = await run(
      nodeBin,
      [mcp('conformance/dist/index.js'), 'server', '--url', url, '--scenario', scenario],
      { timeout: 90_000 },
    ).catch((e: { stdout?: string; stderr?: string }) => {
      throw new Error(`conformance ${scenario} failed:\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
    });
    const m = /Passed: (\d+)\/(\d+), (\d+) failed/.exec(stdout);
    assert.ok(m, `no result line in:\n${stdout}`);
    assert.equal(m[3], '0', `${scenario}: ${stdout}`);
    assert.equal(m[1], m[2], `${scenario}: ${stdout}`);
  };

  // Each run mostly costs the suite's start-up, so three run at a time.
  test(`conformance: ${SCENARIOS.join(', ')}`, async () => {
    const queue = [...SCENARIOS];
    const worker = async (): Promise<void> => {
      for (let s = queue.shift(); s !== undefined; s = queue.shift()) await conformance(s);
    };
    await Promise.all([worker(), worker(), worker()]);
  });
});
