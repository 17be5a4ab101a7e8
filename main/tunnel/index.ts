/**
 * Public surface of the tunnel module (issue 5): the cloudflared manager, binary lookup and download.
 * bootstrap.ts wires createTunnelManager(); the control service calls start/stop/state and, when the
 * state says `errorCode: 'binary-missing'`, offers downloadCloudflared().
 */
export { createTunnelManager } from './cloudflared-manager.js';
export type { CloudflaredTunnelManager, TunnelManagerDeps } from './cloudflared-manager.js';
export { findCloudflared, cloudflaredFileName, dataDirBinaryPath, binaryMissingMessage } from './binary.js';
export type { CloudflaredSource, FindCloudflaredOptions, FindCloudflaredResult } from './binary.js';
export {
  downloadCloudflared,
  cloudflaredAssetName,
  checksumFromReleaseNotes,
  CloudflaredDownloadError,
  CLOUDFLARED_RELEASE_API,
} from './download.js';
export type {
  DownloadCloudflaredOptions,
  DownloadedCloudflared,
  DownloadProgress,
  DownloadFailure,
} from './download.js';
export { createWatchdogSpawner } from './process-spawner.js';
export { probeReachability, DEFAULT_REACHABILITY_PATH } from './reachability.js';
export type * from './types.js';
