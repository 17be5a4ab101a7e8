// The default ports, apart from the config schema: the CLI's usage text names them, and every
// `tunnelgate` command loads that text, so importing them from schema.ts loaded zod (about 100
// modules, 0.15 CPU-s) into `approvals`, `logs` or `secrets`, which never parse a config.

/** Default port of the local MCP endpoint (`tunnelgate serve --port`). Documented in README.md. */
export const DEFAULT_PORT = 8740;
/** The public listener's port when a public URL (your own proxy) is set without one (`serve`). */
export const DEFAULT_PUBLIC_PORT = 8741;
