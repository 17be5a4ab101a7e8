/** Whether `name` matches a tool filter pattern, where `*` stands for any run of characters. */
export function matchesGlob(pattern: string, name: string): boolean {
  if (!pattern.includes('*')) return pattern === name;
  const re = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`);
  return re.test(name);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Whether a server's `tools` filter exposes the tool: deny wins over allow; no allow list means all.
 * Shared by the config editor (per-tool switches) and anyone applying the filter.
 */
export function isToolEnabled(
  filter: { readonly allow?: readonly string[]; readonly deny?: readonly string[] } | undefined,
  tool: string,
): boolean {
  if (filter?.deny?.some((p) => matchesGlob(p, tool))) return false;
  if (filter?.allow && !filter.allow.some((p) => matchesGlob(p, tool))) return false;
  return true;
}
