import type { ToolView } from '../../../preload/contract';

const HINT_LABEL: Record<string, string> = {
  readOnlyHint: 'read-only',
  destructiveHint: 'destructive',
  openWorldHint: 'open world',
};

/** The three review hints of a tool as exposed; the owner's overrides are marked as such. */
function Hints({ tool }: { tool: ToolView }) {
  const hints = tool.hints ?? {};
  const overridden = new Set(tool.overriddenHints ?? []);
  return (
    <span className="tool-hints">
      {(Object.keys(HINT_LABEL) as (keyof NonNullable<ToolView['hints']>)[]).map((h) => {
        const v = hints[h];
        const text = `${HINT_LABEL[h]}: ${v === undefined ? 'not set' : v ? 'yes' : 'no'}`;
        return (
          <span
            key={h}
            className={`hint${v === undefined ? ' is-missing' : ''}${overridden.has(h) ? ' is-overridden' : ''}`}
            title={overridden.has(h) ? `${h} set in the config (annotations), not by the server` : h}
            data-hint={h}
          >
            {text}
            {overridden.has(h) ? ' (overridden)' : ''}
          </span>
        );
      })}
    </span>
  );
}

/** What ChatGPT would object to in one tool, with the hints it sees. */
export function ToolFindings({ tool }: { tool: ToolView }) {
  const findings = tool.findings ?? [];
  return (
    <div className="tool-checks" data-testid="tool-checks">
      <Hints tool={tool} />
      {findings.length > 0 && (
        <ul className="findings">
          {findings.map((f) => (
            <li key={f.code + f.message} className={`finding is-${f.level}`} data-code={f.code}>
              <span className={`pill pill-small tone-${f.level === 'failure' ? 'bad' : 'warn'}`}>
                {f.level === 'failure' ? 'ChatGPT refuses' : 'warning'}
              </span>{' '}
              {f.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** How many exposed tools of a server ChatGPT would object to. */
export function findingsSummary(tools: readonly ToolView[]): { failures: number; warnings: number } {
  let failures = 0;
  let warnings = 0;
  for (const t of tools) {
    if (!t.enabled || t.hidden) continue;
    const f = t.findings ?? [];
    if (f.some((x) => x.level === 'failure')) failures++;
    else if (f.length > 0) warnings++;
  }
  return { failures, warnings };
}
