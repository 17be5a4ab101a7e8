/**
 * Where a running `tunnelgate serve` tells the CLI (`tunnelgate approve ID`, ...) how to reach its
 * dashboard listener: `<data folder>/control.json`, readable by the owner only (mode 0600), since the
 * token in it is the key to the control surface.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../config/atomic-write.js';

const CONTROL_FILE_NAME = 'control.json';

export interface ControlConnection {
  port: number;
  token: string;
  pid: number;
}

function controlFilePath(dataDir: string): string {
  return join(dataDir, CONTROL_FILE_NAME);
}

/** Writes the file atomically with mode 0600 (created so, never widened afterwards). */
export async function writeControlConnection(dataDir: string, info: ControlConnection): Promise<string> {
  const file = controlFilePath(dataDir);
  await writeFileAtomic(file, JSON.stringify(info) + '\n');
  return file;
}

/**
 * Reads the connection info; throws in words when no gateway is running (no file) or the file is
 * not ours to read.
 */
export async function readControlConnection(dataDir: string): Promise<ControlConnection> {
  const file = controlFilePath(dataDir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(
        `No running gateway found: ${file} does not exist. Start one with "tunnelgate serve" first.`,
      );
    }
    throw new Error(`Could not read ${file}: ${(err as Error).message}.`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new Error(`${file} is not valid JSON; stop and restart "tunnelgate serve" to rewrite it.`);
  }
  const d = data as Partial<ControlConnection>;
  if (typeof d.port !== 'number' || typeof d.token !== 'string' || typeof d.pid !== 'number') {
    throw new Error(`${file} lacks port, token or pid; stop and restart "tunnelgate serve" to rewrite it.`);
  }
  return { port: d.port, token: d.token, pid: d.pid };
}

/** Removes the file, but only if it still describes `pid` (a newer gateway may have replaced it). */
export async function removeControlConnection(dataDir: string, pid: number = process.pid): Promise<void> {
  try {
    const info = await readControlConnection(dataDir);
    if (info.pid !== pid) return;
  } catch {
    return;
  }
  await rm(controlFilePath(dataDir), { force: true });
}
