#!/usr/bin/env node
// The `tunnelgate` command. An installed package runs the built dist/; a clone of the repository runs
// its TypeScript source through tsx, so `npx tunnelgate` in a clone is always the code you are reading.
import { existsSync } from 'node:fs';

// package.json's engines (>=22.12): the gateway uses process.getBuiltinModule (22.3) and require(esm).
const MIN_NODE = [22, 12];
const [major, minor] = process.versions.node.split('.').map(Number);
if (!(major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]))) {
  process.stderr.write(
    `tunnelgate: Node.js ${MIN_NODE.join('.')} or newer (${MIN_NODE[0]} LTS) is needed (this is ${process.version}, at ${process.execPath}).\n` +
      `Install Node.js ${MIN_NODE[0]} LTS (https://nodejs.org, or your package manager) and run the command again.\n`,
  );
  process.exit(1);
}

const root = new URL('../', import.meta.url);
const source = new URL('main/cli.ts', root);
let cli;
if (existsSync(source) && existsSync(new URL('node_modules/tsx/package.json', root))) {
  // Hints printed by the CLI ("run ... config import-claude") then show the form that works in a clone.
  process.env.TUNNELGATE_CLI ??= 'npx tunnelgate';
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import(source.href);
} else {
  cli = await import(new URL('dist/main/cli.js', root).href);
}
cli.runCli();
