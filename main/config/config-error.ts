import { basename } from 'node:path';
import type { z } from 'zod';
import { findJsonSyntaxError } from './json-syntax.js';

/** One problem in a config file, located by its JSON path (e.g. `mcpServers.github.url`). */
export interface ConfigProblem {
  path: string;
  message: string;
}

/**
 * A config file that cannot be used. `message` names the file and every field at fault, e.g.
 * `config.json: mcpServers.github.url: not a URL (got 'htps:/x')`, so the user can fix it directly.
 */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly ConfigProblem[],
  ) {
    super(problems.map((p) => `${basename(file)}: ${p.path ? `${p.path}: ` : ''}${p.message}`).join('\n'));
    this.name = 'ConfigError';
  }
}

// Values under these keys may be credentials pasted by the user: never echo them back.
const SENSITIVE_SEGMENTS = new Set(['headers', 'env', 'args']);

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else {
      const s = String(seg);
      out +=
        /^[A-Za-z_$][\w$.-]*$/.test(s) && !s.includes('.') ? (out ? `.${s}` : s) : `[${JSON.stringify(s)}]`;
    }
  }
  return out;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg];
  }
  return v;
}

function gotSuffix(root: unknown, path: readonly PropertyKey[]): string {
  if (path.some((s) => SENSITIVE_SEGMENTS.has(String(s)))) return '';
  let v = valueAt(root, path);
  // A URL's query or user-info may carry a key (`?token=...`, `https://user:pass@`): show neither.
  if (typeof v === 'string' && /url$/i.test(String(path[path.length - 1])))
    v = v.replace(/\?.*$/s, '?...').replace(/\/\/[^/@]*@/, '//...@');
  if (typeof v === 'string') return ` (got '${v.length > 60 ? `${v.slice(0, 57)}...` : v}')`;
  if (typeof v === 'number' || typeof v === 'boolean') return ` (got ${String(v)})`;
  return '';
}

function describe(issue: z.core.$ZodIssue, root: unknown, path: readonly PropertyKey[]): string {
  switch (issue.code) {
    case 'invalid_type': {
      const v = valueAt(root, path);
      if (v === undefined) return `missing (expected ${issue.expected})`;
      const got = v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
      return `expected ${issue.expected}, got ${got}${gotSuffix(root, path)}`;
    }
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((x) => JSON.stringify(x)).join(', ')}${gotSuffix(root, path)}`;
    case 'invalid_key':
      return `invalid name: ${issue.issues[0]?.message ?? issue.message}`;
    default:
      return `${issue.message}${gotSuffix(root, path)}`;
  }
}

/**
 * Turns zod issues into problems a person can act on. A server entry matching neither shape
 * (stdio or remote) is reported against the shape its keys suggest, not as an opaque "invalid union".
 */
export function problemsFromZod(issues: readonly z.core.$ZodIssue[], root: unknown): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const visit = (issue: z.core.$ZodIssue, base: readonly PropertyKey[]): void => {
    const path = [...base, ...issue.path];
    if (issue.code === 'invalid_union') {
      const v = valueAt(root, path);
      const obj =
        v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
      // Branch 0 of serverSchema is stdio (`command`), branch 1 remote (`url`).
      const branch = obj && 'command' in obj ? 0 : obj && 'url' in obj ? 1 : -1;
      const chosen = branch >= 0 ? issue.errors[branch] : undefined;
      if (chosen && issue.errors.length === 2) {
        for (const sub of chosen) visit(sub, path);
        return;
      }
      if (obj) {
        out.push({
          path: formatPath(path),
          message: 'needs either "command" (a local program) or "url" (a remote server)',
        });
        return;
      }
      out.push({
        path: formatPath(path),
        message: `expected an object, got ${v === null ? 'null' : typeof v}`,
      });
      return;
    }
    out.push({ path: formatPath(path), message: describe(issue, root, path) });
  };
  for (const issue of issues) visit(issue, []);
  return out;
}

/** Line and column (1-based) of a character offset in a text. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

/** A JSON syntax error as a ConfigProblem with line:column; never quotes the file's content. */
export function jsonSyntaxProblem(text: string): ConfigProblem {
  const found = findJsonSyntaxError(text);
  if (!found) return { path: '', message: 'not valid JSON' };
  const { line, column } = lineColumn(text, found.offset);
  return { path: '', message: `not valid JSON at line ${line}:${column}: ${found.reason}` };
}
