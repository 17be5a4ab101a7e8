import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createGateway } from '../../../main/gateway/gateway.js';
import { createUpstreamManager } from '../../../main/gateway/upstream/index.js';
import type { ServerConfig } from '../../../main/config/schema.js';
import { runConformance } from '../../helpers/conformance-run.js';
import { node22 } from '../../helpers/node22.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../../..');
const mcp = (p: string): string => join(root, 'node_modules/@modelcontextprotocol', p);

/**
 * Scenarios of @modelcontextprotocol/conformance that test a server generically (no fixture tools).
 * All but the last are in the suite's active set: one run of it covers them (each run of the suite
 * mostly costs its start-up: nine runs took twice the CPU). Its other scenarios call fixture tools
 * server-everything does not have; their results are not looked at. server-sse-polling is not in
 * the active set and runs on its own, beside it.
 */
const ACTIVE = [
  'server-initialize',
  'ping',
  'logging-set-level',
  'tools-list',
  'resources-list',
  'prompts-list',
  'dns-rebinding-protection',
  'server-sse-multiple-streams',
];
const ON_ITS_OWN = 'server-sse-polling';

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

  test(`conformance: ${[...ACTIVE, ON_ITS_OWN].join(', ')}`, async () => {
    const [active] = await Promise.all([runConformance(url, []), conformance(ON_ITS_OWN)]);
    for (const scenario of ACTIVE) {
      const result = active.get(scenario);
      assert.ok(result, `${scenario} did not run (ran: ${[...active.keys()].join(', ')})`);
      assert.ok(result[0] > 0, `${scenario}: no check passed`);
      assert.equal(result[1], 0, `${scenario}: ${result[1]} of ${result[0] + result[1]} checks failed`);
    }
  });
});
