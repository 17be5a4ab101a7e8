/**
 * DNS-rebinding protection (MCP transports spec, "Security Warning"; PROTOCOL.md): the Host header
 * must name this listener on loopback or the current public (tunnel) host; a browser Origin must be
 * a known MCP client, a loopback page, or the public origin itself. A missing Origin is a non-browser
 * client and is allowed.
 */
export function createHostOriginPolicy(getPort: () => number) {
  let publicOrigin: string | null = null;
  let publicHost: string | null = null;
  const clientOrigins = new Set([
    'https://chatgpt.com',
    'https://chat.openai.com',
    'https://claude.ai',
    'https://claude.com',
  ]);
  // The loopback Host names, made once per port (the port is known only after listen), not per request.
  let loopbackPort = -1;
  let loopbackHosts: readonly string[] = [];
  const isLoopback = (lowerHost: string): boolean => {
    const port = getPort();
    if (port !== loopbackPort) {
      loopbackPort = port;
      loopbackHosts = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
    }
    return loopbackHosts.includes(lowerHost);
  };

  return {
    setPublicOrigin(origin: string | null): void {
      if (origin === null) {
        publicOrigin = publicHost = null;
        return;
      }
      if (!URL.canParse(origin))
        throw new Error(
          `public origin: not a URL (got '${origin}'); expected e.g. https://name.trycloudflare.com`,
        );
      const url = new URL(origin);
      publicOrigin = url.origin;
      publicHost = url.host.toLowerCase();
    },
    publicHost: (): string | null => publicHost,
    /** True when the Host is one of the loopback names of this listener. */
    isLoopbackHost(host: string | undefined): boolean {
      return host !== undefined && isLoopback(host.toLowerCase());
    },
    hostAllowed(host: string | undefined): boolean {
      if (host === undefined) return false;
      const h = host.toLowerCase();
      return isLoopback(h) || (publicHost !== null && h === publicHost);
    },
    originAllowed(origin: string | undefined): boolean {
      if (origin === undefined) return true;
      if (clientOrigins.has(origin) || origin === publicOrigin) return true;
      // Loopback pages (the dashboard, a local inspector) on any port.
      return /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/i.test(origin);
    },
  };
}
export type HostOriginPolicy = ReturnType<typeof createHostOriginPolicy>;
