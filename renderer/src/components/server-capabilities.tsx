import type { PromptView, ResourceTemplateView, ResourceView } from '../../../preload/contract';

/** The prompts a server offers, with their arguments (required ones marked). */
export function PromptList({ prompts }: { prompts: PromptView[] }) {
  return (
    <ul className="cap-list" aria-label="Prompts">
      {prompts.map((p) => (
        <li key={p.name}>
          <div className="cap-head">
            <code className="cap-name">{p.name}</code>
            {p.title && p.title !== p.name && <span className="small">{p.title}</span>}
          </div>
          {p.description && <div className="muted small cap-desc">{p.description}</div>}
          {p.arguments.length > 0 && (
            <div className="cap-args small">
              {p.arguments.map((a) => (
                <span key={a.name} className="cap-arg" title={a.description}>
                  <code>{a.name}</code>
                  {a.required ? <span className="cap-required">required</span> : null}
                </span>
              ))}
            </div>
          )}
        </li>
      ))}
    </ul>
  );
}

interface UriItem {
  /** The resource's URI, or the template's URI template. */
  uri: string;
  name: string;
  title?: string;
  description?: string;
  mimeType?: string;
}

/** One titled list of resources or of templates. */
function UriList({ title, items }: { title: string; items: UriItem[] }) {
  if (items.length === 0) return null;
  return (
    <>
      <h4 className="cap-title">{title}</h4>
      <ul className="cap-list" aria-label={title}>
        {items.map((r) => (
          <li key={r.uri}>
            <div className="cap-head">
              <span className="cap-name">{r.title ?? r.name}</span>
              {r.mimeType && <span className="pill pill-small tone-off">{r.mimeType}</span>}
            </div>
            <code className="cap-uri small">{r.uri}</code>
            {r.description && <div className="muted small cap-desc">{r.description}</div>}
          </li>
        ))}
      </ul>
    </>
  );
}

/** A server's resources and resource templates (URI, name, MIME type). */
export function ResourceList({
  resources,
  templates,
}: {
  resources: ResourceView[];
  templates: ResourceTemplateView[];
}) {
  return (
    <div className="cap-resources">
      <UriList title="Resources" items={resources} />
      <UriList
        title="Resource templates"
        items={templates.map(({ uriTemplate, ...rest }) => ({ ...rest, uri: uriTemplate }))}
      />
    </div>
  );
}
