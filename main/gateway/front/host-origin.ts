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
      if (host === undefined) return false;
      const port = getPort();
      const h = host.toLowerCase();
      return h === `127.0.0.1:${port}` || h === `localhost:${port}` || h === `[::1]:${port}`;
    },
    hostAllowed(host: string | undefined): boolean {
      if (host === undefined) return false;
      return this.isLoopbackHost(host) || (publicHost !== null && host.toLowerCase() === publicHost);
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
