#!/usr/bin/env node
// Generates the tray and app icons as PNG files (node:zlib only, no image library):
//   tray-<state>.png / @2x      16 and 32 px, coloured, for Windows and Linux
//   tray-<state>Template.png / @2x   black + alpha, for the macOS menu bar (the OS tints template images)
//   icon.png                    512 px app icon (electron-builder derives .icns/.ico from it)
// States: stopped, starting, public, error. Run: node resources/generate-icons.mjs
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));

// --- PNG encoding (RGBA, 8 bit, no interlace): signature, IHDR, IDAT (zlib), IEND; CRC-32 per chunk.
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
function encodePng(size, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0; // filter: none
    rgba.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// --- Rasterizing: shapes are functions of (x, y) in a unit square returning coverage 0..1 and a
// colour; 4x4 supersampling gives anti-aliased edges.
function render(size, paint) {
  const out = Buffer.alloc(size * size * 4);
  const S = 4;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0,
        g = 0,
        b = 0,
        a = 0;
      for (let sy = 0; sy < S; sy++) {
        for (let sx = 0; sx < S; sx++) {
          const c = paint((px + (sx + 0.5) / S) / size, (py + (sy + 0.5) / S) / size);
          if (!c) continue;
          r += c[0] * c[3];
          g += c[1] * c[3];
          b += c[2] * c[3];
          a += c[3];
        }
      }
      const i = (py * size + px) * 4;
      const n = S * S;
      out[i] = a ? Math.round(r / a) : 0;
      out[i + 1] = a ? Math.round(g / a) : 0;
      out[i + 2] = a ? Math.round(b / a) : 0;
      out[i + 3] = Math.round((a / n) * 255);
    }
  }
  return out;
}

const dist = (x, y, cx, cy) => Math.hypot(x - cx, y - cy);
/** The tunnel mark: an arch (portal) standing on a base line, centred in the unit square. */
function inArch(x, y, { outer = 0.42, inner = 0.24, cx = 0.5, baseY = 0.82 }) {
  const cy = baseY - outer * 0.55;
  if (y > baseY) return false;
  const inOuter = y < cy ? dist(x, y, cx, cy) <= outer : Math.abs(x - cx) <= outer;
  const inInner = y < cy ? dist(x, y, cx, cy) <= inner : Math.abs(x - cx) <= inner;
  return inOuter && !inInner;
}

const COLORS = {
  stopped: [142, 142, 147],
  starting: [255, 159, 10],
  public: [48, 209, 88],
  error: [255, 69, 58],
};

/**
 * Tray icon: the arch, plus a status mark at the top right: none (stopped, arch dimmed), a ring
 * (starting), a dot (public), a dot in colour or an exclamation mark in templates (error).
 */
function trayPaint(state, template) {
  const ink = template ? [0, 0, 0] : COLORS[state];
  const archAlpha = state === 'stopped' && template ? 0.5 : 1;
  const arch = { outer: 0.36, inner: 0.2, cx: 0.4, baseY: 0.94 };
  return (x, y) => {
    const d = dist(x, y, 0.8, 0.2);
    if (state === 'error' && template) {
      if (Math.abs(x - 0.82) <= 0.065 && y >= 0.02 && y <= 0.26) return [...ink, 1];
      if (dist(x, y, 0.82, 0.35) <= 0.07) return [...ink, 1];
      if (Math.abs(x - 0.82) <= 0.15 && y <= 0.45) return null; // a gap around the mark
    } else if (state !== 'stopped') {
      if (d <= 0.18)
        return state === 'starting' && d <= 0.09 ? null : [...(template ? ink : COLORS[state]), 1];
      if (d <= 0.25) return null; // a gap so the mark reads apart from the arch
    }
    if (inArch(x, y, arch)) return [...ink, archAlpha];
    return null;
  };
}

function appIconPaint() {
  return (x, y) => {
    // Rounded square, vertical blue gradient, white arch.
    const r = 0.2;
    const m = 0.06;
    const qx = Math.max(Math.abs(x - 0.5) - (0.5 - m - r), 0);
    const qy = Math.max(Math.abs(y - 0.5) - (0.5 - m - r), 0);
    if (Math.hypot(qx, qy) > r) return null;
    if (inArch(x, y, { outer: 0.3, inner: 0.17, baseY: 0.76 })) return [255, 255, 255, 1];
    if (y > 0.76 && y < 0.8 && Math.abs(x - 0.5) < 0.36) return [255, 255, 255, 0.85];
    const t = (y - m) / (1 - 2 * m);
    return [Math.round(20 + 20 * t), Math.round(110 - 40 * t), Math.round(230 - 60 * t), 1];
  };
}

export function generateIcons(outDir = here) {
  const written = [];
  for (const state of Object.keys(COLORS)) {
    for (const template of [false, true]) {
      for (const [suffix, size] of [
        ['', 16],
        ['@2x', 32],
      ]) {
        const name = `tray-${state}${template ? 'Template' : ''}${suffix}.png`;
        writeFileSync(join(outDir, name), encodePng(size, render(size, trayPaint(state, template))));
        written.push(name);
      }
    }
  }
  writeFileSync(join(outDir, 'icon.png'), encodePng(512, render(512, appIconPaint())));
  written.push('icon.png');
  return written;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const names = generateIcons(process.argv[2] ?? here);
  console.log(`resources: wrote ${names.length} icons`);
}
