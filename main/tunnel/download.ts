import { createHash } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { dataDirBinaryPath } from './binary.js';
import { extractFileFromTgz } from './tar-extract.js';

/** GitHub API for cloudflared's newest release (assets, and the body listing SHA-256 checksums). */
const CLOUDFLARED_RELEASE_API = 'https://api.github.com/repos/cloudflare/cloudflared/releases/latest';

export type DownloadFailure =
  'unsupported' | 'offline' | 'http' | 'asset-missing' | 'no-checksum' | 'checksum' | 'io';

/** A download that did not produce a verified binary; `message` is for a person. */
export class CloudflaredDownloadError extends Error {
  constructor(
    readonly kind: DownloadFailure,
    message: string,
  ) {
    super(message);
    this.name = 'CloudflaredDownloadError';
  }
}

export interface DownloadProgress {
  receivedBytes: number;
  totalBytes?: number;
}

export interface DownloadCloudflaredOptions {
  dataDir: string;
  platform?: NodeJS.Platform;
  arch?: string;
  fetch?: typeof fetch;
  onProgress?: (progress: DownloadProgress) => void;
  /** Override of the release JSON URL (tests point it at 127.0.0.1 through their fetch). */
  releaseUrl?: string;
  signal?: AbortSignal;
}

export interface DownloadedCloudflared {
  path: string;
  version: string;
  sha256: string;
  asset: string;
}

interface ReleaseJson {
  tag_name?: string;
  body?: string;
  assets?: { name?: string; size?: number; browser_download_url?: string; digest?: string | null }[];
}

/**
 * Name of the official release asset for an OS and CPU (names as published on
 * github.com/cloudflare/cloudflared/releases). Windows on ARM runs the amd64 build under emulation.
 */
export function cloudflaredAssetName(platform: NodeJS.Platform, arch: string): string | null {
  const cpu: Record<string, string> = { x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm' };
  const c = cpu[arch];
  if (!c) return null;
  if (platform === 'linux') return `cloudflared-linux-${c}`;
  if (platform === 'darwin') return c === 'amd64' || c === 'arm64' ? `cloudflared-darwin-${c}.tgz` : null;
  if (platform === 'win32')
    return c === '386' ? 'cloudflared-windows-386.exe' : 'cloudflared-windows-amd64.exe';
  return null;
}

/**
 * Reads `<asset>: <64 hex>` from the release notes. cloudflared's release body has a
 * "SHA256 Checksums:" block with one such line per asset.
 */
export function checksumFromReleaseNotes(body: string, asset: string): string | null {
  const escaped = asset.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`^\\s*${escaped}\\s*:\\s*([0-9a-f]{64})\\s*$`, 'im').exec(body);
  return m?.[1] ? m[1].toLowerCase() : null;
}

const OFFLINE_HINT =
  'The gateway keeps working on this computer. To go public, try again when online, or install cloudflared ' +
  'yourself and set tunnel.cloudflaredPath (or CLOUDFLARED_BIN).';

/**
 * Downloads the official cloudflared for this OS/CPU from GitHub releases, verifies its SHA-256
 * against the published checksum (the asset's `digest` and/or the release notes; any mismatch
 * refuses the file), and installs it as `<dataDir>/bin/cloudflared[.exe]` (executable; extracted
 * from the .tgz on macOS). Nothing is installed unless verified.
 */
