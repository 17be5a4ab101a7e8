import type { EventEmitter } from 'node:events';
import type { TunnelState } from './tunnel-state.js';

export type { TunnelMode, TunnelPhase, TunnelState } from './tunnel-state.js';

/**
 * Runs cloudflared as a child process. Events: 'state' (TunnelState), 'url-changed' ({ previous, url }).
 */
export interface TunnelManager extends EventEmitter {
  state(): TunnelState;
  start(): Promise<void>;
  stop(): Promise<void>;
}
