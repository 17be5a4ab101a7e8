import { useEffect, useMemo, useState, type FormEvent } from 'react';
import type { ServerView, ToolCallResult, ToolView } from '../../../preload/contract';
import { api } from '../api';
import { EmptyState, ErrorBanner, Loading, PageHeader } from '../components/bits';
import { ToolResult } from '../components/tool-result';
import { useAction } from '../hooks/use-action';
import { useLive } from '../hooks/use-live';
import { argumentsOf, fieldsOf, initialValues, valuesOf, type Field } from '../lib/schema-form';

interface Choice {
  server: string;
  tool: ToolView;
}

/** Tools a client can call now: enabled, on a running server. */
function callable(servers: ServerView[] | null): Choice[] {
  const out: Choice[] = [];
  for (const s of servers ?? [])
    if (s.status === 'ready')
      for (const t of s.tools) if (t.enabled && !t.hidden) out.push({ server: s.name, tool: t });
  return out;
}

/** The tool named in the address (#/playground/<exposed name>), if any. */
function toolFromHash(): string {
  const m = /^#\/playground\/(.+)$/.exec(window.location.hash);
  return m ? decodeURIComponent(m[1]!) : '';
}

function FieldInput({ f, value, onChange }: { f: Field; value: string; onChange(v: string): void }) {
  const id = `arg-${f.name}`;
  const label = (
    <label htmlFor={id}>
      {f.title ?? f.name}
      {f.required && <span className="text-bad"> *</span>}
    </label>
  );
  let input;
  if (f.kind === 'boolean')
    input = (
      <input
        id={id}
        type="checkbox"
        checked={value === 'true'}
        onChange={(e) => onChange(String(e.target.checked))}
      />
    );
  else if (f.kind === 'enum')
    input = (
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        {!f.required && <option value="">(not set)</option>}
        {f.options!.map((o) => (
          <option key={o}>{o}</option>
        ))}
      </select>
    );
  else if (f.kind === 'json')
    input = (
      <textarea
        id={id}
        className="mono"
        rows={3}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        placeholder="JSON"
      />
    );
  else
    input = (
      <input
        id={id}
        inputMode={f.kind === 'string' ? undefined : 'decimal'}
        value={value}
        onChange={(e) => onChange(e.target.value)}
      />
    );
  return (
    <>
      {label}
      <div>
        {input}
        {f.description && <p className="hint">{f.description}</p>}
      </div>
    </>
  );
}

