import { matchesGlob } from './glob.js';
import type { HintOverride } from './schema.js';

/** The three hints ChatGPT's review wants set explicitly on every tool (PROTOCOL.md). */
export const REVIEW_HINTS = ['readOnlyHint', 'destructiveHint', 'openWorldHint'] as const;
export type ReviewHint = (typeof REVIEW_HINTS)[number];

/**
 * The owner's hint override for an upstream tool: every matching pattern of the server's
 * `annotations`, globs first (in file order), then the exact name, which wins.
 */
export function hintOverrideFor(
  overrides: Readonly<Record<string, HintOverride>> | undefined,
  tool: string,
): HintOverride | undefined {
  if (!overrides) return undefined;
  let merged: HintOverride | undefined;
  for (const [pattern, hints] of Object.entries(overrides)) {
    if (pattern !== tool && pattern.includes('*') && matchesGlob(pattern, tool))
      merged = { ...merged, ...hints };
  }
  const exact = overrides[tool];
  return exact ? { ...merged, ...exact } : merged;
}

/**
 * A tool object with the override applied on top of the upstream's `annotations`: only those hint
 * fields change, everything else stays the upstream's raw JSON (PROTOCOL.md pass-through).
 * `overridden` names the hints whose value the owner set (shown as such in the window).
 */
export function applyHintOverride<T extends Record<string, unknown>>(
  tool: T,
  override: HintOverride | undefined,
): { tool: T; overridden: ReviewHint[] } {
  if (!override) return { tool, overridden: [] };
  const overridden = REVIEW_HINTS.filter((h) => typeof override[h] === 'boolean');
  if (overridden.length === 0) return { tool, overridden };
  const base = tool['annotations'];
  const annotations: Record<string, unknown> =
    typeof base === 'object' && base !== null && !Array.isArray(base) ? { ...base } : {};
  for (const h of overridden) annotations[h] = override[h];
  return { tool: { ...tool, annotations }, overridden };
}
