import type { RawObject } from '../upstream/types.js';
import type { ServerView } from './catalog.js';

/** Gateway identity when the caller does not give one. */
const DEFAULT_SERVER_INFO: RawObject = { name: 'tunnelgate', version: '0.1.0' };

function capabilities(views: readonly ServerView[]): RawObject {
  const caps: RawObject = {
    tools: { listChanged: true },
    prompts: { listChanged: true },
    resources: { subscribe: true, listChanged: true },
    logging: {},
    completions: {},
  };
  // Extensions (e.g. io.modelcontextprotocol/ui for MCP Apps) are advertised when any upstream has them.
  const extensions: RawObject = {};
  for (const v of views) {
    const ext = v.upstream.state().capabilities?.['extensions'];
    if (typeof ext === 'object' && ext !== null) Object.assign(extensions, ext);
  }
  if (Object.keys(extensions).length > 0) caps['extensions'] = extensions;
  return caps;
}

function instructions(views: readonly ServerView[]): string | undefined {
  const parts: string[] = [];
  for (const v of views) {
    const s = v.upstream.state();
    if (s.status === 'ready' && s.instructions)
      parts.push(`## ${v.name}${v.prefix ? ` (tools prefixed "${v.prefix}__")` : ''}\n${s.instructions}`);
  }
  return parts.length === 0 ? undefined : parts.join('\n\n');
}

/** The gateway's `initialize` result (session era). */
export function buildInitializeResult(
  protocolVersion: string,
  views: readonly ServerView[],
  serverInfo: RawObject = DEFAULT_SERVER_INFO,
): RawObject {
  const text = instructions(views);
  return {
    protocolVersion,
    capabilities: capabilities(views),
    serverInfo,
    ...(text === undefined ? {} : { instructions: text }),
  };
}

/** The gateway's `server/discover` result (2026-07-28). */
export function buildDiscoverResult(
  supportedVersions: readonly string[],
  views: readonly ServerView[],
  serverInfo: RawObject = DEFAULT_SERVER_INFO,
): RawObject {
  const text = instructions(views);
  return {
    supportedVersions: [...supportedVersions],
    capabilities: capabilities(views),
    // Where 2026-07-28 servers identify themselves (spec PR #3002); the body field is for older drafts.
    serverInfo,
    ...(text === undefined ? {} : { instructions: text }),
    _meta: { 'io.modelcontextprotocol/serverInfo': serverInfo },
  };
}
