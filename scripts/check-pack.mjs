// Packs the CLI as users get it, installs the tarball into a temporary prefix, and checks that the
// installed `tunnelgate` prints its version and serves a real upstream (server-memory) with a working
// dashboard. Loopback only; everything it starts is stopped and its temporary folder removed.
// Usage: node scripts/check-pack.mjs  (after `npm run build`; `npm pack` would build otherwise)
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const tmp = mkdtempSync(join(tmpdir(), 'tunnelgate-pack-'));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
let child;

function step(message) {
  process.stdout.write(`check-pack: ${message}\n`);
}

function fail(message) {
  throw new Error(message);
}

async function main() {
  if (!existsSync(join(root, 'dist', 'renderer', 'index.html'))) {
    fail('dist/ is not built: run "npm run build" first');
  }
  const started = Date.now();
  // The build is in place (CI ran it); prepack would only build it again.
  const out = execFileSync(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], {
    cwd: root,
    encoding: 'utf8',
  });
  const [info] = JSON.parse(out);
  const tarball = join(tmp, info.filename);
  const files = info.files.map((f) => f.path);
  const mib = (n) => (n / 1024 / 1024).toFixed(2);
  step(
    `${info.filename}: ${mib(statSync(tarball).size)} MiB packed, ${mib(info.unpackedSize)} MiB unpacked, ${files.length} files`,
  );
  for (const needed of [
    'bin/tunnelgate.mjs',
    'dist/main/cli.js',
    'dist/preload/index.cjs',
    'dist/renderer/index.html',
  ]) {
    if (!files.includes(needed)) fail(`the tarball lacks ${needed}`);
  }
  const devOnly = files.filter(
    (f) =>
      /^(test|scripts|main|renderer\/src|\.ci|docs)\//.test(f) || (f.endsWith('.ts') && !f.endsWith('.d.ts')),
  );
  if (devOnly.length) fail(`the tarball ships dev-only files: ${devOnly.slice(0, 5).join(', ')}`);

  const prefix = join(tmp, 'prefix');
  step('npm install -g <tarball> into a temporary prefix...');
  execFileSync(
    npm,
    ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--loglevel', 'error', tarball],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' },
    },
  );
  const bin = join(prefix, 'bin', 'tunnelgate');
  const version = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
  if (version !== `tunnelgate ${pkg.version}`) fail(`tunnelgate --version printed '${version}'`);
  step(`tunnelgate --version: ${version}`);

  const config = join(tmp, 'config.json');
  const memory = join(root, 'node_modules', '@modelcontextprotocol', 'server-memory', 'dist', 'index.js');
  writeFileSync(
    config,
    JSON.stringify({
      mcpServers: {
        memory: {
          command: process.execPath,
          args: [memory],
          env: { MEMORY_FILE_PATH: join(tmp, 'memory.jsonl') },
        },
      },
    }),
  );
  const env = {
    ...process.env,
    TUNNELGATE_DATA_DIR: join(tmp, 'data'),
    XDG_CONFIG_HOME: join(tmp, 'xdg'),
    TUNNELGATE_DASHBOARD_BUILD: '1',
  };
  child = spawn(bin, ['serve', '--config', config, '--port', '0', '--no-tunnel'], {
    cwd: tmp,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  const lines = await new Promise((res, rej) => {
    const timer = setTimeout(
      () => rej(new Error(`serve printed no Dashboard line in 30 s:\n${output}`)),
      30_000,
    );
    const check = () => {
      const endpoint = /MCP endpoint: (\S+)/.exec(output)?.[1];
      const dashboard = /Dashboard: (\S+)/.exec(output)?.[1];
      if (endpoint && dashboard) {
        clearTimeout(timer);
        res({ endpoint, dashboard });
      }
    };
    child.stdout.on('data', check);
    child.stderr.on('data', check);
    child.once('exit', (code) => rej(new Error(`serve exited with ${code}:\n${output}`)));
  });
  if (/Building the dashboard/.test(output)) fail('the installed package tried to build its dashboard');

  // The token link sets a cookie and redirects to the bare page (so the token leaves the address bar).
  const first = await fetch(lines.dashboard, { redirect: 'manual' });
  const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0];
  const page =
    first.status >= 300 && first.status < 400
      ? await fetch(new URL(first.headers.get('location'), lines.dashboard), { headers: { cookie } })
      : first;
  const html = await page.text();
  if (page.status !== 200 || !/<script[^>]+src="\.\/assets\/[^"]+\.js"/.test(html)) {
    fail(`the dashboard answered ${page.status} without its script:\n${html.slice(0, 300)}`);
  }
  const script = /<script[^>]+src="\.\/([^"]+\.js)"/.exec(html)[1];
  const asset = await fetch(new URL(script, lines.dashboard), {
    headers: { cookie },
  });
  if (asset.status !== 200 || !/javascript/.test(asset.headers.get('content-type') ?? '')) {
    fail(`the dashboard's script ${script} answered ${asset.status} ${asset.headers.get('content-type')}`);
  }
  step(`dashboard: ${lines.dashboard.replace(/token=[^&]+/, 'token=…')} serves ${script}`);

  const names = await listTools(lines.endpoint);
  if (!names.some((n) => n.startsWith('memory__')))
    fail(`tools/list lacks server-memory's tools: ${names.join(', ')}`);
  step(
    `MCP endpoint ${lines.endpoint}: ${names.length} tools from server-memory (${names.slice(0, 3).join(', ')}, ...)`,
  );
  child.kill('SIGTERM');
  const code = await new Promise((res) => child.once('exit', res));
  child = undefined;
  if (code !== 0) fail(`serve exited with ${code} after SIGTERM`);
  step(`ok in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function rpc(endpoint, body, session) {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-06-18',
      ...(session ? { 'mcp-session-id': session } : {}),
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 400) fail(`${body.method} answered ${res.status}: ${text.slice(0, 300)}`);
  const json = text.startsWith('{') ? text : /^data: (.*)$/m.exec(text)?.[1];
  return { session: res.headers.get('mcp-session-id'), message: json ? JSON.parse(json) : undefined };
}

async function listTools(endpoint) {
  const init = await rpc(endpoint, {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'check-pack', version: '1' },
    },
  });
  await rpc(endpoint, { jsonrpc: '2.0', method: 'notifications/initialized' }, init.session);
  const list = await rpc(endpoint, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, init.session);
  return (list.message?.result?.tools ?? []).map((t) => t.name);
}

main()
  .catch((err) => {
    process.stderr.write(`check-pack: FAILED: ${err.message}\n`);
    process.exitCode = 1;
  })
  .finally(() => {
    child?.kill('SIGKILL');
    rmSync(tmp, { recursive: true, force: true });
  });
