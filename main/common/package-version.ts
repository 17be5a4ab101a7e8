import { readFileSync } from 'node:fs';

/**
 * The version in package.json, for `tunnelgate --version` and the OpenAI tunnel's diagnostic
 * X-Tunnel-Client-Version. Found from main/common/ (source) or dist/main/common/ (built).
 */
export function packageVersion(): string {
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'tunnelgate' && pkg.version) return pkg.version;
    } catch {
      // not this folder: try the next
    }
  }
  return 'unknown';
}
