/**
 * JSON of values that are built once and never change afterwards (the router's merged lists: 300
 * tools are about 90 KB of JSON). Such a value is marked with shareJson(); its text is then computed
 * at most once and reused by every answer that carries it and by the activity log, instead of being
 * serialised again on each tools/list (issue 16). Unmarked values are serialised as JSON.stringify
 * would, every time.
 */

interface Text {
  text: string;
  bytes: number;
  /** The text's UTF-8 bytes, made on first use (messageChunks): big shared texts only. */
  buffer?: Buffer;
}

/** Marked values: null until their text is first asked for. Weak: a replaced list goes with its text. */
const shared = new WeakMap<object, Text | null>();

/**
 * Marks `value` as final and freezes it (shallowly: a later `value.x = ...` throws instead of
 * silently changing what other clients are sent). `text`, when the caller already has the value's
 * JSON, seeds the cache.
 */
export function shareJson<T extends object>(value: T, text?: string): T {
  if (!shared.has(value)) {
    Object.freeze(value);
    shared.set(value, text === undefined ? null : { text, bytes: Buffer.byteLength(text) });
  }
  return value;
}

/** Whether `value` was marked with shareJson() (caches of derived values may key on it). */
export function isSharedJson(value: unknown): value is object {
  return typeof value === 'object' && value !== null && shared.has(value);
}

function cached(value: object): Text | undefined {
  const known = shared.get(value);
  if (known !== null) return known;
  const text = JSON.stringify(value);
  const entry = { text, bytes: Buffer.byteLength(text) };
  shared.set(value, entry);
  return entry;
}

/** JSON.stringify(value) and its size in UTF-8 bytes; a shared value's from the cache. */
export function jsonText(value: unknown): Text | undefined {
  if (isSharedJson(value)) return cached(value);
  const text = JSON.stringify(value) as string | undefined;
  return text === undefined ? undefined : { text, bytes: Buffer.byteLength(text) };
}

/** A piece of a message's text as it is written: text, or a shared member's cached UTF-8 bytes. */
export type Chunk = string | Buffer;

/**
 * Shared texts at least this long are also kept as UTF-8 bytes (a Buffer made once). Shorter ones
 * are spliced as text: a small Buffer would be a slice of Node's 8 KiB pool and keep all of it.
 */
const BUFFER_MIN_BYTES = Buffer.poolSize >>> 1;

/** The pieces of `message`'s text, in order; with `buffers`, big shared members as their Buffers. */
function pieces(
  message: Readonly<Record<string, unknown>>,
  buffers: boolean,
): { chunks: Chunk[]; bytes: number } {
  // The usual message (a call's answer) has no shared member: it is one JSON.stringify, not one per
  // member plus the joins (it is written on the way from the upstream's answer to the client's).
  let anyShared = false;
  for (const key in message)
    if (isSharedJson(message[key])) {
      anyShared = true;
      break;
    }
  if (!anyShared) {
    const text = JSON.stringify(message);
    return { chunks: [text], bytes: Buffer.byteLength(text) };
  }
  const chunks: Chunk[] = [];
  let text = '';
  let bytes = 0;
  let first = true;
  for (const key of Object.keys(message)) {
    const value = message[key];
    // JSON.stringify leaves these members out.
    if (value === undefined || typeof value === 'function' || typeof value === 'symbol') continue;
    const head = `${first ? '{' : ','}${JSON.stringify(key)}:`;
    first = false;
    bytes += Buffer.byteLength(head);
    if (isSharedJson(value)) {
      const member = cached(value)!;
      bytes += member.bytes;
      if (buffers && member.bytes >= BUFFER_MIN_BYTES) {
        chunks.push(text + head, (member.buffer ??= Buffer.from(member.text)));
        text = '';
      } else text += head + member.text;
    } else {
      const member = jsonText(value)!;
      text += head + member.text;
      bytes += member.bytes;
    }
  }
  if (first) return { chunks: ['{}'], bytes: 2 };
  chunks.push(`${text}}`);
  return { chunks, bytes: bytes + 1 };
}

/**
 * The text of a small object whose members may be shared values (a JSON-RPC message
 * `{ jsonrpc, id, result }`): the same text JSON.stringify gives, with each shared member spliced in
 * from its cache, so only the envelope's few bytes are serialised and measured per answer.
 */
export function messageJson(message: Readonly<Record<string, unknown>>): Text {
  if (isSharedJson(message)) return cached(message)!;
  const { chunks, bytes } = pieces(message, false);
  return { text: chunks[0] as string, bytes };
}

/**
 * messageJson() as pieces to write one after the other: a big shared member (the merged tool list)
 * is its UTF-8 bytes, made once, so an answer neither copies 90 KB into a new string nor encodes it
 * again (issue 16). Adjacent text is joined: a message without big shared members is one string.
 */
export function messageChunks(message: Readonly<Record<string, unknown>>): {
  chunks: Chunk[];
  bytes: number;
} {
  if (!isSharedJson(message)) return pieces(message, true);
  const whole = cached(message)!;
  if (whole.bytes < BUFFER_MIN_BYTES) return { chunks: [whole.text], bytes: whole.bytes };
  return { chunks: [(whole.buffer ??= Buffer.from(whole.text))], bytes: whole.bytes };
}