export async function downloadCloudflared(
  options: DownloadCloudflaredOptions,
): Promise<DownloadedCloudflared> {
  const platform = options.platform ?? process.platform;
  const arch = options.arch ?? process.arch;
  const doFetch = options.fetch ?? globalThis.fetch;
  const asset = cloudflaredAssetName(platform, arch);
  if (!asset) {
    throw new CloudflaredDownloadError(
      'unsupported',
      `No official cloudflared build exists for ${platform}/${arch}. Install cloudflared yourself and set tunnel.cloudflaredPath.`,
    );
  }
  const headers = { accept: 'application/vnd.github+json', 'user-agent': 'tunnelgate' };
  const releaseUrl = options.releaseUrl ?? CLOUDFLARED_RELEASE_API;
  const release = (await fetchOrExplain(doFetch, releaseUrl, { headers, signal: options.signal }).then((r) =>
    r.json(),
  )) as ReleaseJson;
  const entry = release.assets?.find((a) => a.name === asset);
  if (!entry?.browser_download_url) {
    throw new CloudflaredDownloadError(
      'asset-missing',
      `The latest cloudflared release (${release.tag_name ?? '?'}) has no asset named ${asset}.`,
    );
  }
  const expected = new Set<string>();
  if (typeof entry.digest === 'string' && entry.digest.startsWith('sha256:'))
    expected.add(entry.digest.slice(7).toLowerCase());
  const fromNotes = checksumFromReleaseNotes(release.body ?? '', asset);
  if (fromNotes) expected.add(fromNotes);
  if (expected.size === 0) {
    throw new CloudflaredDownloadError(
      'no-checksum',
      `The cloudflared release ${release.tag_name ?? '?'} publishes no SHA-256 for ${asset}; not installing an unverified binary.`,
    );
  }
  if (expected.size > 1) {
    throw new CloudflaredDownloadError(
      'checksum',
      `The cloudflared release ${release.tag_name ?? '?'} lists two different SHA-256 values for ${asset}; not installing it.`,
    );
  }
  const target = dataDirBinaryPath(options.dataDir, platform);
  await mkdir(dirname(target), { recursive: true });
  const partial = `${target}.download-${process.pid}`;
  try {
    const sha256 = await downloadTo(doFetch, entry.browser_download_url, partial, entry.size, options);
    const want = [...expected][0];
    if (sha256 !== want) {
      throw new CloudflaredDownloadError(
        'checksum',
        `The downloaded ${asset} does not match the published SHA-256 (expected ${want}, got ${sha256}); it was deleted. ` +
          'The download may be corrupted or tampered with; try again later.',
      );
    }
    if (asset.endsWith('.tgz')) {
      const binary = extractFileFromTgz(
        await readFile(partial),
        (name) => name === 'cloudflared' || name.endsWith('/cloudflared'),
      );
      if (!binary)
        throw new CloudflaredDownloadError('io', `${asset} does not contain a 'cloudflared' file.`);
      await writeFile(partial, binary);
    }
    if (platform !== 'win32') await chmod(partial, 0o755);
    await rename(partial, target);
    return { path: target, version: release.tag_name ?? 'unknown', sha256, asset };
  } catch (e) {
    await rm(partial, { force: true });
    if (e instanceof CloudflaredDownloadError) throw e;
    throw new CloudflaredDownloadError(
      'io',
      `Could not save cloudflared to ${target}: ${(e as Error).message}`,
    );
  }
}

async function fetchOrExplain(doFetch: typeof fetch, url: string, init: RequestInit): Promise<Response> {
  let res: Response;
  try {
    res = await doFetch(url, init);
  } catch (e) {
    const cause = (e as { cause?: { message?: string } }).cause?.message ?? (e as Error).message;
    throw new CloudflaredDownloadError(
      'offline',
      `Could not reach ${new URL(url).host} to download cloudflared (${cause}). ${OFFLINE_HINT}`,
    );
  }
  if (!res.ok) {
    await res.arrayBuffer().catch(() => undefined);
    throw new CloudflaredDownloadError(
      'http',
      `${url} answered HTTP ${res.status} while downloading cloudflared. ${OFFLINE_HINT}`,
    );
  }
  return res;
}

async function downloadTo(
  doFetch: typeof fetch,
  url: string,
  file: string,
  sizeHint: number | undefined,
  options: DownloadCloudflaredOptions,
): Promise<string> {
  const res = await fetchOrExplain(doFetch, url, {
    headers: { 'user-agent': 'tunnelgate' },
    signal: options.signal,
    redirect: 'follow',
  });
  const length = Number(res.headers.get('content-length'));
  const totalBytes = Number.isFinite(length) && length > 0 ? length : sizeHint;
  const hash = createHash('sha256');
  const handle = await open(file, 'w');
  let receivedBytes = 0;
  try {
    if (!res.body) throw new CloudflaredDownloadError('http', `${url} sent no body.`);
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      hash.update(value);
      await handle.write(value);
      receivedBytes += value.byteLength;
      options.onProgress?.(totalBytes === undefined ? { receivedBytes } : { receivedBytes, totalBytes });
    }
  } catch (e) {
    if (e instanceof CloudflaredDownloadError) throw e;
    throw new CloudflaredDownloadError(
      'offline',
      `The cloudflared download from ${new URL(url).host} broke off after ${receivedBytes} bytes (${(e as Error).message}). ${OFFLINE_HINT}`,
    );
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}
