import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

type Raw = Record<string, unknown>;

/**
 * A direct, raw JSON-RPC connection to a stdio MCP server (no SDK parsing), for "the gateway
 * forwards exactly what a direct connection sees" comparisons. Server-to-client requests get an
 * empty roots list or a method-not-found error.
 */
export async function directStdio(
  command: string,
  args: string[],
  capabilities: Raw,
  env: Record<string, string> = {},
) {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'ignore'], env: { ...process.env, ...env } });
  const pending = new Map<number, (m: Raw) => void>();
  const notifications: Raw[] = [];
  let seq = 0;
  const send = (m: Raw): void => void child.stdin.write(`${JSON.stringify(m)}\n`);
  createInterface({ input: child.stdout }).on('line', (line) => {
    let m: Raw;
    try {
      m = JSON.parse(line) as Raw;
    } catch {
      return;
    }
    if (typeof m['method'] === 'string' && m['id'] !== undefined) {
      send(
        m['method'] === 'roots/list'
          ? { jsonrpc: '2.0', id: m['id'], result: { roots: [] } }
          : { jsonrpc: '2.0', id: m['id'], error: { code: -32601, message: 'not here' } },
      );
    } else if (typeof m['method'] === 'string') notifications.push(m);
    else pending.get(m['id'] as number)?.(m);
  });
  const request = (method: string, params: Raw = {}): Promise<Raw> =>
    new Promise((resolve, reject) => {
      const id = ++seq;
      const timer = setTimeout(() => reject(new Error(`direct ${method} timed out`)), 20_000);
      pending.set(id, (m) => {
        clearTimeout(timer);
        pending.delete(id);
        if (m['error'] !== undefined) reject(new Error(JSON.stringify(m['error'])));
        else resolve(m['result'] as Raw);
      });
      send({ jsonrpc: '2.0', id, method, params });
    });
  const init = await request('initialize', {
    protocolVersion: '2025-11-25',
    capabilities,
    clientInfo: { name: 'direct', version: '1' },
  });
  send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  return {
    init,
    request,
    notifications,
    close: (): Promise<void> =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}
