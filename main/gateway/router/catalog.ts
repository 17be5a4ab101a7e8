import { applyHintOverride, hintOverrideFor } from '../../config/annotation-overrides.js';
import type { HintOverride } from '../../config/schema.js';
import { shareJson } from '../../common/json-text.js';
import type { ProtocolEra, RawObject, Upstream } from '../upstream/types.js';
import { createNameFilter, disambiguate, joinName, toValidName } from './names.js';
import { uriTemplateToRegExp } from './uri-template.js';

/** One upstream as the router sees it: its connection plus the user's settings for it. */
export interface ServerView {
  name: string;
  upstream: Upstream;
  /** `prefix__name`; "" = no prefix. */
  prefix: string;
  allow?: readonly string[];
  deny?: readonly string[];
  /** Upstream tool names the owner marks safe for read-only clients. */
  readOnly?: readonly string[];
  /** The owner's hint overrides (upstream tool name or glob -> hints), applied on the raw object. */
  annotations?: Readonly<Record<string, HintOverride>>;
}

export interface NamedEntry {
  exposed: string;
  upstream: string;
  /** Name at the upstream. */
  name: string;
  /** The upstream's raw object with only `name` replaced. */
  object: RawObject;
}
export interface ToolEntry extends NamedEntry {
  readOnly: boolean;
}
export interface TemplateEntry {
  upstream: string;
  re: RegExp;
}

/** The merged view of every ready upstream, rebuilt when anything changes. */
export interface Catalog {
  tools: Map<string, ToolEntry>;
  toolList: RawObject[];
  readOnlyToolList: RawObject[];
  prompts: Map<string, NamedEntry>;
  promptList: RawObject[];
  resources: Map<string, string>;
  resourceList: RawObject[];
  templates: TemplateEntry[];
  templateList: RawObject[];
  /**
   * The list methods' results, built once per catalog and shared by every answer until it rebuilds
   * (json-text.ts: serialised once). `readOnlyTools` is what a read-only grant gets from tools/list.
   */
  results: {
    tools: RawObject;
    readOnlyTools: RawObject;
    prompts: RawObject;
    resources: RawObject;
    resourceTemplates: RawObject;
  };
  /** Cheap identity of each list, to tell clients only about lists that really changed. */
  fingerprints: { tools: string; prompts: string; resources: string };
  /** Per server: collisions and renames, in words. */
  warnings: Map<string, string[]>;
}

function renamed(object: RawObject, exposed: string): RawObject {
  // Raw pass-through (PROTOCOL.md): copy the upstream's object as sent, change only `name`.
  return object['name'] === exposed ? object : { ...object, name: exposed };
}

function isReadOnlyHint(tool: RawObject): boolean {
  const annotations = tool['annotations'];
  return (
    typeof annotations === 'object' &&
    annotations !== null &&
    (annotations as RawObject)['readOnlyHint'] === true
  );
}

/**
 * Builds the merged view; `servers` is in config order, which decides who keeps a contested name.
 * `era`: the lists as each upstream shows clients of that protocol era.
 */
