import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** One activity file: `activity-YYYY-MM-DD.jsonl` or `activity-YYYY-MM-DD-N.jsonl` (N-th rotation). */
export interface ActivityFile {
  name: string;
  path: string;
  /** UTC day the file was started, YYYY-MM-DD. */
  day: string;
  index: number;
}

const FILE_RE = /^activity-(\d{4}-\d{2}-\d{2})(?:-(\d+))?\.jsonl$/;

/** Parses an activity file name; undefined for anything else in the folder. */
function parseActivityFileName(name: string): { day: string; index: number } | undefined {
  const m = FILE_RE.exec(name);
  if (!m) return undefined;
  return { day: m[1]!, index: m[2] ? Number(m[2]) : 0 };
}

/** File name for a day and rotation index. */
export function activityFileName(day: string, index: number): string {
  return index === 0 ? `activity-${day}.jsonl` : `activity-${day}-${index}.jsonl`;
}

/** UTC day of a time, YYYY-MM-DD (UTC so that names sort and do not jump with DST). */
export function utcDay(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

/** Activity files in `dir`, oldest first; empty when the folder does not exist. */
export async function listActivityFiles(dir: string): Promise<ActivityFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const files: ActivityFile[] = [];
  for (const name of names) {
    const parsed = parseActivityFileName(name);
    if (parsed) files.push({ name, path: join(dir, name), ...parsed });
  }
  return files.sort((a, b) => (a.day === b.day ? a.index - b.index : a.day < b.day ? -1 : 1));
}
