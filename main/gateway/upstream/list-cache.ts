import { UpstreamError, UPSTREAM_ERROR, type RawObject } from './types.js';

export type ListKind = 'tools' | 'prompts' | 'resources' | 'resourceTemplates';

/** Method and result field of each list (spec: Server features, "Listing ..."). */
const LIST_METHODS: Record<ListKind, { method: string; field: string }> = {
  tools: { method: 'tools/list', field: 'tools' },
  prompts: { method: 'prompts/list', field: 'prompts' },
  resources: { method: 'resources/list', field: 'resources' },
  resourceTemplates: { method: 'resources/templates/list', field: 'resourceTemplates' },
};

type Requester = (method: string, params: RawObject | undefined) => Promise<RawObject>;

/** Upper bound on pages, so a server that repeats cursors forever cannot hold us. */
const MAX_PAGES = 1000;

/**
 * Fetches every page of one list (spec: Utilities/Pagination: follow `nextCursor` until absent).
 * Items are kept exactly as received. A server without the method (-32601) has an empty list.
 */
export async function fetchAllPages(request: Requester, kind: ListKind): Promise<RawObject[]> {
  const { method, field } = LIST_METHODS[kind];
  const items: RawObject[] = [];
  const seen = new Set<string>();
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    let result: RawObject;
    try {
      result = await request(method, cursor === undefined ? undefined : { cursor });
    } catch (err) {
      if (err instanceof UpstreamError && err.code === UPSTREAM_ERROR.methodNotFound) return items;
      throw err;
    }
    const list = result[field];
    if (Array.isArray(list)) {
      for (const item of list)
        if (item !== null && typeof item === 'object' && !Array.isArray(item)) items.push(item as RawObject);
    }
    const next = result.nextCursor;
    if (typeof next !== 'string' || next === '' || seen.has(next)) return items;
    seen.add(next);
    cursor = next;
  }
  return items;
}

/**
 * The four lists of one upstream. A refetch asked for while one runs is queued (once), so a burst of
 * list_changed notifications ends with one fresh list and no overlapping fetches.
 */
export class ListCache {
  private readonly lists: Record<ListKind, RawObject[]> = {
    tools: [],
    prompts: [],
    resources: [],
    resourceTemplates: [],
  };
  private readonly running = new Map<ListKind, Promise<void>>();
  private readonly again = new Set<ListKind>();

  constructor(private readonly request: Requester) {}

  get(kind: ListKind): readonly RawObject[] {
    return this.lists[kind];
  }

  clear(): void {
    for (const k of Object.keys(this.lists) as ListKind[]) this.lists[k] = [];
  }

  /** Fetches `kind` now, or once more after the running fetch. Resolves when the list is fresh. */
  refresh(kind: ListKind): Promise<void> {
    const current = this.running.get(kind);
    if (current) {
      this.again.add(kind);
      return current;
    }
    const run = (async () => {
      try {
        do {
          this.again.delete(kind);
          this.lists[kind] = await fetchAllPages(this.request, kind);
        } while (this.again.has(kind));
      } finally {
        this.running.delete(kind);
      }
    })();
    this.running.set(kind, run);
    return run;
  }
}

/** The lists a server's capabilities promise. */
export function kindsOf(caps: RawObject | undefined): ListKind[] {
  const kinds: ListKind[] = [];
  if (caps?.tools) kinds.push('tools');
  if (caps?.prompts) kinds.push('prompts');
  if (caps?.resources) kinds.push('resources', 'resourceTemplates');
  return kinds;
}
