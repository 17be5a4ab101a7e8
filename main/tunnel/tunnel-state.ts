/** Tunnel state as shown to the user; no Node types here (the renderer imports it). */
export type TunnelMode = 'off' | 'quick' | 'named';
export type TunnelPhase = 'stopped' | 'starting' | 'ready' | 'reconnecting' | 'failed';

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
}

