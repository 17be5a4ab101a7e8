/**
 * node:http's values, taken without an ESM import (issue 16). Node 22's http module exports
 * WebSocket, CloseEvent and MessageEvent as lazy getters; `import ... from 'node:http'` builds the
 * module's ESM namespace from every export, which calls those getters and so loads undici (fetch's
 * client, and with it assert, tls, http2, zlib, worker_threads and the web streams) in a process
 * that uses none of them: some 70 ms of `serve`'s startup CPU and 4.6 MiB of its idle RSS once no
 * module of serve imports node:http that way (measured with `npm run bench:idle`).
 * process.getBuiltinModule returns the CommonJS exports as they are. Types: `import type` as usual.
 */
export const { createServer, Agent, request } = process.getBuiltinModule('node:http');
