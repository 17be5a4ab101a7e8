import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export type CloudflaredSource = 'config' | 'env' | 'path' | 'data';

export interface FindCloudflaredOptions {
  /** `tunnel.cloudflaredPath` from the config. */
  configuredPath?: string;
  /** Environment (CLOUDFLARED_BIN, PATH, PATHEXT). Default process.env. */
  env?: Record<string, string | undefined>;
  /** The app's data folder; downloads live in `<dataDir>/bin/`. */
  dataDir: string;
  platform?: NodeJS.Platform;
}

export type FindCloudflaredResult =
  | { found: true; path: string; source: CloudflaredSource }
  | { found: false; searched: string[]; problem?: string };

/** File name of the binary on this platform. */
function cloudflaredFileName(platform: NodeJS.Platform = process.platform): string {
  return platform === 'win32' ? 'cloudflared.exe' : 'cloudflared';
}

/** Where downloadCloudflared() keeps the binary. */
export function dataDirBinaryPath(dataDir: string, platform: NodeJS.Platform = process.platform): string {
  return join(dataDir, 'bin', cloudflaredFileName(platform));
}

function isExecutableFile(path: string, platform: NodeJS.Platform): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    if (platform !== 'win32') accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Looks for cloudflared in order: `tunnel.cloudflaredPath`, CLOUDFLARED_BIN, PATH, `<dataDir>/bin/`.
 * An explicit setting (config or CLOUDFLARED_BIN) that points at nothing is reported as a problem
 * rather than silently skipped, so the person sees the field to fix.
 */
export function findCloudflared(options: FindCloudflaredOptions): FindCloudflaredResult {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const searched: string[] = [];
  const explicit: [string | undefined, CloudflaredSource, string][] = [
    [options.configuredPath, 'config', 'tunnel.cloudflaredPath'],
    [env.CLOUDFLARED_BIN, 'env', 'CLOUDFLARED_BIN'],
  ];
  for (const [path, source, field] of explicit) {
    if (!path) continue;
    if (isExecutableFile(path, platform)) return { found: true, path, source };
    return {
      found: false,
      searched: [path],
      problem: `${field} points at '${path}', which is not an executable file. Fix or remove ${field}.`,
    };
  }
  const name = cloudflaredFileName(platform);
  const pathVar = env.PATH ?? env.Path ?? '';
  for (const dir of pathVar.split(platform === 'win32' ? ';' : delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    searched.push(candidate);
    if (isExecutableFile(candidate, platform)) return { found: true, path: candidate, source: 'path' };
  }
  const own = dataDirBinaryPath(options.dataDir, platform);
  searched.push(own);
  if (isExecutableFile(own, platform)) return { found: true, path: own, source: 'data' };
  return { found: false, searched };
}

/** Sentence for a person when cloudflared is nowhere; names every setting that would fix it. */
export function binaryMissingMessage(result: Extract<FindCloudflaredResult, { found: false }>): string {
  if (result.problem) return result.problem;
  return (
    'cloudflared was not found (looked in tunnel.cloudflaredPath, CLOUDFLARED_BIN, PATH and the app data folder). ' +
    'Download it from the app (Connect > Download cloudflared), install it yourself, or set tunnel.cloudflaredPath. ' +
    'The gateway keeps working on this computer meanwhile.'
  );
}
