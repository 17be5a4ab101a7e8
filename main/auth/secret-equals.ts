import { createHash, timingSafeEqual } from 'node:crypto';

const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * Compares a presented secret (token, secret path) with the expected one in constant time. Hashing
 * first gives both sides one length, so the comparison leaks neither content nor length.
 */
export function secretEquals(given: string, expected: string): boolean {
  return timingSafeEqual(sha256(given), sha256(expected));
}

/**
 * secretEquals against a set of expected values that rarely changes (the MCP paths, per request):
 * their digests are kept, so each check hashes only the presented value once.
 */
export function createSecretMatcher(): (given: string, expected: readonly string[]) => boolean {
  let lastExpected: readonly string[] = [];
  let digests: Buffer[] = [];
  return (given, expected) => {
    // Compared by content: callers may build a new array each time. Both sides are our own values.
    if (expected.length !== lastExpected.length || expected.some((e, i) => e !== lastExpected[i])) {
      lastExpected = expected;
      digests = expected.map(sha256);
    }
    const g = sha256(given);
    let found = false;
    // Every candidate is compared, so timing does not tell which one (if any) matched.
    for (const d of digests) found = timingSafeEqual(g, d) || found;
    return found;
  };
}
