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
      {resources.length > 0 && (
        <>
          <h4 className="cap-title">Resources</h4>
          <ul className="cap-list" aria-label="Resources">
            {resources.map((r) => (
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
      )}
      {templates.length > 0 && (
        <>
          <h4 className="cap-title">Resource templates</h4>
          <ul className="cap-list" aria-label="Resource templates">
            {templates.map((t) => (
              <li key={t.uriTemplate}>
                <div className="cap-head">
                  <span className="cap-name">{t.title ?? t.name}</span>
                  {t.mimeType && <span className="pill pill-small tone-off">{t.mimeType}</span>}
                </div>
                <code className="cap-uri small">{t.uriTemplate}</code>
                {t.description && <div className="muted small cap-desc">{t.description}</div>}
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
