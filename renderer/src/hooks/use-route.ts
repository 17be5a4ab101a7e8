import { useEffect, useState } from 'react';

const ROUTES = ['connect', 'servers', 'playground', 'activity', 'approvals', 'settings'] as const;
export type Route = (typeof ROUTES)[number];

function current(): Route {
  // The first segment names the page; the rest is the page's own (#/playground/<tool>).
  const name = window.location.hash.replace(/^#\/?/, '').split('/')[0] ?? '';
  return (ROUTES as readonly string[]).includes(name) ? (name as Route) : 'connect';
}

/** Hash routes (#/servers): they work the same from file:// in Electron and over HTTP. */
export function useRoute(): Route {
  const [route, setRoute] = useState<Route>(current);
  useEffect(() => {
    const on = () => setRoute(current());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}
