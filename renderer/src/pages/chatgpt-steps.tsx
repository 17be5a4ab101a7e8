import type { AppStatus } from '../../../preload/contract';

/**
 * The "Add it in ChatGPT" card. ChatGPT can only reach a public URL: a gateway that cannot go public
 * (started without a tunnel) shows how to go public instead of steps that would fail at "paste the
 * connector URL".
 */
export function ChatGptSteps({
  authMode,
  localOnly,
}: {
  authMode: AppStatus['gateway']['authMode'];
  localOnly: boolean;
}) {
  if (localOnly) {
    return (
      <div className="card">
        <h2>Add it in ChatGPT</h2>
        <p data-testid="chatgpt-go-public-hint">
          ChatGPT can only reach a public URL, and this gateway serves this computer only. To go public,
          restart <code>tunnelgate serve</code> without <code>--no-tunnel</code>; the steps to add it in
          ChatGPT then show here.
        </p>
      </div>
    );
  }
  return (
    <div className="card">
      <h2>Add it in ChatGPT</h2>
      <ol className="steps" data-testid="chatgpt-steps">
        <li>
          In ChatGPT, open <strong>Settings → Security and login</strong> and turn on{' '}
          <strong>Developer mode</strong>.
        </li>
        <li>
          Open <strong>Plugins</strong> (chatgpt.com/plugins), then <strong>+</strong> →{' '}
          <strong>Add custom MCP server</strong>.
        </li>
        <li>
          Give it a name and paste the connector URL as the <strong>Server URL</strong>.
        </li>
        <li>
          {authMode === 'oauth' ? (
            <>
              Choose <strong>OAuth</strong> as authentication, accept the risk warning, and click{' '}
              <strong>Create as a plugin</strong>. Then approve the request on the{' '}
              <a href="#/approvals">Approvals</a> page (check that the pairing code matches).
            </>
          ) : (
            <>
              Choose <strong>No authentication</strong>, accept the risk warning, and click{' '}
              <strong>Create as a plugin</strong>.
            </>
          )}
        </li>
        <li>Install the plugin, then @-mention it in a chat and ask for something your servers can do.</li>
      </ol>
      <p className="muted">
        ChatGPT keeps a snapshot of the tool list: after you change servers or tools here, press{' '}
        <strong>Refresh</strong> in the plugin&apos;s settings in ChatGPT.
      </p>
      <p className="muted">
        Older ChatGPT: Settings → Apps &amp; Connectors → Advanced settings → Developer mode → Create.
      </p>
    </div>
  );
}
