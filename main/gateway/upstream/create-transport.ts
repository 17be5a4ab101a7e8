import { isStdioServer } from '../../config/schema.js';
import { createBuiltinTransport } from './builtin-transport.js';
import { createHttpTransport } from './http-transport.js';
import { StartError } from './messages.js';
import { createSseTransport } from './sse-transport.js';
import { createStdioTransport } from './stdio-transport.js';
import { MODERN_VERSION, type UpstreamDeps } from './handshake.js';
import type { UpstreamSpec } from './types.js';
import type { WireTransport } from './wire-transport.js';

/** Picks the wire transport for a spec; throws an Error naming the config field when it does not fit. */
export function createTransport(spec: UpstreamSpec, deps: UpstreamDeps): WireTransport {
  const { name, config } = spec;
  switch (spec.kind) {
    case 'builtin':
      return createBuiltinTransport(name, spec.builtin);
    case 'stdio':
      if (!isStdioServer(config))
        throw new StartError(`mcpServers.${name}: a stdio server needs "command".`, true);
      return createStdioTransport({ name, config, shutdown: deps.shutdown, log: deps.log });
    case 'http':
    case 'sse': {
      if (isStdioServer(config))
        throw new StartError(`mcpServers.${name}: a remote server needs "url".`, true);
      const common = { name, url: config.url, headers: config.headers, auth: deps.auth };
      return spec.kind === 'http'
        ? createHttpTransport({ ...common, openGetStream: deps.openGetStream })
        : createSseTransport(common);
    }
  }
}

/** The stateless 2026-07-28 link to a Streamable HTTP upstream (no session, no GET stream). */
export function createModernTransport(spec: UpstreamSpec, deps: UpstreamDeps): WireTransport {
  const { name, config } = spec;
  if (spec.kind !== 'http' || isStdioServer(config))
    throw new StartError(`mcpServers.${name}: 2026-07-28 is spoken to Streamable HTTP servers only.`, true);
  return createHttpTransport({
    name,
    url: config.url,
    headers: config.headers,
    auth: deps.auth,
    openGetStream: false,
    stateless: MODERN_VERSION,
  });
}
