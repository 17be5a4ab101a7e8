import type { ActivityEvent } from '../../../preload/contract';

export interface ActivityFilters {
  upstream: string;
  tool: string;
  client: string;
  outcome: string;
  text: string;
}

export const NO_FILTERS: ActivityFilters = { upstream: '', tool: '', client: '', outcome: '', text: '' };

export function clientLabel(e: ActivityEvent): string {
  return e.client?.name ?? e.client?.id ?? '';
}

const haystacks = new WeakMap<ActivityEvent, string>();

/** Everything free-text search looks at, lower-cased once per event and kept. */
function haystack(e: ActivityEvent): string {
  let h = haystacks.get(e);
  if (h === undefined) {
    let payload = '';
    try {
      payload = JSON.stringify([e.request, e.response]) ?? '';
    } catch {
      payload = '';
    }
    h = [e.method, e.target, e.upstream, clientLabel(e), e.client?.id, e.outcome, e.error?.message, payload]
      .join('\u0000')
      .toLowerCase();
    haystacks.set(e, h);
  }
  return h;
}

/** A predicate for the current filters; empty fields match everything. */
export function makeMatcher(f: ActivityFilters): (e: ActivityEvent) => boolean {
  const tool = f.tool.trim().toLowerCase();
  const text = f.text.trim().toLowerCase();
  return (e) =>
    (f.upstream === '' || e.upstream === f.upstream) &&
    (f.client === '' || clientLabel(e) === f.client) &&
    (f.outcome === '' || e.outcome === f.outcome) &&
    (tool === '' || (e.target ?? '').toLowerCase().includes(tool)) &&
    (text === '' || haystack(e).includes(text));
}

export function filtersActive(f: ActivityFilters): boolean {
  return Object.values(f).some((v) => v.trim() !== '');
}
