import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { ErrorBanner } from '../components/bits';
import { useAction } from '../hooks/use-action';

type Kind = 'stdio' | 'remote';

export interface EditorTarget {
  name: string;
  config: Record<string, unknown>;
}

function lines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/** "KEY=value" (env) or "Name: value" (headers) lines into an object; names the bad line. */
function pairs(text: string, sep: '=' | ':', field: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const line of lines(text)) {
    const at = line.indexOf(sep);
    if (at <= 0)
      throw new Error(
        `${field}: "${line}" is not in the form ${sep === '=' ? 'NAME=value' : 'Name: value'}.`,
      );
    out[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return Object.keys(out).length ? out : undefined;
}

function pairsText(obj: unknown, sep: string): string {
  if (!obj || typeof obj !== 'object') return '';
  return Object.entries(obj as Record<string, string>)
    .map(([k, v]) => `${k}${sep}${v}`)
    .join('\n');
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Add or edit one server: a local program (command, arguments, environment) or a remote URL. */
export function ServerEditor({
  target,
  onDone,
}: {
  target: EditorTarget | null;
  onDone(saved: boolean): void;
}) {
  const existing = target?.config ?? {};
  const [name, setName] = useState(target?.name ?? '');
  const [kind, setKind] = useState<Kind>(target && 'url' in existing ? 'remote' : 'stdio');
  const [command, setCommand] = useState(str(existing.command));
  const [args, setArgs] = useState(
    Array.isArray(existing.args) ? (existing.args as string[]).join('\n') : '',
  );
  const [env, setEnv] = useState(pairsText(existing.env, '='));
  const [url, setUrl] = useState(str(existing.url));
  const [type, setType] = useState(existing.type === 'sse' ? 'sse' : 'http');
  const [headers, setHeaders] = useState(pairsText(existing.headers, ': '));
  const [prefix, setPrefix] = useState(str(existing.prefix));
  const action = useAction();

  function build(): Record<string, unknown> {
    // Keep what this form does not edit (tool filters, enabled, timeouts, cwd, oauth).
    const keep: Record<string, unknown> = {};
    for (const k of ['enabled', 'tools', 'timeoutMs', 'cwd', 'oauth'])
      if (existing[k] !== undefined) keep[k] = existing[k];
    if (kind === 'stdio') {
      delete keep.oauth;
      const cfg: Record<string, unknown> = { ...keep, command: command.trim() };
      const a = lines(args);
      if (a.length) cfg.args = a;
      const e = pairs(env, '=', 'Environment');
      if (e) cfg.env = e;
      if (prefix.trim() !== '' || existing.prefix !== undefined) cfg.prefix = prefix.trim();
      return cfg;
    }
    delete keep.cwd;
    const cfg: Record<string, unknown> = { ...keep, type, url: url.trim() };
    const h = pairs(headers, ':', 'Headers');
    if (h) cfg.headers = h;
    if (prefix.trim() !== '' || existing.prefix !== undefined) cfg.prefix = prefix.trim();
    return cfg;
  }

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      if (name.trim() === '') throw new Error('Name: give the server a short name, e.g. "github".');
      await api().saveServer(name.trim(), build());
      onDone(true);
    });
  };

  return (
    <form
      className="card editor"
      onSubmit={submit}
      aria-label={target ? `Edit ${target.name}` : 'Add a server'}
    >
      <h2>{target ? `Edit ${target.name}` : 'Add a server'}</h2>
      <ErrorBanner message={action.error} onDismiss={action.clearError} />
      <div className="form-grid">
        <label htmlFor="srv-name">Name</label>
        <input
          id="srv-name"
          value={name}
          disabled={!!target}
          onChange={(e) => setName(e.target.value)}
          placeholder="github"
          autoComplete="off"
        />

        <span className="form-label">Kind</span>
        <div className="segmented" role="radiogroup" aria-label="Kind">
          <label className={kind === 'stdio' ? 'is-on' : ''}>
            <input type="radio" name="kind" checked={kind === 'stdio'} onChange={() => setKind('stdio')} />{' '}
            Local program
          </label>
          <label className={kind === 'remote' ? 'is-on' : ''}>
            <input type="radio" name="kind" checked={kind === 'remote'} onChange={() => setKind('remote')} />{' '}
            Remote URL
          </label>
        </div>

        {kind === 'stdio' ? (
          <>
            <label htmlFor="srv-command">Command</label>
            <input
              id="srv-command"
              value={command}
              onChange={(e) => setCommand(e.target.value)}
              placeholder="npx"
              autoComplete="off"
              spellCheck={false}
            />
            <label htmlFor="srv-args">Arguments</label>
            <textarea
              id="srv-args"
              rows={3}
              value={args}
              onChange={(e) => setArgs(e.target.value)}
              placeholder={'-y\n@modelcontextprotocol/server-memory'}
              spellCheck={false}
            />
            <label htmlFor="srv-env">Environment</label>
            <textarea
              id="srv-env"
              rows={2}
              value={env}
              onChange={(e) => setEnv(e.target.value)}
              placeholder="GITHUB_TOKEN=${secret:github}"
              spellCheck={false}
            />
          </>
        ) : (
          <>
            <label htmlFor="srv-url">URL</label>
            <input
              id="srv-url"
              value={url}
              onChange={(e) => setUrl(e.target.value)}
              placeholder="https://mcp.example.com/mcp"
              autoComplete="off"
              spellCheck={false}
            />
            <label htmlFor="srv-type">Transport</label>
            <select id="srv-type" value={type} onChange={(e) => setType(e.target.value)}>
              <option value="http">Streamable HTTP</option>
              <option value="sse">HTTP + SSE (legacy)</option>
            </select>
            <label htmlFor="srv-headers">Headers</label>
            <textarea
              id="srv-headers"
              rows={2}
              value={headers}
              onChange={(e) => setHeaders(e.target.value)}
              placeholder="Authorization: Bearer ${secret:linear}"
              spellCheck={false}
            />
          </>
        )}
        <label htmlFor="srv-prefix">Tool prefix</label>
        <input
          id="srv-prefix"
          value={prefix}
          onChange={(e) => setPrefix(e.target.value)}
          placeholder={name ? `${name} (default)` : 'the server name (default)'}
          autoComplete="off"
        />
      </div>
      <p className="hint">
        One argument per line. Never paste a token here: store it below under <em>Secrets</em> and refer to it
        as <code>{'${secret:NAME}'}</code>.
      </p>
      <div className="button-row">
        <button type="submit" className="btn btn-primary" disabled={action.busy}>
          {action.busy ? 'Saving…' : target ? 'Save changes' : 'Add server'}
        </button>
        <button type="button" className="btn" onClick={() => onDone(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
