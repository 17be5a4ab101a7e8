/**
 * Public surface of the tunnel module (issue 5): the cloudflared manager and its types. bootstrap.ts
 * wires createTunnelManager(); the control service calls start/stop/state and, when the state says
 * `errorCode: 'binary-missing'`, the manager's downloadBinary(). Only what other folders import is
 * listed here (scripts/unused-exports.mjs checks it); the tunnel's own files import each other directly.
 */
export { createTunnelManager } from './cloudflared-manager.js';
export type { CloudflaredTunnelManager, TunnelManagerDeps } from './cloudflared-manager.js';
export { cloudflaredAssetName } from './download.js';
export type * from './types.js';
