/** The bench's one table, the targets of issue 16 checked against it, and the conditions of the run. */
import type { Latency, Throughput } from './measure.js';

export interface Row {
  key: string;
  label: string;
  client: string;
  /** The direct path this row is compared with (itself for a direct row). */
  base: string;
  /** Which process sits in the middle (its RSS is shown); none for direct rows. */
  middle?: string;
}

export interface Report {
  rows: Row[];
  lat: Map<string, Latency>;
  /** direct, floor, tg-http, fetch-direct and fetch-tg, called in turn (measure.ts interleaved). */
  agreement: Map<string, Latency>;
  /** Tunnelgate -> HTTP minus the floor proxy, p50, from paired back-to-back blocks (measure.ts pairedGap). */
  p50Gap: { gap: number; pairs: number };
  tput: Map<number, Map<string, Throughput>>;
  rss: { idle: Map<string, number>; loaded: Map<string, number>; settled: number; settleMs: number };
  toolsList: {
    tools: number;
    /** The answer's size. */
    bytes: number;
    /** What the client waits for, its JSON.parse of the answer included (the number reported first). */
    p50: number;
    p99: number;
    /** At the gateway: the request sent to the answer's last byte in, before the client parses it. */
    wireP50: number;
    wireP99: number;
    /** The same for the floor, a bare server sending the same answer from memory, in the same run. */
    floorP50: number;
    /** Gateway minus floor, paired block by block: what the gateway itself adds. */
    addedP50: number;
  };
  load: [string, string];
  seconds: number;
}

const f = (n: number, d = 2): string => n.toFixed(d);
const signed = (n: number): string => `${n >= 0 ? '+' : ''}${n.toFixed(2)}`;

