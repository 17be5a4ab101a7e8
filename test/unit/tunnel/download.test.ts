import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  checksumFromReleaseNotes,
  cloudflaredAssetName,
  CloudflaredDownloadError,
  downloadCloudflared,
  type DownloadProgress,
} from '../../../main/tunnel/download.js';

const root = mkdtempSync(join(tmpdir(), 'tg-dl-'));
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

// Fake release assets: a "linux binary" and a real .tgz made with the system tar, as cloudflared ships for macOS.
const linuxBinary = Buffer.concat([Buffer.from('\x7fELF fake cloudflared '), Buffer.alloc(300_000, 7)]);
const darwinBinary = Buffer.from('#!/bin/sh\necho fake darwin cloudflared\n');
mkdirSync(join(root, 'tgz'));
writeFileSync(join(root, 'tgz', 'cloudflared'), darwinBinary);
execFileSync('tar', ['czf', join(root, 'darwin.tgz'), '-C', join(root, 'tgz'), 'cloudflared']);
const darwinTgz = readFileSync(join(root, 'darwin.tgz'));

interface Scenario {
  notesHash?: Record<string, string>;
  digest?: Record<string, string>;
}
let scenario: Scenario = {};
let server: Server;
let port = 0;
const assets: Record<string, Buffer> = {
  'cloudflared-linux-amd64': linuxBinary,
  'cloudflared-darwin-arm64.tgz': darwinTgz,
};

