/**
 * Source of the watchdog that sits between the gateway and cloudflared, run with `node -e`.
 *
 * Why a watchdog: cloudflared must never outlive the gateway, even when the gateway is killed with
 * SIGKILL (no exit handler runs then). Node has no portable "die with parent" (Linux's
 * PR_SET_PDEATHSIG is not reachable from Node, macOS and Windows have none), but every OS closes a
 * dead process's pipes. The watchdog holds the read end of a stdin pipe whose write end only the
 * gateway holds: EOF on stdin means the gateway is gone (or asked us to stop), and the watchdog ends
 * cloudflared, then itself. It also polls the parent pid as a second signal. It is plain CommonJS
 * with no imports outside node: so it runs under Node and under Electron with ELECTRON_RUN_AS_NODE=1.
 *
 * Protocol on its stdout, one JSON object per line: {"pid":N} once cloudflared runs,
 * {"error":CODE,"message":...} when it could not be started, {"exit":code,"signal":sig} at the end.
 * cloudflared's stderr is passed through unchanged; its stdout is folded into stderr.
 */
export function watchdogSource(): string {
  return String.raw`'use strict';
const { spawn } = require('node:child_process');
const os = require('node:os');
const [command, ...args] = process.argv.slice(1);
const quiet = () => {};
process.stdout.on('error', quiet);
process.stderr.on('error', quiet);
const report = (o) => { try { process.stdout.write(JSON.stringify(o) + '\n'); } catch (e) { quiet(e); } };
let child;
let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  if (!child || child.exitCode !== null || child.signalCode !== null) process.exit(0);
  try { child.kill('SIGTERM'); } catch (e) { quiet(e); }
  const hard = setTimeout(() => { try { child.kill('SIGKILL'); } catch (e) { quiet(e); } }, Number(process.env.TUNNELGATE_WATCHDOG_GRACE_MS || 4000));
  hard.unref();
}
try {
  child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'], windowsHide: true });
} catch (e) {
  report({ error: e.code || 'ESPAWN', message: String(e.message || e) });
  process.exit(127);
}
child.stdout.on('data', (d) => { try { process.stderr.write(d); } catch (e) { quiet(e); } });
child.on('spawn', () => report({ pid: child.pid }));
child.on('error', (e) => { report({ error: e.code || 'ESPAWN', message: String(e.message || e) }); process.exit(127); });
child.on('exit', (code, signal) => {
  report({ exit: code, signal });
  const n = signal ? 128 + (os.constants.signals[signal] || 0) : code;
  process.exit(typeof n === 'number' ? n : 1);
});
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.on('error', stop);
process.stdin.resume();
for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP']) { try { process.on(s, stop); } catch (e) { quiet(e); } }
const parent = process.ppid;
setInterval(() => { try { process.kill(parent, 0); } catch (e) { stop(); } }, 1000).unref();
`;
}
