/**
 * The demo server as the upstream manager's builtin. Its module (an SDK McpServer, and with it the
 * SDK's schemas and validators: several MB) is loaded only when the demo runs, i.e. when there is no
 * config; a gateway serving the user's own servers never loads it (issue 16: memory of `serve`).
 */
import type { BuiltinFactory } from '../upstream/types.js';

/** Name of the demo server in the upstream manager's `builtins` (and its tool prefix). */
export const DEMO_SERVER_NAME = 'demo';

/** Builtin factory for `builtins: { demo: demoBuiltin }`. */
export const demoBuiltin: BuiltinFactory = async () => (await import('./demo-server.js')).demoBuiltin();
