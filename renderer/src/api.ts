/** The renderer's only way to the main process: `window.tunnelgate` (CONVENTIONS.md #1). */
import type { TunnelgateApi, Unsubscribe } from '../../preload/contract';

declare global {
  interface Window {
    tunnelgate?: TunnelgateApi & { onConnection?: (listener: (connected: boolean) => void) => Unsubscribe };
  }
}

export function api(): NonNullable<Window['tunnelgate']> {
  const a = window.tunnelgate;
  if (!a)
    throw new Error(
      'window.tunnelgate is missing: the preload did not run and no HTTP bridge was installed.',
    );
  return a;
}

/** The message to show a person for a failed call. */
export function errorText(err: unknown): string {
  if (err instanceof Error) {
    // Electron prefixes IPC errors with "Error invoking remote method 'x': Error: "; keep the words.
    return err.message.replace(/^Error invoking remote method '[^']+': (?:\w*Error: )?/, '');
  }
  return String(err);
}
