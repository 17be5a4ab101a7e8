/**
 * What the Servers page lists beside the tools: a server's prompts, resources and resource
 * templates, from the raw objects of its last lists (spec 2025-11-25: Server Features/Prompts and
 * Resources). Objects without the fields the spec requires are left out rather than shown broken.
 */
import type { RawObject } from '../gateway/upstream/types.js';
import type { PromptView, ResourceTemplateView, ResourceView } from '../../preload/contract.js';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** title, description and mimeType when they are strings (BaseMetadata, Resource). */
function extras(raw: RawObject, mime: boolean): { title?: string; description?: string; mimeType?: string } {
  const out: { title?: string; description?: string; mimeType?: string } = {};
  const title = str(raw.title);
  const description = str(raw.description);
  const mimeType = mime ? str(raw.mimeType) : undefined;
  if (title) out.title = title;
  if (description) out.description = description;
  if (mimeType) out.mimeType = mimeType;
  return out;
}

export function promptViews(raws: readonly RawObject[]): PromptView[] {
  const out: PromptView[] = [];
  for (const raw of raws) {
    const name = str(raw.name);
    if (!name) continue;
    const args = Array.isArray(raw.arguments) ? (raw.arguments as unknown[]) : [];
    out.push({
      name,
      ...extras(raw, false),
      arguments: args.flatMap((a) => {
        const arg = (a ?? {}) as RawObject;
        const argName = str(arg.name);
        if (!argName) return [];
        const description = str(arg.description);
        return [{ name: argName, ...(description ? { description } : {}), required: arg.required === true }];
      }),
    });
  }
  return out;
}

export function resourceViews(raws: readonly RawObject[]): ResourceView[] {
  return raws.flatMap((raw) => {
    const uri = str(raw.uri);
    if (!uri) return [];
    return [{ uri, name: str(raw.name) ?? uri, ...extras(raw, true) }];
  });
}

export function resourceTemplateViews(raws: readonly RawObject[]): ResourceTemplateView[] {
  return raws.flatMap((raw) => {
    const uriTemplate = str(raw.uriTemplate);
    if (!uriTemplate) return [];
    return [{ uriTemplate, name: str(raw.name) ?? uriTemplate, ...extras(raw, true) }];
  });
}
