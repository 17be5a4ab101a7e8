import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createGateway } from '../../main/gateway/gateway.js';
import { createUpstreamManager } from '../../main/gateway/upstream/index.js';
import type { ServerConfig } from '../../main/config/schema.js';
import { startConformanceServer } from '../fixtures/upstream/conformance-server.js';
import { node22 } from './node22.js';

const run = promisify(execFile);
const suite = join(
  resolve(import.meta.dirname, '../..'),
  'node_modules/@modelcontextprotocol/conformance/dist/index.js',
);

/** Spec revisions the suite knows (its --spec-version filter is cumulative for date versions). */
export const SPEC_VERSIONS = ['2025-03-26', '2025-06-18', '2025-11-25', '2026-07-28'] as const;

/** Scenario -> [passed, failed] checks, from the suite's summary lines ("✓ name: 3 passed, 0 failed"). */
export type Results = Map<string, [number, number]>;

/**
 * Runs every active server scenario of one spec version against `url`; `requirements` instead runs
 * exactly the scenarios that revision requires (the suite's --requirements).
 */
export function runSuite(url: string, specVersion: string, requirements = false): Promise<Results> {
  return runConformance(
    url,
    requirements ? ['--requirements', specVersion] : ['--spec-version', specVersion],
  );
}

/** Runs the suite's server scenarios against `url`, chosen by `select` (its options; none: the active suite). */
export async function runConformance(url: string, select: string[]): Promise<Results> {
  const { stdout } = await run(node22(), [suite, 'server', '--url', url, ...select], {
    timeout: 240_000,
    maxBuffer: 32 * 1024 * 1024,
  }).catch((e: { stdout?: string; stderr?: string; code?: unknown }) => {
    // The suite exits non-zero when any check fails; its summary is still on stdout.
    if (e.stdout?.includes('=== SUMMARY ===')) return { stdout: e.stdout };
    throw new Error(
      `conformance ${select.join(' ')} against ${url} did not run:\n${e.stdout ?? ''}\n${e.stderr ?? ''}`,
    );
  });
  const results: Results = new Map();
  const summary = stdout.slice(stdout.indexOf('=== SUMMARY ==='));
  for (const m of summary.matchAll(/^[✓✗]\s+(\S+):\s+(\d+) passed, (\d+) failed/gmu))
    results.set(m[1]!, [Number(m[2]), Number(m[3])]);
  return results;
}

/** The conformance upstream (SDK v2, both eras) and the gateway in front of it, names unprefixed. */
export async function startDirectAndGateway() {
  const upstream = await startConformanceServer();
  const servers: Record<string, ServerConfig> = { conformance: { url: upstream.url, prefix: '' } };
  const manager = createUpstreamManager({});
  const gateway = createGateway({ upstreams: manager, servers, callTimeoutMs: 30_000 });
  await manager.apply(servers);
  const { port } = await gateway.listen(0);
  return {
    direct: upstream.url,
    viaGateway: `http://127.0.0.1:${port}/mcp`,
    async close(): Promise<void> {
      await gateway.close();
      await manager.close();
      await upstream.close();
    },
  };
}

/** One table: scenario, direct, through the gateway (passed/total checks, FAIL when any failed). */
export function table(version: string, direct: Results, gateway: Results): string {
  const cell = (r: [number, number] | undefined): string =>
    r === undefined ? 'not run' : `${r[1] === 0 ? 'pass' : 'FAIL'} ${r[0]}/${r[0] + r[1]}`;
  const names = [...new Set([...direct.keys(), ...gateway.keys()])];
  const rows = names.map((n) => `| ${n} | ${cell(direct.get(n))} | ${cell(gateway.get(n))} |`);
  return [`### ${version}`, '| scenario | direct | via gateway |', '|---|---|---|', ...rows].join('\n');
}

/** Scenarios that pass in `from` and fail (or do not run) in `to`. */
export function regressions(from: Results, to: Results): string[] {
  return [...from].filter(([n, [, failed]]) => failed === 0 && (to.get(n)?.[1] ?? 1) > 0).map(([n]) => n);
}

/**
 * The test for one spec version: the suite against the upstream directly and through the gateway at
 * once; the table goes to the test's diagnostics; no scenario may pass directly and fail via the
 * gateway, nor the other way round: a scenario that fails only directly is a broken fixture (or a
 * direct run that hung until the suite's 30 s scenario timeout), which would otherwise go unseen.
 */
export function describeConformance(version: string): void {
  describe(
    `conformance suite ${version}: through the gateway as good as direct`,
    { timeout: 110_000 },
    () => {
      let env: Awaited<ReturnType<typeof startDirectAndGateway>>;
      before(async () => {
        env = await startDirectAndGateway();
      });
      after(() => env?.close());
      test(version, { timeout: 110_000 }, async (t) => {
        const [direct, gateway] = await Promise.all([
          runSuite(env.direct, version),
          runSuite(env.viaGateway, version),
        ]);
        const shown = table(version, direct, gateway);
        t.diagnostic(`\n${shown}`);
        assert.ok(direct.size > 10, `the suite ran (${direct.size} scenarios)`);
        assert.deepEqual(regressions(direct, gateway), [], shown);
        assert.deepEqual(regressions(gateway, direct), [], `fails only directly (the fixture):\n${shown}`);
      });
    },
  );
}
