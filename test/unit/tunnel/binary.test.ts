import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { binaryMissingMessage, dataDirBinaryPath, findCloudflared } from '../../../main/tunnel/binary.js';

const root = mkdtempSync(join(tmpdir(), 'tg-bin-'));
after(() => rmSync(root, { recursive: true, force: true }));

function exe(path: string, mode = 0o755): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, '#!/bin/sh\nexit 0\n');
  chmodSync(path, mode);
  return path;
}

describe('findCloudflared', { skip: process.platform === 'win32' }, () => {
  const configured = exe(join(root, 'configured', 'cloudflared'));
  const fromEnv = exe(join(root, 'env', 'cloudflared'));
  const onPath = exe(join(root, 'path2', 'cloudflared'));
  const dataDir = join(root, 'data');
  const own = exe(dataDirBinaryPath(dataDir, 'linux'));
  const PATH = [join(root, 'path1'), join(root, 'path2')].join(':');

  it('uses the order config, CLOUDFLARED_BIN, PATH, data folder', () => {
    assert.deepEqual(
      findCloudflared({ configuredPath: configured, env: { CLOUDFLARED_BIN: fromEnv, PATH }, dataDir }),
      { found: true, path: configured, source: 'config' },
    );
    assert.deepEqual(findCloudflared({ env: { CLOUDFLARED_BIN: fromEnv, PATH }, dataDir }), {
      found: true,
      path: fromEnv,
      source: 'env',
    });
    assert.deepEqual(findCloudflared({ env: { PATH }, dataDir }), {
      found: true,
      path: onPath,
      source: 'path',
    });
    assert.deepEqual(findCloudflared({ env: { PATH: join(root, 'path1') }, dataDir }), {
      found: true,
      path: own,
      source: 'data',
    });
  });

  it('skips files that are not executable and lists where it looked', () => {
    exe(join(root, 'path1', 'cloudflared'), 0o644);
    const result = findCloudflared({ env: { PATH: join(root, 'path1') }, dataDir: join(root, 'nodata') });
    assert.equal(result.found, false);
    if (result.found) return;
    assert.deepEqual(result.searched, [
      join(root, 'path1', 'cloudflared'),
      join(root, 'nodata', 'bin', 'cloudflared'),
    ]);
    assert.match(binaryMissingMessage(result), /cloudflared was not found/);
  });

  it('reports a wrong explicit setting by its name instead of falling back', () => {
    const result = findCloudflared({ env: { CLOUDFLARED_BIN: join(root, 'missing'), PATH }, dataDir });
    assert.equal(result.found, false);
    if (result.found) return;
    assert.match(
      binaryMissingMessage(result),
      /^CLOUDFLARED_BIN points at '.*missing', which is not an executable file/,
    );
  });
});
