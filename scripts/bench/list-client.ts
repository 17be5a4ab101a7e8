/**
 * The tools/list measurement of `npm run bench`, in a process of its own (`--role list-client`), as
 * a client is. The bench's own process has by then driven every other path for a minute and a half,
 * and its heap and collections slow down its reading of an 88 KiB answer: the floor (the same bytes
 * from memory) and the gateway alike read 1.9-2.0 ms there, against 1.1-1.6 ms from a fresh process
 * (`npm run bench:list`). Calls the gateway and its floor in alternating blocks and prints
 * `RESULT <json>` (ListResult).
 */
import { rawListTimed } from './clients.js';
import { median } from './measure.js';

export interface ListResult {
  listed: number;
  /** Sorted: what the client waits for (its JSON.parse included), the wire time, the floor's. */
  total: number[];
  wire: number[];
  floor: number[];
  /** Each round's block medians (wire), gateway minus floor: the gateway's own part, paired. */
  added: number[];
}

export async function listClient(gatewayUrl: string, floorUrl: string, rounds: number): Promise<void> {
  const lists = { gateway: await rawListTimed(gatewayUrl), floor: await rawListTimed(floorUrl) };
  const listed = (await lists.gateway()).names.length;
  const out: ListResult = { listed, total: [], wire: [], floor: [], added: [] };
  for (let i = 0; i < 30; i++) for (const l of Object.values(lists)) await l();
  for (let r = 0; r < rounds; r++) {
    const block = { gateway: [] as number[], floor: [] as number[] };
    for (const which of r % 2 === 0 ? (['gateway', 'floor'] as const) : (['floor', 'gateway'] as const)) {
      for (let i = 0; i < 15; i++) {
        const t = performance.now();
        const { wireMs } = await lists[which]();
        if (which === 'gateway') out.total.push(performance.now() - t);
        block[which].push(wireMs);
      }
    }
    out.wire.push(...block.gateway);
    out.floor.push(...block.floor);
    out.added.push(median(block.gateway) - median(block.floor));
  }
  for (const xs of [out.total, out.wire, out.floor]) xs.sort((a, b) => a - b);
  console.log(`RESULT ${JSON.stringify(out)}`);
}