/** Pick a tool, fill a form made from its schema (or raw JSON), call it through the gateway. */
export function PlaygroundPage() {
  const servers = useLive(
    () => api().listServers(),
    (l) => api().onServers(l),
  );
  const choices = useMemo(() => callable(servers.data), [servers.data]);
  const [search, setSearch] = useState('');
  const [selected, setSelected] = useState(toolFromHash);
  const choice = choices.find((c) => c.tool.exposedName === selected);
  const fields = useMemo(() => fieldsOf(choice?.tool.inputSchema), [choice]);
  const [values, setValues] = useState<Record<string, string>>({});
  const [raw, setRaw] = useState<string | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const [result, setResult] = useState<ToolCallResult | null>(null);
  const action = useAction();

  useEffect(() => {
    setValues(initialValues(fields));
    setRaw(null);
    setResult(null);
    setFormError(null);
  }, [fields]);
  useEffect(() => {
    if (!selected && choices[0]) setSelected(choices[0].tool.exposedName);
  }, [choices, selected]);

  const q = search.trim().toLowerCase();
  const shown = q
    ? choices.filter((c) =>
        [c.tool.exposedName, c.tool.title, c.tool.description].some((t) => t?.toLowerCase().includes(q)),
      )
    : choices;

  const currentArgs = (): Record<string, unknown> => {
    if (raw === null) return argumentsOf(fields, values);
    const parsed: unknown = JSON.parse(raw === '' ? '{}' : raw);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new Error('The arguments must be one JSON object, like {"name": "value"}.');
    return parsed as Record<string, unknown>;
  };
  const toggleRaw = () => {
    setFormError(null);
    try {
      if (raw === null) setRaw(JSON.stringify(argumentsOf(fields, values, { partial: true }), null, 2));
      else {
        setValues(valuesOf(fields, currentArgs()));
        setRaw(null);
      }
    } catch (err) {
      setFormError((err as Error).message);
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!choice) return;
    let args: Record<string, unknown>;
    try {
      args = currentArgs();
      setFormError(null);
    } catch (err) {
      setFormError((err as Error).message);
      return;
    }
    setResult(null);
    void action.run(async () => setResult(await api().callTool(choice.tool.exposedName, args)));
  };

  return (
    <section className="page" data-testid="playground-page">
      <PageHeader
        title="Playground"
        subtitle="Call any tool through the gateway, as a local client; the call shows in Activity."
      />
      <ErrorBanner message={servers.error ?? action.error} onDismiss={action.clearError} />
      {!servers.data && !servers.error && <Loading what="tools" />}
      {servers.data && choices.length === 0 && (
        <EmptyState title="No tools to call">
          Add a server on the Servers page, or wait until one is running.
        </EmptyState>
      )}
      {choices.length > 0 && (
        <div className="playground">
          <div className="card tool-picker">
            <input
              aria-label="Search tools"
              placeholder="Search tools…"
              value={search}
              onChange={(e) => setSearch(e.target.value)}
            />
            <ul className="tool-choices" aria-label="Tools">
              {shown.map((c) => (
                <li key={c.tool.exposedName}>
                  <button
                    type="button"
                    className={c.tool.exposedName === selected ? 'is-active' : ''}
                    aria-pressed={c.tool.exposedName === selected}
                    onClick={() => setSelected(c.tool.exposedName)}
                  >
                    <span className="mono">{c.tool.exposedName}</span>
                    {c.tool.description && <span className="muted small ellipsis">{c.tool.description}</span>}
                  </button>
                </li>
              ))}
              {shown.length === 0 && <li className="muted small">No tool matches “{search}”.</li>}
            </ul>
          </div>
          {choice && (
            <form className="card" onSubmit={submit} aria-label={`Call ${choice.tool.exposedName}`}>
              <div className="json-head">
                <h2 className="mono">{choice.tool.exposedName}</h2>
                <button
                  type="button"
                  className="btn btn-small btn-quiet"
                  onClick={toggleRaw}
                  aria-pressed={raw !== null}
                >
                  {raw === null ? 'Raw JSON' : 'Form'}
                </button>
              </div>
              {choice.tool.description && <p className="muted">{choice.tool.description}</p>}
              {raw !== null ? (
                <textarea
                  aria-label="Arguments (JSON)"
                  className="mono raw-args"
                  rows={8}
                  value={raw}
                  onChange={(e) => setRaw(e.target.value)}
                  spellCheck={false}
                />
              ) : fields.length > 0 ? (
                <div className="form-grid">
                  {fields.map((f) => (
                    <FieldInput
                      key={f.name}
                      f={f}
                      value={values[f.name] ?? ''}
                      onChange={(v) => setValues({ ...values, [f.name]: v })}
                    />
                  ))}
                </div>
              ) : (
                <p className="muted small">This tool takes no arguments.</p>
              )}
              {formError && (
                <p className="text-bad" role="alert">
                  {formError}
                </p>
              )}
              <div className="button-row">
                <button type="submit" className="btn btn-primary" disabled={action.busy}>
                  {action.busy ? 'Calling…' : 'Call tool'}
                </button>
                {action.busy && <span className="spinner" aria-hidden="true" />}
                <a href="#/activity" className="inline-link">
                  See it in Activity
                </a>
              </div>
              {result && <ToolResult value={result} />}
            </form>
          )}
        </div>
      )}
    </section>
  );
}
