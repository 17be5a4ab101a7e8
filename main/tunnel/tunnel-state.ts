/** Tunnel state as shown to the user; no Node types here (the renderer imports it). */
/** 'openai': OpenAI's Secure MCP Tunnel (long-poll, no public URL; see openai-tunnel-provider.ts). */
export type TunnelMode = 'off' | 'quick' | 'named' | 'openai';
export type TunnelPhase = 'stopped' | 'starting' | 'ready' | 'reconnecting' | 'failed';

/** Machine-readable cause next to `error`, so the window can offer the right button (e.g. Download). */
export type TunnelErrorCode =
  | 'binary-missing'
  | 'no-token'
  | 'no-hostname'
  | 'exited'
  | 'no-url'
  | 'not-ready'
  | 'spawn-failed'
  // OpenAI tunnel: the key was refused (401/403), none stored, a bad tunnel id, or the service is unreachable.
  | 'unauthorized'
  | 'no-api-key'
  | 'no-tunnel-id'
  | 'control-plane';

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
  /** OpenAI tunnel: the tunnel id ChatGPT's connector names (`url` stays null: there is none). */
  tunnelId?: string;
  /** OpenAI tunnel: its name from OpenAI's tunnel settings, when the metadata call returned one. */
  tunnelName?: string;
}
