import { setFlagsFromString } from 'node:v8';

/**
 * Node options under which V8's tiering is the user's choice (or TurboFan cannot run): left alone.
 * V8 reads `_` in a flag's name as `-` (`--no_turbofan`, `--max_opt=2`).
 */
const USER_TIERING = /--(no[-_])?(turbofan|opt\b|max[-_]opt|jitless)/;

/**
 * Holds V8's optimizing compiler (TurboFan) back while a long-running process starts (issue 16).
 * Startup code (module resolution, the config's validation, the upstreams' first catalogs) runs hot
 * once and never again, yet TurboFan compiled it on worker threads: the compiler's code paged in
 * from the node binary and its zones grew a worker's malloc arena, some 6 MiB of `serve`'s idle RSS
 * (measured in `npm run bench:idle`). Sparkplug still compiles hot startup code (Node 22 ships Maglev
 * off). Returns the function that lets TurboFan run again: from then on, hot code is the gateway's
 * own work.
 */
export function deferOptimizingCompiler(
  env: NodeJS.ProcessEnv = process.env,
  execArgv: readonly string[] = process.execArgv,
): () => void {
  if (USER_TIERING.test(`${execArgv.join(' ')} ${env['NODE_OPTIONS'] ?? ''}`)) return () => undefined;
  setFlagsFromString('--no-turbofan');
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    setFlagsFromString('--turbofan');
  };
}
