/**
 * `npm run stress`: issue 10's attacks against a real gateway on loopback, bounded in count and time
 * (about 2 minutes; a hard deadline stops it), then one table of figures. Starts `tunnelgate serve`
 * with the OAuth public listener and real stdio upstreams (server-memory, server-everything, a
 * server whose grandchild ignores SIGTERM); nothing leaves 127.0.0.0/8.
 */
import { activityInProcess } from './activity-inproc.js';
import {
  activityFlood,
  approvalFlood,
  killGateway,
  registrationFlood,
  sessionFlood,
  slowTokens,
  trickle,
  type Row,
} from './attacks.js';
import { approvedToken, startGateway, type Gateway } from './gateway.js';

const DEADLINE_MS = 170_000;
const rows: Row[] = [];
let gw: Gateway | undefined;

function printTable(): void {
  const head: Row = { attack: 'attack', measured: 'measured', result: 'result', held: true };
  const width = (k: 'attack' | 'measured' | 'result'): number =>
    Math.max(...[head, ...rows].map((r) => r[k].length));
  const [wa, wm, wr] = [width('attack'), width('measured'), width('result')];
  const line = (r: Row, held: string): string =>
    `${r.attack.padEnd(wa)}  ${r.measured.padEnd(wm)}  ${r.result.padEnd(wr)}  ${held}`;
  console.log(line(head, 'held'));
  console.log(
    line({ attack: '-'.repeat(wa), measured: '-'.repeat(wm), result: '-'.repeat(wr), held: true }, '----'),
  );
  for (const r of rows) console.log(line(r, r.held ? 'yes' : 'NO'));
}

async function step(name: string, fn: () => Promise<Row[]>): Promise<void> {
  const t0 = Date.now();
  process.stderr.write(`stress: ${name}...`);
  try {
    rows.push(...(await fn()));
  } catch (err) {
    rows.push({ attack: name, measured: 'error', result: (err as Error).message.slice(0, 80), held: false });
  }
  process.stderr.write(` ${Date.now() - t0} ms\n`);
}

async function main(): Promise<number> {
  const hard = setTimeout(() => {
    process.stderr.write(`stress: deadline of ${DEADLINE_MS / 1000} s reached; stopping\n`);
    gw?.child.kill('SIGKILL');
    printTable();
    process.exit(1);
  }, DEADLINE_MS);
  hard.unref();
  await step('activity log in process', () => activityInProcess(10_000));
  gw = await startGateway();
  process.stderr.write(`stress: gateway pid ${gw.pid}, MCP :${gw.port}, public :${gw.publicPort}\n`);
  const g = gw;
  const token = await approvedToken(g, '127.0.0.1', 'Approved client');
  await step('slow token bodies', () => slowTokens(g, token));
  await step('trickling POSTs', () => trickle(g));
  await step('registration flood', () => registrationFlood(g));
  await step('approval queue flood', () => approvalFlood(g));
  await step('large activity events', () => activityFlood(g, 1000));
  const tokenA = await approvedToken(g, '127.0.0.5', 'Session flooder');
  const tokenB = await approvedToken(g, '127.0.0.6', 'Other client');
  await step('sessions flood', () => sessionFlood(g, tokenA, tokenB));
  await step('kill -9', () => killGateway(g));
  await g.stop();
  clearTimeout(hard);
  printTable();
  return rows.every((r) => r.held) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  async (err: unknown) => {
    process.stderr.write(`stress: ${(err as Error).stack ?? String(err)}\n${gw?.output() ?? ''}\n`);
    await gw?.stop().catch(() => undefined);
    printTable();
    process.exit(1);
  },
);