before(async () => {
  server = createServer((req, res) => {
    const url = req.url ?? '';
    if (url === '/repos/cloudflare/cloudflared/releases/latest') {
      const lines = Object.entries(scenario.notesHash ?? {}).map(([n, h]) => `${n}: ${h}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          tag_name: '2025.8.1',
          body: `### Notes\n- fixes\n\n### SHA256 Checksums:\n\`\`\`\n${lines.join('\n')}\n\`\`\`\n`,
          assets: Object.keys(assets).map((name) => ({
            name,
            size: assets[name]?.length,
            browser_download_url: `https://github.com/cloudflare/cloudflared/releases/download/2025.8.1/${name}`,
            digest: scenario.digest?.[name] ?? null,
          })),
        }),
      );
      return;
    }
    const dl = /^\/cloudflare\/cloudflared\/releases\/download\/2025\.8\.1\/(.+)$/.exec(url);
    if (dl) {
      // GitHub answers with a redirect to its object storage.
      res.writeHead(302, { location: `http://127.0.0.1:${port}/objects/${dl[1]}` });
      res.end();
      return;
    }
    const obj = /^\/objects\/(.+)$/.exec(url);
    const body = obj ? assets[obj[1] ?? ''] : undefined;
    if (body) {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
      res.end(body);
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  port = typeof a === 'object' && a ? a.port : 0;
});
after(() => {
  server.close();
  rmSync(root, { recursive: true, force: true });
});

/** Sends api.github.com and github.com to the local server; anything else fails like no network. */
const localFetch: typeof fetch = (input, init) => {
  const url = new URL(String(input));
  if (url.hostname === 'api.github.com' || url.hostname === 'github.com' || url.hostname === '127.0.0.1') {
    return fetch(`http://127.0.0.1:${port}${url.pathname}`, init);
  }
  return Promise.reject(
    new TypeError('fetch failed', { cause: new Error(`getaddrinfo ENOTFOUND ${url.hostname}`) }),
  );
};
const offlineFetch: typeof fetch = () =>
  Promise.reject(new TypeError('fetch failed', { cause: new Error('getaddrinfo ENOTFOUND api.github.com') }));

function freshDataDir(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

describe('cloudflared release assets', () => {
  it('maps OS and CPU to the published asset names', () => {
    assert.equal(cloudflaredAssetName('linux', 'x64'), 'cloudflared-linux-amd64');
    assert.equal(cloudflaredAssetName('linux', 'arm64'), 'cloudflared-linux-arm64');
    assert.equal(cloudflaredAssetName('darwin', 'x64'), 'cloudflared-darwin-amd64.tgz');
    assert.equal(cloudflaredAssetName('darwin', 'arm64'), 'cloudflared-darwin-arm64.tgz');
    assert.equal(cloudflaredAssetName('win32', 'x64'), 'cloudflared-windows-amd64.exe');
    assert.equal(cloudflaredAssetName('win32', 'arm64'), 'cloudflared-windows-amd64.exe');
    assert.equal(cloudflaredAssetName('freebsd', 'x64'), null);
  });

  it('reads a checksum line from the release notes, not a longer asset name', () => {
    const body =
      '### SHA256 Checksums:\n```\ncloudflared-linux-amd64.deb: ' +
      'a'.repeat(64) +
      '\ncloudflared-linux-amd64: ' +
      'b'.repeat(64) +
      '\n```';
    assert.equal(checksumFromReleaseNotes(body, 'cloudflared-linux-amd64'), 'b'.repeat(64));
    assert.equal(checksumFromReleaseNotes(body, 'cloudflared-linux-arm64'), null);
  });
});

describe('downloadCloudflared', () => {
  it('downloads, verifies against the release notes and installs an executable with progress', async () => {
    scenario = { notesHash: { 'cloudflared-linux-amd64': sha(linuxBinary) } };
    const dataDir = freshDataDir('linux');
    const progress: DownloadProgress[] = [];
    const result = await downloadCloudflared({
      dataDir,
      platform: 'linux',
      arch: 'x64',
      fetch: localFetch,
      onProgress: (p) => progress.push(p),
    });
    assert.equal(result.path, join(dataDir, 'bin', 'cloudflared'));
    assert.equal(result.version, '2025.8.1');
    assert.equal(result.sha256, sha(linuxBinary));
    assert.deepEqual(readFileSync(result.path), linuxBinary);
    assert.equal(statSync(result.path).mode & 0o111, 0o111, 'executable');
    assert.ok(progress.length > 1, 'several progress reports');
    assert.deepEqual(progress.at(-1), { receivedBytes: linuxBinary.length, totalBytes: linuxBinary.length });
    assert.ok(progress.every((p, i) => i === 0 || p.receivedBytes > (progress[i - 1]?.receivedBytes ?? 0)));
  });

  it('extracts the macOS .tgz after checking the asset digest', async () => {
    scenario = { digest: { 'cloudflared-darwin-arm64.tgz': `sha256:${sha(darwinTgz)}` } };
    const dataDir = freshDataDir('darwin');
    const result = await downloadCloudflared({
      dataDir,
      platform: 'darwin',
      arch: 'arm64',
      fetch: localFetch,
    });
    assert.deepEqual(readFileSync(result.path), darwinBinary);
    assert.equal(statSync(result.path).mode & 0o111, 0o111);
  });

  it('refuses a file whose SHA-256 does not match, and leaves nothing behind', async () => {
    scenario = { notesHash: { 'cloudflared-linux-amd64': 'c'.repeat(64) } };
    const dataDir = freshDataDir('mismatch');
    await assert.rejects(
      downloadCloudflared({ dataDir, platform: 'linux', arch: 'x64', fetch: localFetch }),
      (e: unknown) => {
        assert.ok(e instanceof CloudflaredDownloadError);
        assert.equal(e.kind, 'checksum');
        assert.match(e.message, /does not match the published SHA-256/);
        return true;
      },
    );
    assert.deepEqual(readdirSync(join(dataDir, 'bin')), []);
  });

  it('refuses when no checksum is published', async () => {
    scenario = {};
    await assert.rejects(
      downloadCloudflared({
        dataDir: freshDataDir('nosum'),
        platform: 'linux',
        arch: 'x64',
        fetch: localFetch,
      }),
      { kind: 'no-checksum' },
    );
  });

  it('says plainly that the gateway keeps working when offline', async () => {
    await assert.rejects(
      downloadCloudflared({
        dataDir: freshDataDir('offline'),
        platform: 'linux',
        arch: 'x64',
        fetch: offlineFetch,
      }),
      (e: unknown) => {
        assert.ok(e instanceof CloudflaredDownloadError);
        assert.equal(e.kind, 'offline');
        assert.match(e.message, /Could not reach api\.github\.com/);
        assert.match(e.message, /keeps working on this computer/);
        return true;
      },
    );
  });

  it('reports an unsupported platform without fetching', async () => {
    await assert.rejects(
      downloadCloudflared({ dataDir: root, platform: 'aix', arch: 'ppc64', fetch: offlineFetch }),
      { kind: 'unsupported' },
    );
  });
});
