/**
 * The SDK's OAuth client functions, loaded on first use: they bring the SDK's protocol schemas (zod,
 * several MB once compiled), which a gateway whose upstreams never ask for OAuth does not need
 * (issue 16: memory of `serve`).
 */
import type * as OAuthClientModule from '@modelcontextprotocol/sdk/client/auth.js';

type OAuthClient = typeof OAuthClientModule;

let loading: Promise<OAuthClient> | undefined;

export function oauthClient(): Promise<OAuthClient> {
  loading ??= import('@modelcontextprotocol/sdk/client/auth.js');
  return loading;
}
