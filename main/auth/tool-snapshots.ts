/**
 * The tool list each OAuth client (grant) last fetched with `tools/list`, and when (issue 13:
 * tool-list drift). ChatGPT works from a frozen snapshot of the list taken when the connector was
 * created or refreshed by hand, so what a grant last listed is what that connector still believes.
 * Kept small and beside the grants (`<dataDir>/auth/tool-lists.json`): per tool its exposed name
 * and a hash of its definition, never the definitions themselves.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Clock } from '../common/clock.js';
import { isSharedJson } from '../common/json-text.js';
import type { RawObject } from '../gateway/upstream/types.js';
import { createSerialWriter, readJsonFile } from './json-file.js';

/** What one grant last listed: exposed name -> hash of the tool's definition. */
export interface ToolSnapshot {
  listedAt: number;
  tools: Readonly<Record<string, string>>;
}

/** What a client still believes against the list it would get now. */
export interface ToolDiff {
  /** Exposed now, unknown to the client. */
  added: string[];
  /** Known to the client, gone now (it may still call them and fail). */
  removed: string[];
  /** Same name, another definition (input schema, description or annotations). */
  changed: string[];
}

interface SnapshotsFile {
  version: 1;
  grants: Record<string, ToolSnapshot>;
}

/** JSON with object keys sorted, so the same definition always hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as RawObject)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Tool objects are reused by the router's catalog until it rebuilds: hash each once. */
const hashes = new WeakMap<object, string>();

/** A short hash of everything the client sees of a tool (what ChatGPT's snapshot holds). */
export function toolHash(tool: RawObject): string {
  let h = hashes.get(tool);
  if (h === undefined) {
    h = createHash('sha256').update(canonical(tool)).digest('base64url').slice(0, 16);
    hashes.set(tool, h);
  }
  return h;
}

/**
 * Snapshots of the router's lists: final (json-text.ts shareJson) and the same array on every
 * tools/list until the catalog rebuilds, so each is walked once, not per call (issue 16).
 */
const listSnapshots = new WeakMap<object, Readonly<Record<string, string>>>();

export function snapshotTools(tools: readonly RawObject[]): Readonly<Record<string, string>> {
  const known = listSnapshots.get(tools);
  if (known !== undefined) return known;
  const out: Record<string, string> = {};
  for (const t of tools) if (typeof t['name'] === 'string') out[t['name']] = toolHash(t);
  if (isSharedJson(tools)) listSnapshots.set(tools, Object.freeze(out));
  return out;
}

/** Compares a snapshot with the list the same client would get now. */
export function diffTools(
  snapshot: Readonly<Record<string, string>>,
  current: readonly RawObject[],
): ToolDiff {
  const now = snapshotTools(current);
  const diff: ToolDiff = { added: [], removed: [], changed: [] };
  for (const [name, hash] of Object.entries(now)) {
    const before = snapshot[name];
    if (before === undefined) diff.added.push(name);
    else if (before !== hash) diff.changed.push(name);
  }
  for (const name of Object.keys(snapshot)) if (!(name in now)) diff.removed.push(name);
  for (const list of [diff.added, diff.removed, diff.changed]) list.sort();
  return diff;
}

export function isDrift(d: ToolDiff): boolean {
  return d.added.length + d.removed.length + d.changed.length > 0;
}

export async function createToolSnapshotStore(deps: {
  dataDir: string;
  clock: Clock;
  onChange?: () => void;
  warn?: (message: string) => void;
}) {
  const path = join(deps.dataDir, 'auth', 'tool-lists.json');
  const file = await readJsonFile<SnapshotsFile>(path, { version: 1, grants: {} }, deps.warn);
  const snapshots = new Map<string, ToolSnapshot>(
    Object.entries(file.grants ?? {}).filter(
      ([, s]) => typeof s?.listedAt === 'number' && s.tools && typeof s.tools === 'object',
    ),
  );
  // A client that lists in a loop queues one write at a time, not one per tools/list (json-file.ts).
  const writer = createSerialWriter(path, (): SnapshotsFile => ({
    version: 1,
    grants: Object.fromEntries(snapshots),
  }));
  const save = (): void => {
    writer.save().catch((err: unknown) => deps.warn?.(`${path}: ${(err as Error).message}`));
  };

  return {
    /** A client with this grant fetched the whole list: that is now what it believes. */
    record(grantId: string, tools: readonly RawObject[]): void {
      snapshots.set(grantId, { listedAt: deps.clock.now(), tools: snapshotTools(tools) });
      save();
      deps.onChange?.();
    },
    get(grantId: string): ToolSnapshot | undefined {
      return snapshots.get(grantId);
    },
    /** Drops the snapshots of grants that no longer exist (revoked, forgotten). */
    retain(grantIds: ReadonlySet<string>): void {
      let dropped = false;
      for (const id of snapshots.keys()) if (!grantIds.has(id)) dropped = snapshots.delete(id) || dropped;
      if (dropped) save();
    },
    async close(): Promise<void> {
      await writer.save().catch(() => undefined);
    },
  };
}

export type ToolSnapshotStore = Awaited<ReturnType<typeof createToolSnapshotStore>>;
