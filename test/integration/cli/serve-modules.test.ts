import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { mainFile, nodeArgs, ROOT } from '../../helpers/cli-harness.js';

/**
 * Every module a fresh Node loads for `import(entries)`, recorded by a module-loader hook (the hooks
 * run on their own thread, so they append to a file). The entries are main/ paths, loaded as a
 * CLI child loads them (mainFile: the compiled tree, or the sources through tsx).
 */
function modulesLoadedBy(entries: string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'tg-modules-'));
  try {
    const list = join(dir, 'loaded.txt');
    const hooks = join(dir, 'hooks.mjs');
    writeFileSync(
      hooks,
      `import { appendFileSync } from 'node:fs';
       export async function load(url, context, next) {
         appendFileSync(${JSON.stringify(list)}, url + '\\n');
         return next(url, context);
       }`,
    );
    writeFileSync(list, '');
    const script = `
      const { register } = await import('node:module');
      register(${JSON.stringify(pathToFileURL(hooks).href)});
      for (const e of ${JSON.stringify(entries.map((e) => pathToFileURL(mainFile(e)).href))}) await import(e);`;
    execFileSync(process.execPath, nodeArgs('--input-type=module', '-e', script), { cwd: ROOT });
    return readFileSync(list, 'utf8').split('\n').filter(Boolean);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Issue 16: `serve` with three upstreams held 94 MiB; each of these costs several MB once loaded and
// is needed only in some setups, so it is imported where it is used.
test("serve's modules leave the SDK's schemas, the OAuth client and server, jose, the tunnels, the doctor and the demo server unloaded", () => {
  const loaded = modulesLoadedBy(['cli/serve-command', 'app/app-controller']);
  assert.ok(loaded.includes(pathToFileURL(mainFile('bootstrap')).href), 'the gateway itself is loaded');
  const lazy = [
    ['the SDK protocol schemas', '/@modelcontextprotocol/sdk/dist/esm/types.js'],
    ['the SDK OAuth client', '/@modelcontextprotocol/sdk/dist/esm/client/auth.js'],
    ['the SDK server (demo)', '/@modelcontextprotocol/sdk/dist/esm/server/mcp.js'],
    ['the demo server', pathToFileURL(mainFile('gateway/demo/demo-server')).href],
    ['jose', '/node_modules/jose/'],
    // Issue 16 (idle RSS): loaded where they are first used; tests of each through a running
    // gateway: bootstrap-tunnel-events, serve-tunnel (tunnel), doctor-cli (doctor), serve (OAuth).
    ['the OAuth server', pathToFileURL(mainFile('auth/auth-service')).href],
    ['the cloudflared tunnel', pathToFileURL(mainFile('tunnel/cloudflared-manager')).href],
    ["OpenAI's tunnel", pathToFileURL(mainFile('tunnel/openai-tunnel-provider')).href],
    ['the doctor', pathToFileURL(mainFile('doctor/doctor')).href],
    ["the doctor's network", pathToFileURL(mainFile('doctor/network')).href],
  ];
  for (const [what, path] of lazy)
    assert.ok(!loaded.some((u) => u.includes(path!)), `${what} (${path}) is loaded at start`);
});

// Every `tunnelgate` command pays for what cli.ts imports before it picks the command's own module;
// the short ones (approvals, logs, secrets: about 60 starts in the test suite) never parse a config.
test("the CLI's entry leaves zod (the config schema) unloaded: short commands start without it", () => {
  const loaded = modulesLoadedBy(['cli']);
  assert.ok(loaded.includes(pathToFileURL(mainFile('cli/usage')).href), 'the usage text is loaded');
  const zod = loaded.filter((u) => u.includes('/node_modules/zod/'));
  assert.deepEqual(zod, [], 'zod is loaded at start');
});

// Issue 16 (idle RSS): `import ... from 'node:http'` builds that module's ESM namespace, whose lazy
// WebSocket getters load undici (fetch's client, with tls, http2, zlib and web streams): 4.6 MiB of
// serve's idle memory and some 70 ms of its start. Its modules take node:http's values from
// common/node-http.ts (process.getBuiltinModule) instead.
test("serve's modules leave undici (Node's fetch client) unloaded", () => {
  const script = `
    for (const e of ${JSON.stringify(['cli/serve-command', 'bootstrap'].map((e) => pathToFileURL(mainFile(e)).href))}) await import(e);
    console.log(JSON.stringify(process.moduleLoadList.filter((m) => /undici/.test(m))));`;
  const out = execFileSync(process.execPath, nodeArgs('--input-type=module', '-e', script), {
    cwd: ROOT,
    encoding: 'utf8',
  });
  assert.deepEqual(JSON.parse(out.trim().split('\n').pop()!), [], 'undici is loaded');
});
