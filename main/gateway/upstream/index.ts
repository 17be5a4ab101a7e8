/** Public surface of gateway/upstream: raw JSON-RPC connections to MCP servers and their supervision. */
export { RELAY_CAPABILITIES } from './connection.js';
export { createUpstreamManager, type UpstreamManager, type ResolveResult } from './manager.js';
export * from './types.js';