export function printReport(r: Report): void {
  const head = ['path', 'client', 'p50 ms', 'p99 ms', 'c=1', 'c=16', 'c=64', 'CPU ms/call', 'RSS MiB'];
  const shownRss = new Set<string>();
  const table = r.rows.map((row) => {
    const l = r.lat.get(row.key)!;
    const b = r.lat.get(row.base)!;
    const direct = row.base === row.key;
    const ratio = (c: number): string => {
      const t = r.tput.get(c)!;
      const own = t.get(row.key)!.rate;
      return direct ? `${f(own, 0)}/s` : f(own / t.get(row.base)!.rate);
    };
    let rss = '';
    if (row.middle !== undefined && !shownRss.has(row.middle)) {
      shownRss.add(row.middle);
      const idle = r.rss.idle.get(row.middle)!;
      const loaded = r.rss.loaded.get(row.middle)!;
      rss =
        row.middle === 'tunnelgate'
          ? `${f(idle, 1)} / ${f(loaded, 1)} / ${f(r.rss.settled, 1)}`
          : `${f(idle, 1)} / ${f(loaded, 1)}`;
    }
    const t16 = r.tput.get(16)!.get(row.key)!;
    return [
      row.label,
      row.client,
      direct ? f(l.p50) : signed(l.p50 - b.p50),
      direct ? f(l.p99) : signed(l.p99 - b.p99),
      ratio(1),
      ratio(16),
      ratio(64),
      row.middle === undefined ? '' : f(t16.middleCpu, 3),
      rss,
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((t) => t[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(head));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const t of table) console.log(line(t));
  console.log(
    '\np50/p99: absolute on a direct row, else added over the direct row of its group; c=N: calls/s on a\n' +
      'direct row, else the ratio to it; CPU ms/call: the middle process at c=16 (all its threads); RSS of\n' +
      'the middle process: idle with its upstreams / right after the load (/ Tunnelgate once settled).',
  );
  const l = r.toolsList;
  console.log(
    `tools/list of ${l.tools} tools (${(l.bytes / 1024).toFixed(0)} KiB) from 3 stdio upstreams: at the gateway (request to ` +
      `the answer's last byte) p50 ${f(l.wireP50)} ms, p99 ${f(l.wireP99)} ms; with the client's JSON.parse ` +
      `p50 ${f(l.p50)} ms, p99 ${f(l.p99)} ms; a server sending the same bytes from memory p50 ${f(l.floorP50)} ms, ` +
      `so the gateway adds ${signed(l.addedP50)} ms`,
  );
  targets(r);
  console.log(
    `\nNode ${process.version}, ${process.platform}; load average ${r.load[0]} at start, ${r.load[1]} at end; ${f(r.seconds, 0)} s.`,
  );
}

/** Issue 16's targets, each as met or not, from the numbers above. */
function targets(r: Report): void {
  const added = (k: string, base: string): number => r.lat.get(k)!.p50 - r.lat.get(base)!.p50;
  const c16 = (k: string, base: string): number =>
    r.tput.get(16)!.get(k)!.rate / r.tput.get(16)!.get(base)!.rate;
  const mark = (ok: boolean): string => (ok ? 'met' : 'NOT met');
  // The table's rows come from blocks at different moments; the turn-taking paths saw the same ones.
  const a = (k: string): number => r.agreement.get(k)!.p50;
  const gap = r.p50Gap.gap;
  const gapTurns = a('tg-http') - a('floor');
  const gapTable = added('tg-http', 'direct') - added('floor', 'direct');
  const ratio = c16('tg-http', 'direct') / c16('floor', 'direct');
  const stdioP50 = added('tg-stdio', 'direct');
  const peersP50 = Math.min(added('supergateway', 'direct'), added('mcp-proxy', 'direct'));
  const stdioC16 = c16('tg-stdio', 'direct');
  const peersC16 = Math.max(c16('supergateway', 'direct'), c16('mcp-proxy', 'direct'));
  const idle = r.rss.idle.get('tunnelgate')!;
  const agree = a('fetch-tg') - a('fetch-direct') - (a('tg-http') - a('direct'));
  const agreeTable = added('fetch-tg', 'fetch-direct') - added('tg-http', 'direct');
  console.log('\nTargets (issue 16):');
  console.log(
    `- HTTP upstream p50 within 0.25 ms of the floor proxy: ${signed(gap)} ms, ${mark(gap <= 0.25)} ` +
      `(median of ${r.p50Gap.pairs} pairs of 10-call blocks, back to back; one call each in turn ${signed(gapTurns)}; from the table's rows ${signed(gapTable)})`,
  );
  // The same ratio per round (Tunnelgate's calls/s over the floor's in that round): its spread.
  const perRound = r.tput
    .get(16)!
    .get('tg-http')!
    .rounds.map((rate, i) => rate / r.tput.get(16)!.get('floor')!.rounds[i]!)
    .sort((a, b) => a - b);
  console.log(
    `- HTTP upstream c=16 ratio >= 0.9x the floor's: ${f(ratio)}x, ${mark(ratio >= 0.9)} ` +
      `(per round: median ${f(perRound[Math.floor(perRound.length / 2)]!)}x, ${f(perRound[0]!)}-${f(perRound[perRound.length - 1]!)}x over ${perRound.length} rounds)`,
  );
  console.log(
    `- stdio ahead of both peers: p50 ${signed(stdioP50)} vs best peer ${signed(peersP50)} ms, c=16 ${f(stdioC16)} vs ${f(peersC16)}: ${mark(stdioP50 < peersP50 && stdioC16 > peersC16)}`,
  );
  console.log(
    `- tools/list over 300 tools < 2 ms p50 at the gateway: ${f(r.toolsList.wireP50)} ms, ${mark(r.toolsList.wireP50 < 2)} ` +
      `(${f(r.toolsList.p50)} ms with the client's JSON.parse)`,
  );
  console.log(`- RSS idle with 3 upstreams < 80 MiB: ${f(idle, 1)}, ${mark(idle < 80)}`);
  console.log(
    `- RSS after load back below 1.5x idle: ${f(r.rss.settled, 1)} MiB after ${f(r.rss.settleMs / 1000, 1)} s, ${mark(r.rss.settled < 1.5 * idle)}`,
  );
  console.log(
    `- independent client (fetch) vs node:http on Tunnelgate -> HTTP: added p50 differs by ${signed(agree)} ms, ${mark(Math.abs(agree) <= 0.3)} (within 0.3 ms; ` +
      `${r.agreement.get('fetch-tg')!.n} calls each, the clients taking turns: fetch +${f(a('fetch-tg') - a('fetch-direct'))}, node:http +${f(a('tg-http') - a('direct'))}; ` +
      `from the table's rows ${signed(agreeTable)})`,
  );
}
