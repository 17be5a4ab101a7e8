/**
 * Checks of a tool list as ChatGPT sees it (pure): what keeps a connector from offering its actions
 * ("connected, but no actions") or from passing review. Runs on the exposed list (after prefixes,
 * filters and the owner's hint overrides), so it reports what a client really gets.
 */
import { REVIEW_HINTS } from '../config/annotation-overrides.js';
import { inputSchemaProblem } from './schema-shape.js';
import type { ToolCheck, ToolFinding, ToolListCheck } from './types.js';

/** PROTOCOL.md: exposed tool names match ^[a-zA-Z0-9_-]{1,64}$. */
const NAME_RE = /^[a-zA-Z0-9_-]+$/;
const MAX_NAME_LENGTH = 64;
/**
 * Our thresholds, not published limits: descriptions past this many characters crowd the model's
 * context for every conversation; lists past these sizes make ChatGPT's tool choice worse.
 */
const MAX_DESCRIPTION_CHARS = 2048;
const MAX_TOOL_COUNT = 100;
const MAX_LIST_BYTES = 256 * 1024;

type Tool = Record<string, unknown>;

/** The findings of one tool on its own (no comparison with the others). */
export function checkTool(tool: Tool): ToolFinding[] {
  const out: ToolFinding[] = [];
  const name = typeof tool['name'] === 'string' ? tool['name'] : '';
  if (name.length === 0) {
    out.push({ level: 'failure', code: 'name-missing', message: 'The tool has no name; ChatGPT drops it.' });
  } else {
    if (name.length > MAX_NAME_LENGTH)
      out.push({
        level: 'failure',
        code: 'name-too-long',
        message: `The name has ${name.length} characters; ChatGPT accepts at most ${MAX_NAME_LENGTH}: set a shorter "prefix" for this server.`,
      });
    if (!NAME_RE.test(name))
      out.push({
        level: 'failure',
        code: 'name-invalid',
        message: 'The name uses characters other than letters, digits, "_" and "-", which ChatGPT refuses.',
      });
  }
  const schema = inputSchemaProblem(tool['inputSchema']);
  if (schema)
    out.push({
      level: 'failure',
      code: 'schema-invalid',
      message: `${schema}; ChatGPT cannot build a call for this tool: fix the server's schema or switch the tool off.`,
    });
  const description = tool['description'];
  if (typeof description !== 'string' || description.trim() === '')
    out.push({
      level: 'warning',
      code: 'description-missing',
      message: 'No description: the model cannot tell when to use this tool; add one in the server.',
    });
  else if (description.length > MAX_DESCRIPTION_CHARS)
    out.push({
      level: 'warning',
      code: 'description-huge',
      message: `The description has ${description.length} characters (more than ${MAX_DESCRIPTION_CHARS}); it is sent in every conversation: shorten it.`,
    });
  const annotations = tool['annotations'];
  const a = typeof annotations === 'object' && annotations !== null ? (annotations as Tool) : {};
  const missing = REVIEW_HINTS.filter((h) => typeof a[h] !== 'boolean');
  if (missing.length > 0)
    out.push({
      level: 'warning',
      code: 'hint-missing',
      message: `${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not set; ChatGPT's review wants each true or false: set ${missing.length > 1 ? 'them' : 'it'} under "annotations" for this server in the config.`,
    });
  return out;
}

/** Names that read the same to a person or a model: case, "_" and "-" ignored. */
function nameKey(name: string): string {
  return name.toLowerCase().replace(/[_-]/g, '');
}

/**
 * Checks every tool of a list and the list as a whole. `overridden` tells, per exposed name, which
 * hints the owner set in the config (reported, so nothing looks as if the upstream said it).
 */
export function checkToolList(
  tools: readonly Tool[],
  overridden: (exposedName: string) => readonly string[] = () => [],
): ToolListCheck {
  const checks: ToolCheck[] = [];
  const byName = new Map<string, number>();
  const byKey = new Map<string, string>();
  for (const tool of tools) {
    const exposedName = typeof tool['name'] === 'string' ? tool['name'] : '';
    const findings = checkTool(tool);
    const seen = byName.get(exposedName) ?? 0;
    byName.set(exposedName, seen + 1);
    if (seen > 0)
      findings.push({
        level: 'failure',
        code: 'name-duplicate',
        message: `Another tool in the list is also named '${exposedName}'; ChatGPT keeps only one of them.`,
      });
    else {
      const twin = byKey.get(nameKey(exposedName));
      if (twin !== undefined)
        findings.push({
          level: 'warning',
          code: 'name-near-duplicate',
          message: `The name differs from '${twin}' only in case, "_" or "-"; the model may confuse them: rename one (prefix or alias).`,
        });
      else byKey.set(nameKey(exposedName), exposedName);
    }
    checks.push({ exposedName, findings, overriddenHints: [...overridden(exposedName)] });
  }
  const bytes = Buffer.byteLength(JSON.stringify(tools));
  const list: ToolFinding[] = [];
  if (tools.length === 0)
    list.push({
      level: 'warning',
      code: 'list-empty',
      message:
        'The gateway offers no tools: ChatGPT shows the connector without actions. Add or enable a server.',
    });
  if (tools.length > MAX_TOOL_COUNT)
    list.push({
      level: 'warning',
      code: 'list-long',
      message: `${tools.length} tools (more than ${MAX_TOOL_COUNT}): ChatGPT chooses worse among many; switch off the ones you do not need.`,
    });
  if (bytes > MAX_LIST_BYTES)
    list.push({
      level: 'warning',
      code: 'list-large',
      message: `The tool list is ${Math.round(bytes / 1024)} KiB (more than ${MAX_LIST_BYTES / 1024} KiB); shorten descriptions or switch tools off.`,
    });
  return { tools: checks, list, count: tools.length, bytes };
}

/** The worst level among findings: 'failure', 'warning' or 'pass'. */
export function worstFinding(findings: readonly ToolFinding[]): 'pass' | 'warning' | 'failure' {
  if (findings.some((f) => f.level === 'failure')) return 'failure';
  return findings.length > 0 ? 'warning' : 'pass';
}
