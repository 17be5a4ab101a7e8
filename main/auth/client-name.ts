/**
 * The client name shown to the owner on the approval page and in the app. It comes from whoever
 * registered (RFC 7591 `client_name`) or from a metadata document, so it is only a label: control
 * characters, bidirectional overrides and invisible characters are removed so that a client cannot
 * make its name render as another's (e.g. "\u202E" reversing text, zero-width joiners), and the
 * length is capped.
 */
// C0/C1 controls (except whitespace), zero-width and directional marks, bidi embeddings, overrides
// and isolates (Unicode TR9), word joiner and invisible operators, BOM.
const INVISIBLE = /[\u0000-\u0008\u000e-\u001f\u007f-\u009f\u00ad\u061c\u115f\u1160\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]/g;

/** A cleaned display name, or `fallback` when nothing visible is left. */
export function cleanClientName(raw: unknown, fallback: string, maxLength = 100): string {
  if (typeof raw !== 'string') return fallback;
  const cleaned = raw
    .replace(INVISIBLE, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, maxLength)
    .trim();
  return cleaned || fallback;
}
