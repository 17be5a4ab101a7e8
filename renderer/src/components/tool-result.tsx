import type { ToolCallResult } from '../../../preload/contract';
import { formatDuration, prettyJson } from '../lib/format';

type Block = Record<string, unknown>;

const IMAGE_MIME = /^image\/(png|jpeg|gif|webp|svg\+xml|bmp|avif)$/;

/** One content block: text as text, an image as an image (never its base64), the rest summed up. */
function ContentBlock({ block }: { block: Block }) {
  const type = block.type;
  if (type === 'text' && typeof block.text === 'string')
    return <pre className="result-text">{block.text}</pre>;
  if (type === 'image' && typeof block.data === 'string' && typeof block.mimeType === 'string') {
    if (!IMAGE_MIME.test(block.mimeType))
      return <p className="muted small">Image of type {block.mimeType} (not shown).</p>;
    return (
      <figure className="result-image">
        <img
          src={`data:${block.mimeType};base64,${block.data}`}
          alt={`Image returned by the tool (${block.mimeType})`}
        />
        <figcaption className="muted small">
          {block.mimeType}, {Math.round((block.data.length * 3) / 4 / 1024)} KB
        </figcaption>
      </figure>
    );
  }
  if (type === 'audio' && typeof block.mimeType === 'string')
    return <p className="muted small">Audio ({block.mimeType}); export the call from Activity to keep it.</p>;
  if (type === 'resource_link' || type === 'resource') {
    const r = (type === 'resource' ? block.resource : block) as Block | undefined;
    return (
      <div className="result-resource">
        <span className="pill tone-info">{type === 'resource' ? 'Resource' : 'Link'}</span>{' '}
        <code>{String(r?.uri ?? '')}</code>
        {typeof r?.text === 'string' && <pre className="result-text">{r.text}</pre>}
      </div>
    );
  }
  return <pre className="json">{prettyJson(block)}</pre>;
}

/** What a tool call returned: its content rendered, its structured content, and whether it failed. */
export function ToolResult({ value }: { value: ToolCallResult }) {
  if (value.error) {
    return (
      <div className="result" data-testid="tool-result" data-outcome="error">
        <div className="result-head">
          <span className="outcome outcome-error">error</span>
          <span className="muted small">{formatDuration(value.durationMs)}</span>
        </div>
        <div className="detail-error" role="note">
          <span className="mono">[{value.error.code}] </span>
          {value.error.message}
        </div>
      </div>
    );
  }
  const r = value.result ?? {};
  const isError = r.isError === true;
  const content = Array.isArray(r.content) ? (r.content as Block[]) : [];
  return (
    <div className="result" data-testid="tool-result" data-outcome={isError ? 'tool_error' : 'ok'}>
      <div className="result-head">
        <span className={`outcome outcome-${isError ? 'tool_error' : 'ok'}`}>
          {isError ? 'tool error' : 'ok'}
        </span>
        <span className="muted small">{formatDuration(value.durationMs)}</span>
        {isError && <span className="text-bad small">The tool reported an error (isError: true).</span>}
      </div>
      {content.map((b, i) => (
        <ContentBlock key={i} block={b} />
      ))}
      {content.length === 0 && <p className="muted small">No content blocks.</p>}
      {r.structuredContent !== undefined && (
        <>
          <h3>Structured content</h3>
          <pre className="json" data-testid="structured-content">
            {prettyJson(r.structuredContent)}
          </pre>
        </>
      )}
    </div>
  );
}
