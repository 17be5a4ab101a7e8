/**
 * A newcomer's first commands (issue 11): the `tunnelgate` launcher, --version, the Node floor, IDs
 * that begin with "-", and `serve` building a missing dashboard in a clone.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Writable } from 'node:stream';
import { main } from '../../../main/cli.js';
import { parseArgs, UsageError } from '../../../main/cli/args.js';
import { dashboardBuildNeed, ensureDashboardBuilt } from '../../../main/cli/dashboard-build.js';
import { ROOT } from '../../helpers/cli-harness.js';

const BIN = join(ROOT, 'bin', 'tunnelgate.mjs');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe('the tunnelgate launcher', () => {
  it('prints its version with --version, -v and version', async () => {
    // The launcher once (in a clone it loads the CLI through tsx, about 1 CPU-s a start); the aliases
    // are the CLI's own parsing, the same main() the launcher hands argv to.
    const out = execFileSync(process.execPath, [BIN, '--version'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(out.trim(), `tunnelgate ${VERSION}`);
    for (const arg of ['-v', 'version']) {
      let printed = '';
      const stdout = new Writable({ write: (chunk, _enc, done) => done(void (printed += String(chunk))) });
      const io = { stdout, stderr: stdout, stdin: process.stdin, env: {} };
      assert.equal(await main([arg], io), 0, arg);
      assert.equal(printed, `tunnelgate ${VERSION}\n`, arg);
    }
  });

  it('refuses a Node.js older than 22 with a message that says what to install', (t) => {
    // Debian's own node is the old one on the build machines; elsewhere there may be none to try.
    const old = ['/usr/bin/node', '/usr/local/bin/node'].find((p) => {
      if (!existsSync(p)) return false;
      const v = spawnSync(p, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' }).stdout;
      return Number(v) > 0 && Number(v) < 22;
    });
    if (!old) return t.skip('no Node.js older than 22 on this machine');
    const r = spawnSync(old, [BIN, '--version'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /Node\.js 22\.12 or newer \(22 LTS\) is needed \(this is v\d+/);
    assert.equal(r.stdout, '');
  });
});

describe('approve and deny take IDs that begin with "-"', () => {
  const spec = {
    flags: { 'read-only': 'boolean' as const },
    positionals: { min: 1, max: 1, names: 'ID' },
    dashPositional: /^-[A-Za-z0-9_-]{21}$/,
  };
  it('a 22-character base64url ID beginning with "-" is the ID, alone or with --read-only', () => {
    const id = '-Ab3_dEf9GhIjKlMnOpQrS';
    assert.deepEqual(parseArgs([id], spec).positionals, [id]);
    const both = parseArgs(['--read-only', id], spec);
    assert.deepEqual(both.positionals, [id]);
    assert.equal(both.flags['read-only'], true);
    assert.deepEqual(parseArgs(['--', id], spec).positionals, [id]);
  });
  it('other dashed words are still unknown options', () => {
    assert.throws(
      () => parseArgs(['-x'], spec),
      (e: unknown) => e instanceof UsageError && /unknown option -x/.test(e.message),
    );
    assert.throws(() => parseArgs(['--readonly'], spec), /unknown option --readonly/);
  });
});

describe('serve builds a missing or stale dashboard in a clone', () => {
  const root = mkdtempSync(join(tmpdir(), 'tg-dash-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'renderer', 'src'), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
  writeFileSync(
    join(root, 'renderer', 'index.html'),
    '<!doctype html><html><body><div id="app"></div><script type="module" src="./src/main.ts"></script></body></html>',
  );
  writeFileSync(
    join(root, 'renderer', 'src', 'main.ts'),
    'document.getElementById("app")!.textContent = "built";\n',
  );
  writeFileSync(
    join(root, 'renderer', 'vite.config.ts'),
    [
      "import { fileURLToPath } from 'node:url';",
      "export default { root: fileURLToPath(new URL('.', import.meta.url)), base: './', logLevel: 'info',",
      "  build: { outDir: fileURLToPath(new URL('../dist/renderer', import.meta.url)), emptyOutDir: true } };",
    ].join('\n'),
  );

  it('builds when missing (with progress lines), does nothing when fresh, rebuilds when a source is newer, and a failing build rejects with what Vite said', async () => {
    assert.equal(dashboardBuildNeed(root), 'missing');
    const lines: string[] = [];
    assert.equal(await ensureDashboardBuilt(root, (l) => lines.push(l)), true);
    const html = readFileSync(join(root, 'dist', 'renderer', 'index.html'), 'utf8');
    assert.match(
      html,
      /<script type="module"[^>]+src="\.\/assets\/[^"]+\.js"/,
      'the built page loads compiled JS, not main.ts',
    );
    assert.match(lines[0]!, /^Building the dashboard/);
    assert.ok(
      lines.some((l) => /dashboard: .*(transformed|built in)/.test(l)),
      lines.join('\n'),
    );
    assert.match(lines.at(-1)!, /^Dashboard built in \d+\.\d s\.$/);

    assert.equal(dashboardBuildNeed(root), 'none');
    assert.equal(await ensureDashboardBuilt(root, () => assert.fail('nothing to build')), false);

    // A newer source makes it stale. The rebuild gets a source Vite cannot compile, so one Vite run
    // shows both that a stale dashboard is built again and that a failing build rejects with what
    // Vite said (each run of Vite costs a second or two).
    writeFileSync(join(root, 'renderer', 'src', 'main.ts'), 'this is not ( valid TypeScript\n');
    const later = new Date(Date.now() + 5_000);
    utimesSync(join(root, 'renderer', 'src', 'main.ts'), later, later);
    assert.equal(dashboardBuildNeed(root), 'stale');
    const again: string[] = [];
    await assert.rejects(
      ensureDashboardBuilt(root, (l) => again.push(l)),
      /building the dashboard failed \(vite exited with 1\)/,
    );
    assert.match(again[0]!, /^Rebuilding the dashboard/);
  });

  it('an installed package (no renderer/) never builds', () => {
    const installed = mkdtempSync(join(tmpdir(), 'tg-installed-'));
    try {
      mkdirSync(join(installed, 'dist', 'renderer'), { recursive: true });
      assert.equal(dashboardBuildNeed(installed), 'none');
    } finally {
      rmSync(installed, { recursive: true, force: true });
    }
  });
});
