import { useState } from 'react';
import { clientSnippets } from '../lib/snippets';
import { CopyButton } from './copy-button';

/** The local MCP endpoint with a copy button, and an entry for each common client, ready to paste. */
export function ClientSnippets({ url }: { url: string }) {
  const snippets = clientSnippets(url);
  const [id, setId] = useState(snippets[0]!.id);
  const current = snippets.find((s) => s.id === id) ?? snippets[0]!;
  return (
    <div className="card" data-testid="client-snippets">
      <h2>Use it on this computer</h2>
      <p className="muted">
        MCP clients on this computer connect to the local endpoint directly: no tunnel, no approval.
      </p>
      <div className="url-row">
        <code className="url-local" data-testid="snippet-endpoint">
          {url}
        </code>
        <CopyButton text={url} label="Copy endpoint" />
      </div>
      <div className="tabs" role="tablist" aria-label="MCP client">
        {snippets.map((s) => (
          <button
            key={s.id}
            type="button"
            role="tab"
            aria-selected={s.id === current.id}
            className={s.id === current.id ? 'is-active' : ''}
            onClick={() => setId(s.id)}
          >
            {s.client}
          </button>
        ))}
      </div>
      <div role="tabpanel" aria-label={`${current.client} config`}>
        <div className="json-head">
          <span className="muted small">{current.file}</span>
          <CopyButton
            key={current.id}
            text={current.text}
            label={`Copy for ${current.client}`}
            className="btn-small"
          />
        </div>
        <pre className="json" data-testid="snippet-text">
          {current.text}
        </pre>
      </div>
    </div>
  );
}
