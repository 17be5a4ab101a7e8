/**
 * Upstream OAuth client: what bootstrap needs to give the upstream manager its `authFor`.
 *
 *   authFor: createUpstreamAuthFactory({
 *     store: secrets,
 *     opener: createSystemBrowserOpener(),
 *     onSecretValues: (v) => activity.addSecretValues(v),
 *   })
 */
export { createSystemBrowserOpener, openCommandFor, type BrowserOpener } from './browser-opener.js';
export { UpstreamAuthError, UpstreamAuthTransientError } from './errors.js';
export { SignInRefusedError } from './loopback-receiver.js';
export { createUpstreamAuthFactory, createUpstreamOAuth, type UpstreamOAuthDeps } from './upstream-oauth.js';
