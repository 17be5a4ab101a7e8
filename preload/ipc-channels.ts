/**
 * IPC channel names, shared by main (ipc.ts) and the preload (bundled into dist/preload/index.cjs).
 * No Electron import here, so the preload bundle stays small.
 */
import type { API_EVENTS, API_METHODS } from './contract.js';

export type ApiMethod = (typeof API_METHODS)[number];
export type ApiEvent = (typeof API_EVENTS)[number];

/** Channel of an invoke (request/response) call for one API method. */
export function invokeChannel(method: ApiMethod): string {
  return `tunnelgate:invoke:${method}`;
}

/** Channel on which main pushes one kind of event to our windows. */
export function eventChannel(event: ApiEvent): string {
  return `tunnelgate:event:${event}`;
}
