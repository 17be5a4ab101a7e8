/**
 * Upstream OAuth client: what bootstrap needs to give the upstream manager its `authFor`.
 *
 *   authFor: createUpstreamAuthFactory({
 *     store: secrets,
 *     opener: createSystemBrowserOpener(),
 *     onSecretValues: (v) => activity.addSecretValues(v),
 *   })
 */
export { createSystemBrowserOpener, type BrowserOpener } from './browser-opener.js';

export { createUpstreamAuthFactory } from './upstream-oauth.js';
