/** Tunnel state as shown to the user; no Node types here (the renderer imports it). */
export type TunnelMode = 'off' | 'quick' | 'named';
export type TunnelPhase = 'stopped' | 'starting' | 'ready' | 'reconnecting' | 'failed';

/** Machine-readable cause next to `error`, so the window can offer the right button (e.g. Download). */
export type TunnelErrorCode =
  'binary-missing' | 'no-token' | 'no-hostname' | 'exited' | 'no-url' | 'not-ready' | 'spawn-failed';

export interface TunnelState {
  mode: TunnelMode;
  phase: TunnelPhase;
  /** Public origin, e.g. https://words.trycloudflare.com (no path). */
  url: string | null;
  /** In words, for the user, when failed or reconnecting. */
  error?: string;
  reachable: 'unknown' | 'checking' | 'yes' | 'no';
  reachableDetail?: string;
  pid?: number;
  binaryPath?: string;
  download?: { receivedBytes: number; totalBytes?: number };
  /** Set with `error`; see TunnelErrorCode. */
  errorCode?: TunnelErrorCode;
  /** Restarts after crashes since the last explicit start. */
  restarts?: number;
}
