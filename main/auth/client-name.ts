/**
 * The client name shown to the owner on the approval page and in the app. It comes from whoever
 * registered (RFC 7591 `client_name`) or from a metadata document, so it is only a label: control
 * characters, bidirectional overrides and invisible characters are removed so that a client cannot
 * make its name render as another's (e.g. "\u202E" reversing text, zero-width joiners), and the
 * length is capped.
 */
// C0/C1 controls (whitespace ones become spaces below), soft hyphen, zero-width and directional
// marks, bidi embeddings, overrides and isolates (Unicode TR9), word joiner and invisible operators,
// variation selectors, Hangul fillers, BOM. Ranges by code point: a regex of these trips linters.
const INVISIBLE_RANGES: readonly [number, number][] = [
  [0x00, 0x08],
  [0x0e, 0x1f],
  [0x7f, 0x9f],
  [0xad, 0xad],
  [0x61c, 0x61c],
  [0x115f, 0x1160],
  [0x180e, 0x180e],
  [0x200b, 0x200f],
  [0x202a, 0x202e],
  [0x2060, 0x206f],
  [0x3164, 0x3164],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
  [0xffa0, 0xffa0],
];

const visible = (ch: string): boolean => {
  const cp = ch.codePointAt(0)!;
  return !INVISIBLE_RANGES.some(([lo, hi]) => cp >= lo && cp <= hi);
};

/** A cleaned display name, or `fallback` when nothing visible is left. */
export function cleanClientName(raw: unknown, fallback: string, maxLength = 100): string {
  if (typeof raw !== 'string') return fallback;
  const spaced = [...raw].filter(visible).join('').replace(/\s+/g, ' ').trim();
  // Cut by code point, so the cap never leaves half a surrogate pair.
  const cleaned = [...spaced].slice(0, maxLength).join('').trim();
  return cleaned || fallback;
}
