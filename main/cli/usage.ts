import { DEFAULT_PORT, DEFAULT_PUBLIC_PORT } from '../config/ports.js';

/** Help texts, one per command; printed for `--help` and after a usage error. */
export const USAGE = {
  main: `Usage: tunnelgate <command> [options]

Commands:
  serve                 run the gateway (MCP at http://127.0.0.1:${DEFAULT_PORT}/mcp by default)
  logs                  print the tool-call log
  secrets set|list|delete   manage secrets in the OS keychain
  config path|validate|import-claude   the config file
  approvals             list clients waiting for approval (of a running gateway)
  doctor                check the running gateway through its public URL, as ChatGPT would
  approve ID            approve a pending client
  deny ID               deny a pending client

Run "tunnelgate <command> --help" for a command's options; "tunnelgate --version" prints the version.`,
  serve: `Usage: tunnelgate serve [--config FILE] [--port N] [--public-port N] [--no-tunnel]
                        [--auth none|oauth] [--public-url URL]

Runs the MCP gateway on 127.0.0.1 and, unless --no-tunnel, a cloudflared tunnel to it.
Two listeners: the MCP endpoint for clients on this computer (no OAuth, never tunneled), and the
public listener the tunnel (or your own proxy) forwards to, where every request is authenticated.
  --config FILE      config file (default: $TUNNELGATE_CONFIG, else the OS config folder)
  --port N           port of the local MCP endpoint (default ${DEFAULT_PORT}; 0 picks a free one)
  --public-port N    port of the public listener (default: a free one, or ${DEFAULT_PUBLIC_PORT} with
                     --public-url: point your own proxy there, never at the MCP endpoint)
  --no-tunnel        do not start the cloudflared tunnel
  --auth none|oauth  client authorization (default: oauth when public, none on loopback only)
  --public-url URL   public origin of the public listener (your own proxy, or http://127.0.0.1:PORT)
Stops cleanly on Ctrl+C (SIGINT) or SIGTERM.`,
  logs: `Usage: tunnelgate logs [--follow] [--json] [--limit N]

Prints the tool-call log from the data folder: one line per call (time, client, method, target,
upstream, duration, outcome), or the raw events as JSON Lines with --json.
  -f, --follow   keep printing new events as they happen
  --json         print JSON Lines
  --limit N      how many of the latest events to print first (default 50)`,
  secrets: `Usage:
  tunnelgate secrets set NAME      store a secret; the value is read from standard input (not echoed)
  tunnelgate secrets list          list the names of stored secrets (never their values)
  tunnelgate secrets delete NAME   delete a secret
Refer to a secret in the config as \${secret:NAME}.`,
  config: `Usage:
  tunnelgate config path [--config FILE]              print which config file is used
  tunnelgate config validate [--config FILE]          check the config and name any field at fault
  tunnelgate config import-claude [--from FILE] [--config FILE]
                                                       add Claude Desktop's mcpServers to the config`,
  doctor: `Usage: tunnelgate doctor [--json]

Asks the running gateway (tunnelgate serve) to replay, through its public URL, each step ChatGPT
takes: DNS and TLS, OAuth metadata, registration and CIMD (dry runs that store nothing),
server/discover and initialize, tools/list with the tool-list checks, a streamed response, and a
widget read. Prints each step as PASS, INFO, WARN or FAIL with the time it took and the fix.
Exits 1 when a step fails.
  --json   print the report as JSON`,
  approvals: `Usage: tunnelgate approvals [--forget-stale]

Lists the clients waiting for your approval at the running gateway (tunnelgate serve).
  --forget-stale   revoke the approved clients bound to an old public URL (a quick tunnel's earlier
                   one): their tokens no longer work; re-create those connectors in ChatGPT`,
  approve: `Usage: tunnelgate approve ID [--read-only]

Approves a pending client (ID or pairing code, from "tunnelgate approvals"). An ID that begins
with "-" is taken as it is (or put "--" before it: tunnelgate approve -- -ID).
  --read-only   grant only the read-only scope (tools the server marks read-only)`,
  deny: `Usage: tunnelgate deny ID

Denies a pending client (ID or pairing code, from "tunnelgate approvals"). An ID that begins with
"-" is taken as it is (or put "--" before it: tunnelgate deny -- -ID).`,
} as const;

export type CommandName = keyof typeof USAGE;
