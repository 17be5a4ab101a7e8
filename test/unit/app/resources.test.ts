import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { inflateSync } from 'node:zlib';
import { trayIconFile } from '../../../main/app/icons.js';

const root = resolve(import.meta.dirname, '../../..');
const resources = join(root, 'resources');
const require = createRequire(import.meta.url);
const out = mkdtempSync(join(tmpdir(), 'tg-icons-'));
after(() => rmSync(out, { recursive: true, force: true }));

/** Width, height and colour type from a PNG's IHDR, and its decompressed pixel rows. */
function readPng(file: string): {
  width: number;
  height: number;
  colorType: number;
  alphaValues: Set<number>;
} {
  const buf = readFileSync(file);
  assert.deepEqual(
    [...buf.subarray(0, 8)],
    [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
    `${file}: PNG signature`,
  );
  const width = buf.readUInt32BE(16);
  const height = buf.readUInt32BE(20);
  const colorType = buf[25] ?? -1;
  const idat: Buffer[] = [];
  for (let off = 8; off < buf.length;) {
    const len = buf.readUInt32BE(off);
    if (buf.toString('ascii', off + 4, off + 8) === 'IDAT') idat.push(buf.subarray(off + 8, off + 8 + len));
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const alphaValues = new Set<number>();
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) alphaValues.add(raw[y * (width * 4 + 1) + 1 + x * 4 + 3] ?? 0);
  return { width, height, colorType, alphaValues };
}

describe('icons in resources/', () => {
  it('has 1x and 2x tray images for every state, coloured and macOS template', () => {
    for (const state of ['stopped', 'starting', 'public', 'error'] as const) {
      for (const platform of ['darwin', 'linux', 'win32'] as const) {
        const base = join(resources, trayIconFile(state, platform));
        const one = readPng(base);
        const two = readPng(base.replace(/\.png$/, '@2x.png'));
        assert.deepEqual([one.width, one.height, two.width, two.height], [16, 16, 32, 32], base);
        assert.equal(one.colorType, 6, 'RGBA');
        assert.ok(
          one.alphaValues.has(0) && [...one.alphaValues].some((a) => a > 100),
          `${base}: transparent background and a visible mark`,
        );
      }
    }
  });

  it('has a 512 px app icon', () => {
    const icon = readPng(join(resources, 'icon.png'));
    assert.deepEqual([icon.width, icon.height], [512, 512]);
  });

  it('are what the generator produces (committed files are up to date)', async () => {
    const { generateIcons } = (await import(join(resources, 'generate-icons.mjs'))) as {
      generateIcons: (dir: string) => string[];
    };
    const names = generateIcons(out);
    assert.equal(names.length, 17);
    for (const name of readdirSync(out))
      assert.deepEqual(readFileSync(join(out, name)), readFileSync(join(resources, name)), name);
  });
});

describe('electron-builder.yml', () => {
  const yaml = require('js-yaml') as { load(text: string): unknown };
  const Ajv = require('ajv') as new (o: object) => {
    compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown };
  };
  const config = yaml.load(readFileSync(join(root, 'electron-builder.yml'), 'utf8')) as Record<
    string,
    Record<string, unknown>
  >;

  it('is valid for electron-builder (its own JSON schema)', () => {
    const validate = new Ajv({ allErrors: true, strict: false }).compile(
      require('app-builder-lib/scheme.json') as object,
    );
    assert.equal(validate(config), true, JSON.stringify(validate.errors));
  });

  it('builds dmg (menu-bar app), nsis, AppImage and deb, with our files and icons', () => {
    assert.equal(config.appId, 'dev.tunnelgate.app');
    assert.equal(config.productName, 'Tunnelgate');
    const targets = (t: unknown): string[] =>
      (t as (string | { target: string })[]).map((x) => (typeof x === 'string' ? x : x.target));
    assert.deepEqual(targets(config.mac?.target), ['dmg']);
    assert.equal((config.mac?.extendInfo as Record<string, unknown>).LSUIElement, true);
    assert.deepEqual(targets(config.win?.target), ['nsis']);
    assert.deepEqual(targets(config.linux?.target), ['AppImage', 'deb']);
    const files = config.files as unknown as string[];
    assert.ok(
      files.includes('dist/**') && files.includes('package.json') && files.includes('resources/tray-*.png'),
    );
    for (const os of ['mac', 'win', 'linux']) assert.equal(config[os]?.icon, 'resources/icon.png');
  });
});
