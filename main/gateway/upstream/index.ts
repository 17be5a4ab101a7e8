/** Public surface of gateway/upstream: raw JSON-RPC connections to MCP servers and their supervision. */
export {
  createUpstream,
  RELAY_CAPABILITIES,
  SUPPORTED_PROTOCOL_VERSIONS,
  type UpstreamDeps,
} from './connection.js';
export {
  createUpstreamManager,
  kindOf,
  type UpstreamManager,
  type UpstreamManagerDeps,
  type ApplyOptions,
  type ResolveResult,
} from './manager.js';
export type { SupervisedUpstream } from './supervised-upstream.js';
export { DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
export * from './types.js';
export type { UpstreamAuth, UpstreamAuthFactory } from './upstream-auth.js';
