/**
 * Some keychains cap one entry's size: Windows Credential Manager takes at most 2560 bytes
 * (CRED_MAX_CREDENTIAL_BLOB_SIZE), i.e. 1280 UTF-16 characters, less than a JWT access token with
 * its refresh token. A long value is therefore kept as a main entry that starts with a header and
 * the first part, plus `<account>#1`, `<account>#2`, ... ('#' never appears in a secret name).
 */
const HEADER = '\u0000tunnelgate-chunks:';

/** Where the raw (unchunked) entries live: one keychain service. */
export interface RawEntries {
  get(account: string): Promise<string | null>;
  set(account: string, value: string): Promise<void>;
  delete(account: string): Promise<boolean>;
}

/** Windows' limit with room for the header; elsewhere entries are large enough. */
export function defaultMaxEntryChars(platform: NodeJS.Platform): number {
  return platform === 'win32' ? 1200 : Number.POSITIVE_INFINITY;
}

const partAccount = (account: string, i: number) => `${account}#${i}`;

function partsOf(main: string | null): number {
  if (main === null || !main.startsWith(HEADER)) return main === null ? 0 : 1;
  const n = Number.parseInt(main.slice(HEADER.length), 10);
  return Number.isFinite(n) && n > 0 ? n : 1;
}

/** Reads, writes and deletes values of any length on top of size-capped entries. */
export function createChunkedEntries(raw: RawEntries, maxEntryChars: number) {
  async function read(account: string): Promise<string | undefined> {
    const main = await raw.get(account);
    if (main === null) return undefined;
    if (!main.startsWith(HEADER)) return main;
    const body = main.slice(main.indexOf('\u0000', HEADER.length) + 1);
    const parts = [body];
    for (let i = 1; i < partsOf(main); i++) {
      const p = await raw.get(partAccount(account, i));
      if (p === null) return undefined; // a part went missing: the value is lost, not half-returned
      parts.push(p);
    }
    return parts.join('');
  }

  async function write(account: string, value: string): Promise<void> {
    const before = partsOf(await raw.get(account));
    if (value.length <= maxEntryChars && !value.startsWith(HEADER)) {
      await raw.set(account, value);
      for (let i = 1; i < before; i++) await raw.delete(partAccount(account, i));
      return;
    }
    const size = Math.max(1, maxEntryChars - HEADER.length - 12);
    const parts: string[] = [];
    for (let i = 0; i < value.length; i += size) parts.push(value.slice(i, i + size));
    // The extra parts first, the main entry last: it is what says how many parts there are.
    for (let i = 1; i < parts.length; i++) await raw.set(partAccount(account, i), parts[i] ?? '');
    await raw.set(account, `${HEADER}${parts.length}\u0000${parts[0] ?? ''}`);
    for (let i = parts.length; i < before; i++) await raw.delete(partAccount(account, i));
  }

  async function remove(account: string): Promise<boolean> {
    const before = partsOf(await raw.get(account));
    for (let i = 1; i < before; i++) await raw.delete(partAccount(account, i));
    return raw.delete(account);
  }

  return { read, write, remove };
}
