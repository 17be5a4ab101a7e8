import { isStdioServer } from '../../config/schema.js';
import { createBuiltinTransport } from './builtin-transport.js';
import { createStdioTransport } from './stdio-transport.js';
import type { UpstreamDeps } from './connection.js';
import type { UpstreamSpec } from './types.js';
import type { WireTransport } from './wire-transport.js';

/** Picks the wire transport for a spec; throws an Error naming the config field when it does not fit. */
export function createTransport(spec: UpstreamSpec, deps: UpstreamDeps): WireTransport {
  const { name, config } = spec;
  switch (spec.kind) {
    case 'builtin':
      return createBuiltinTransport(name, spec.builtin);
    case 'stdio':
      if (!isStdioServer(config)) throw new Error(`mcpServers.${name}: a stdio server needs "command".`);
      return createStdioTransport({ name, config, shutdown: deps.shutdown });
    case 'http':
    case 'sse':
      throw new Error(`mcpServers.${name}: ${spec.kind} upstreams are not implemented yet.`);
  }
}