export function buildCatalog(servers: readonly ServerView[], era: ProtocolEra = 'session'): Catalog {
  const cat: Catalog = {
    tools: new Map(),
    toolList: [],
    readOnlyToolList: [],
    prompts: new Map(),
    promptList: [],
    resources: new Map(),
    resourceList: [],
    templates: [],
    templateList: [],
    results: { tools: {}, readOnlyTools: {}, prompts: {}, resources: {}, resourceTemplates: {} },
    fingerprints: { tools: '', prompts: '', resources: '' },
    warnings: new Map(),
  };
  const warn = (server: string, text: string): void => {
    const list = cat.warnings.get(server) ?? [];
    list.push(text);
    cat.warnings.set(server, list);
  };

  const place = <E extends NamedEntry>(
    map: Map<string, E>,
    kind: string,
    sv: ServerView,
    name: string,
    make: (exposed: string) => E,
  ): E => {
    const wanted = joinName(sv.prefix, name);
    let exposed = toValidName(wanted);
    if (exposed !== wanted)
      warn(sv.name, `${kind} '${name}' is exposed as '${exposed}' (names must match ^[a-zA-Z0-9_-]{1,64}$)`);
    const holder = map.get(exposed);
    if (holder !== undefined) {
      const alt = disambiguate(sv.name, exposed);
      warn(
        sv.name,
        `${kind} name '${exposed}' is already used by server '${holder.upstream}' (listed earlier); this server's '${name}' is exposed as '${alt}'. Set a different "prefix" to choose the name.`,
      );
      exposed = alt;
    }
    const entry = make(exposed);
    map.set(exposed, entry);
    return entry;
  };

  for (const sv of servers) {
    if (sv.upstream.state().status !== 'ready') continue;
    const allowed = createNameFilter(sv.allow, sv.deny);
    const readOnlyNames = createNameFilter(sv.readOnly ?? [], undefined);
    const hasReadOnlyList = (sv.readOnly?.length ?? 0) > 0;
    for (const tool of sv.upstream.tools(era)) {
      const name = tool['name'];
      if (typeof name !== 'string' || !allowed(name)) continue;
      // The gateway does not relay tasks (tasks/get, tasks/result, ... would reach no upstream), so a
      // tool that can only run as a task cannot be called through it (tools spec, execution.taskSupport).
      if ((tool['execution'] as RawObject | undefined)?.['taskSupport'] === 'required') {
        warn(
          sv.name,
          `tool '${name}' is hidden: it runs only as a task, and the gateway does not relay tasks`,
        );
        continue;
      }
      // Only the hint fields the owner set change (config `annotations`); the rest stays raw.
      const shown = applyHintOverride(tool, hintOverrideFor(sv.annotations, name)).tool;
      const readOnly = isReadOnlyHint(shown) || (hasReadOnlyList && readOnlyNames(name));
      const entry = place(cat.tools, 'tool', sv, name, (exposed) => ({
        exposed,
        upstream: sv.name,
        name,
        object: renamed(shown, exposed),
        readOnly,
      }));
      cat.toolList.push(entry.object);
      if (readOnly) cat.readOnlyToolList.push(entry.object);
    }
    for (const prompt of sv.upstream.prompts(era)) {
      const name = prompt['name'];
      if (typeof name !== 'string') continue;
      const entry = place(cat.prompts, 'prompt', sv, name, (exposed) => ({
        exposed,
        upstream: sv.name,
        name,
        object: renamed(prompt, exposed),
      }));
      cat.promptList.push(entry.object);
    }
    for (const resource of sv.upstream.resources(era)) {
      const uri = resource['uri'];
      if (typeof uri !== 'string') continue;
      const owner = cat.resources.get(uri);
      if (owner !== undefined) {
        warn(
          sv.name,
          `resource '${uri}' is also offered by server '${owner}' (listed earlier), which serves it`,
        );
        continue;
      }
      cat.resources.set(uri, sv.name);
      cat.resourceList.push(resource);
    }
    for (const template of sv.upstream.resourceTemplates(era)) {
      const uriTemplate = template['uriTemplate'];
      if (typeof uriTemplate !== 'string') continue;
      cat.templates.push({ upstream: sv.name, re: uriTemplateToRegExp(uriTemplate) });
      cat.templateList.push(template);
    }
  }
  const tools = JSON.stringify(cat.toolList);
  const prompts = JSON.stringify(cat.promptList);
  cat.fingerprints = {
    tools,
    prompts,
    resources: JSON.stringify([cat.resourceList, cat.templateList]),
  };
  // The fingerprints are the lists' JSON already: they seed the shared texts.
  cat.results = {
    tools: shareJson({ tools: shareJson(cat.toolList, tools) }, `{"tools":${tools}}`),
    readOnlyTools: shareJson({ tools: shareJson(cat.readOnlyToolList) }),
    prompts: shareJson({ prompts: shareJson(cat.promptList, prompts) }, `{"prompts":${prompts}}`),
    resources: shareJson({ resources: shareJson(cat.resourceList) }),
    resourceTemplates: shareJson({ resourceTemplates: shareJson(cat.templateList) }),
  };
  return cat;
}

/** The upstream that owns a resource URI: listed first, then by template. */
export function resourceOwner(cat: Catalog, uri: string): string | undefined {
  return cat.resources.get(uri) ?? cat.templates.find((t) => t.re.test(uri))?.upstream;
}
