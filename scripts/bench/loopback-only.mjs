// Preloaded (--import) into a peer that listens on a port without naming a host (supergateway):
// it then binds 127.0.0.1 only, so the bench never opens a port beyond loopback.
import { Server } from 'node:net';

const listen = Server.prototype.listen;
Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' && (args.length === 1 || typeof args[1] === 'function'))
    args.splice(1, 0, '127.0.0.1');
  return listen.apply(this, args);
};
