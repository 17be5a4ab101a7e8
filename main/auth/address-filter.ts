import { isIP } from 'node:net';

/**
 * SSRF guard for Client ID Metadata Document fetches: only globally routable unicast addresses may be
 * contacted. Ranges from the IANA IPv4/IPv6 special-purpose registries (RFC 6890 and successors).
 * IPv6 forms that embed an IPv4 address (mapped, compatible, NAT64, 6to4) are judged by that address.
 */

type Range = readonly [prefix: readonly number[], bits: number];

const V4_BLOCKED: readonly Range[] = [
  [[0, 0, 0, 0], 8], // "this network"
  [[10, 0, 0, 0], 8], // private (RFC 1918)
  [[100, 64, 0, 0], 10], // carrier-grade NAT (RFC 6598)
  [[127, 0, 0, 0], 8], // loopback
  [[169, 254, 0, 0], 16], // link-local (incl. cloud metadata 169.254.169.254)
  [[172, 16, 0, 0], 12], // private
  [[192, 0, 0, 0], 24], // IETF protocol assignments
  [[192, 0, 2, 0], 24], // documentation
  [[192, 88, 99, 0], 24], // 6to4 relay anycast
  [[192, 168, 0, 0], 16], // private
  [[198, 18, 0, 0], 15], // benchmarking
  [[198, 51, 100, 0], 24], // documentation
  [[203, 0, 113, 0], 24], // documentation
  [[224, 0, 0, 0], 4], // multicast
  [[240, 0, 0, 0], 4], // reserved + broadcast
];

const V6_BLOCKED: readonly Range[] = [
  [[0x00, 0x64, 0xff, 0x9b, 0, 1], 48], // local-use NAT64 (RFC 8215)
  [[0x01, 0x00, 0, 0, 0, 0, 0, 0], 64], // discard-only
  [[0x20, 0x01, 0x00, 0x00], 23], // IETF protocol assignments incl. Teredo 2001::/32
  [[0x20, 0x01, 0x0d, 0xb8], 32], // documentation
  [[0xfc], 7], // unique local
  [[0xfe, 0x80], 10], // link-local
  [[0xfe, 0xc0], 10], // site-local (deprecated)
  [[0xff], 8], // multicast
];

function inRange(bytes: readonly number[], [prefix, bits]: Range): boolean {
  for (let i = 0; i * 8 < bits; i++) {
    const take = Math.min(8, bits - i * 8);
    const mask = (0xff << (8 - take)) & 0xff;
    if (((bytes[i] ?? 0) & mask) !== ((prefix[i] ?? 0) & mask)) return false;
  }
  return true;
}

function parseV4(text: string): number[] | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const bytes = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN));
  return bytes.every((b) => b >= 0 && b <= 255) ? bytes : null;
}

/** Parses an IPv6 literal (with `::`, an optional dotted IPv4 tail, no zone) into 16 bytes. */
export function parseV6(text: string): number[] | null {
  let s = text.replace(/^\[|\]$/g, '');
  if (s.includes('%')) s = s.slice(0, s.indexOf('%'));
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    const v4 = parseV4(s.slice(lastColon + 1));
    if (!v4) return null;
    tail = v4;
    s = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const toGroups = (h: string) => (h === '' ? [] : h.split(':'));
  const head = toGroups(halves[0]!);
  const rest = halves.length === 2 ? toGroups(halves[1]!) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  const bytes: number[] = [];
  for (const g of groups) {
    if (!/^[0-9a-f]{1,4}$/i.test(g)) return null;
    const n = parseInt(g, 16);
    bytes.push(n >> 8, n & 0xff);
  }
  if (tail.length) bytes.splice(12, 4, ...tail);
  return bytes;
}

function isPublicV4(bytes: readonly number[]): boolean {
  return !V4_BLOCKED.some((r) => inRange(bytes, r));
}

function isPublicV6(bytes: readonly number[]): boolean {
  const zeros = (n: number) => bytes.slice(0, n).every((b) => b === 0);
  if (zeros(16)) return false; // unspecified ::
  if (zeros(15) && bytes[15] === 1) return false; // loopback ::1
  // IPv4-mapped ::ffff:a.b.c.d and deprecated IPv4-compatible ::a.b.c.d
  if (zeros(10) && bytes[10] === 0xff && bytes[11] === 0xff) return isPublicV4(bytes.slice(12));
  if (zeros(12)) return isPublicV4(bytes.slice(12));
  // NAT64 well-known prefix 64:ff9b::/96
  if (inRange(bytes, [[0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0], 96]))
    return isPublicV4(bytes.slice(12));
  // 6to4 2002:a.b.c.d::/48
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return isPublicV4(bytes.slice(2, 6));
  return !V6_BLOCKED.some((r) => inRange(bytes, r));
}

/** True only for a syntactically valid, globally routable IPv4 or IPv6 address. */
export function isPublicAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  const family = isIP(bare.includes('%') ? bare.slice(0, bare.indexOf('%')) : bare);
  if (family === 4) {
    const bytes = parseV4(bare);
    return bytes !== null && isPublicV4(bytes);
  }
  if (family === 6) {
    const bytes = parseV6(bare);
    return bytes !== null && isPublicV6(bytes);
  }
  return false;
}

/**
 * The key an address is budgeted and queued under: an IPv4 address as is (also when IPv4-mapped),
 * an IPv6 address by its /64, since one subscriber usually holds a whole /64 (RFC 6177) and could
 * otherwise pose as 2^64 different clients. Anything unparsable is its own key.
 */
export function addressGroup(address: string): string {
  const bare = address.trim().replace(/^\[|\]$/g, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped) return mapped[1]!;
  if (isIP(bare) !== 6 && !bare.includes('%')) return bare.toLowerCase();
  const bytes = parseV6(bare);
  if (!bytes) return bare.toLowerCase();
  const groups: string[] = [];
  for (let i = 0; i < 8; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return `${groups.join(':')}::/64`;
}
