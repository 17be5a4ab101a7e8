import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { BuiltinFactory, RawObject } from './types.js';
import type { WireTransport } from './wire-transport.js';

/**
 * Adapts the client end of an in-process transport pair (SDK Transport, e.g. InMemoryTransport) for a
 * builtin server. Messages pass as plain objects: nothing is parsed through SDK schemas on our side.
 */
export function createBuiltinTransport(name: string, factory: BuiltinFactory | undefined): WireTransport {
  let closing = false;
  let link: Awaited<ReturnType<BuiltinFactory>> | undefined;
  const transport: WireTransport = {
    async start() {
      if (!factory)
        throw new Error(
          `Upstream '${name}' is a builtin server, but no builtin named '${name}' is registered.`,
        );
      const made = await factory();
      if (closing) {
        // close() ran while the factory was working: do not leave the new server running.
        await made.close();
        throw new Error(`Upstream '${name}' was stopped while starting`);
      }
      link = made;
      link.onmessage = (m) => transport.onmessage?.(m as unknown as RawObject);
      link.onclose = () => {
        if (!closing) transport.onclose?.('closed its in-process connection');
      };
      link.onerror = () => {};
      await link.start();
    },
    async send(message) {
      if (!link) throw new Error(`Upstream '${name}' is not running`);
      await link.send(message as unknown as JSONRPCMessage);
    },
    async close() {
      closing = true;
      await link?.close();
    },
  };
  return transport;
}
