import { gunzipSync } from 'node:zlib';

/**
 * Returns the content of one regular file from a .tar.gz (POSIX ustar, with GNU long names and pax
 * headers skipped). cloudflared's macOS release is `cloudflared-darwin-<arch>.tgz` holding a single
 * `cloudflared` binary; a full tar library would be overkill for that.
 */
export function extractFileFromTgz(tgz: Uint8Array, wanted: (name: string) => boolean): Buffer | null {
  const tar = gunzipSync(tgz);
  let offset = 0;
  let longName: string | null = null;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const size = parseOctal(header.subarray(124, 136));
    const type = String.fromCharCode(header[156] ?? 0);
    const prefix = cString(header.subarray(345, 500));
    const baseName = cString(header.subarray(0, 100));
    const name = longName ?? (prefix ? `${prefix}/${baseName}` : baseName);
    const dataStart = offset + 512;
    const data = tar.subarray(dataStart, dataStart + size);
    offset = dataStart + Math.ceil(size / 512) * 512;
    if (type === 'L') {
      longName = cString(data);
      continue;
    }
    longName = null;
    if (type === 'x' || type === 'g') continue;
    if ((type === '0' || type === '\0') && wanted(name.replace(/^\.\//, ''))) return Buffer.from(data);
  }
  return null;
}

function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return Buffer.from(end === -1 ? bytes : bytes.subarray(0, end)).toString('utf8');
}

function parseOctal(bytes: Uint8Array): number {
  const text = cString(bytes).trim();
  return text ? parseInt(text, 8) : 0;
}
