import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Compares a presented secret (token, secret path) with the expected one in constant time. Hashing
 * first gives both sides one length, so the comparison leaks neither content nor length.
 */
export function secretEquals(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
