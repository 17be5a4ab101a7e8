const TSX = import.meta.resolve('tsx');

/**
 * Node arguments that run `script`, a TypeScript fixture that imports only packages (an MCP server
 * over stdio, say): Node 22.18+ strips the types itself, which starts it in about 1 CPU-s less than
 * the tsx loader does; an older Node loads it through tsx. (Its syntax must be erasable: no enums, no
 * parameter properties, no relative imports of other .ts files by a .js name.)
 */
export function tsFixtureArgs(script: string, ...args: string[]): string[] {
  return process.features.typescript ? [script, ...args] : ['--import', TSX, script, ...args];
}
