import { createHash } from 'node:crypto';
import { isToolEnabled } from '../../config/glob.js';

/** Exposed names must match this (PROTOCOL.md: ChatGPT and the MCP tool-name rules). */
export const EXPOSED_NAME_RE = /^[a-zA-Z0-9_-]{1,64}$/;
const MAX_LEN = 64;

function shortHash(text: string, length = 8): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** Joins prefix and upstream name as `prefix__name` ("" prefix = the bare name). */
export function joinName(prefix: string, name: string): string {
  return prefix === '' ? name : `${prefix}__${name}`;
}

/**
 * Makes `wanted` a valid exposed name, deterministically: invalid characters become `_`, and a name
 * that had to change or is too long keeps a readable head plus a short hash of the original, so two
 * different originals never shrink to the same result by accident.
 */
export function toValidName(wanted: string): string {
  if (EXPOSED_NAME_RE.test(wanted)) return wanted;
  const cleaned = wanted.replace(/[^a-zA-Z0-9_-]/g, '_');
  const suffix = `_${shortHash(wanted)}`;
  const head = cleaned.slice(0, MAX_LEN - suffix.length);
  return `${head}${suffix}`;
}

/** A deterministic alternative for a name already taken by an earlier server. */
export function disambiguate(server: string, name: string): string {
  const suffix = `_${shortHash(`${server}\u0000${name}`)}`;
  return `${name.slice(0, MAX_LEN - suffix.length)}${suffix}`;
}

/**
 * allow/deny filter on upstream tool names; deny wins over allow; no allow list = all allowed. The
 * glob rule (`*` only) is the config's own, so the router and the config editor's switches agree.
 */
export function createNameFilter(
  allow: readonly string[] | undefined,
  deny: readonly string[] | undefined,
): (name: string) => boolean {
  const filter = { allow, deny };
  return (name) => isToolEnabled(filter, name);
}
