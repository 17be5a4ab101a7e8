/**
 * Waiting for a condition in tests, instead of sleeping a fixed time: `check` runs at once and then
 * every few milliseconds until it returns a truthy value (resolved with it) or the deadline passes
 * (rejected with `what` and, when given, what was last seen). One copy for every test file.
 */
const INTERVAL_MS = 20;

export async function waitUntil<T>(
  check: () => T | Promise<T>,
  what: string,
  options: { timeoutMs?: number; detail?: () => string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) {
      const detail = options.detail ? `\n${options.detail()}` : '';
      throw new Error(`timed out waiting for ${what}${detail}`);
    }
    await new Promise((r) => setTimeout(r, INTERVAL_MS));
  }
}

/** Like waitUntil, for a check whose answer may be falsy (0, ''): resolves once it is not undefined. */
export async function waitForValue<T>(
  check: () => T | undefined | Promise<T | undefined>,
  what: string,
  options: { timeoutMs?: number } = {},
): Promise<T> {
  const found = await waitUntil(
    async () => {
      const v = await check();
      return v === undefined ? undefined : { v };
    },
    what,
    options,
  );
  return found.v;
}
