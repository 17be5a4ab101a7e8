import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/** Young generation (both semi-spaces) a long-running gateway keeps at most, in bytes. */
const YOUNG_GENERATION_CAP = 8 * 1024 * 1024;

function youngGenerationSize(): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}

/**
 * Caps V8's young generation at `cap` bytes (issue 16). Left alone, it doubles under load up to two
 * 16 MiB semi-spaces, which are touched once and then stay resident: a third of `serve`'s memory
 * after a load run. A gateway's requests make short-lived garbage that 8 MiB collect about as cheaply
 * (1 MiB cost some 20% more CPU per call). The maximum can only be set before the heap exists (a
 * command-line flag, which neither an npm bin nor a packaged Electron app can pass), but the growth
 * factor is read at each collection: after every GC, growth is switched off at the cap and back on
 * below it (V8 shrinks the young generation again when allocation slows down). Returns the stop
 * function.
 */
export function capYoungGeneration(cap = YOUNG_GENERATION_CAP): () => void {
  let growing = true;
  const check = (): void => {
    const grow = youngGenerationSize() < cap;
    if (grow === growing) return;
    growing = grow;
    setFlagsFromString(grow ? '--semi-space-growth-factor=2' : '--semi-space-growth-factor=1');
  };
  const observer = new PerformanceObserver(check);
  observer.observe({ entryTypes: ['gc'] });
  check();
  return () => {
    observer.disconnect();
    if (!growing) setFlagsFromString('--semi-space-growth-factor=2');
  };
}
