import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createGateway } from '../../../main/gateway/gateway.js';
import { createUpstreamManager } from '../../../main/gateway/upstream/index.js';
import type { ServerConfig } from '../../../main/config/schema.js';
import { node22 } from '../../helpers/node22.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../../..');
const mcp = (p: string): string => join(root, 'node_modules/@modelcontextprotocol', p);

describe('the Inspector CLI against the gateway', { timeout: 180_000 }, () => {
  const servers: Record<string, ServerConfig> = {
    everything: { command: process.execPath, args: [mcp('server-everything/dist/index.js'), 'stdio'] },
  };
  const manager = createUpstreamManager({});
  const gateway = createGateway({ upstreams: manager, servers });
  let url: string;
  let nodeBin: string;

  before(async () => {
    nodeBin = node22();
    await manager.apply(servers);
    const { port } = await gateway.listen(0);
    url = `http://127.0.0.1:${port}/mcp`;
  });
  after(async () => {
    await gateway.close();
    await manager.close();
  });

  const inspector = async (...args: string[]): Promise<unknown> => {
    // The CLI reads its package.json relative to the working directory, so run it from its build folder.
    const { stdout } = await run(
      nodeBin,
      [mcp('inspector-cli/build/index.js'), url, '--transport', 'http', ...args],
      { cwd: mcp('inspector-cli/build'), timeout: 60_000 },
    );
    return JSON.parse(stdout.slice(stdout.indexOf('{')));
  };

  // Three independent chains of calls, each its own Inspector CLI start, run side by side: the file
  // then waits for two starts in a row instead of six.
  test('Inspector CLI: tools/list, tools/call, resources/read, prompts/get', async () => {
    await Promise.all([
      (async () => {
        const tools = (await inspector('--method', 'tools/list')) as { tools: { name: string }[] };
        assert.ok(tools.tools.some((t) => t.name === 'everything__get-sum'));
        const sum = (await inspector(
          '--method',
          'tools/call',
          '--tool-name',
          'everything__get-sum',
          '--tool-arg',
          'a=19',
          'b=23',
        )) as { content: { text: string }[] };
        assert.match(sum.content[0]!.text, /42/);
      })(),
      (async () => {
        const resources = (await inspector('--method', 'resources/list')) as { resources: { uri: string }[] };
        const uri = resources.resources[0]!.uri;
        const read = (await inspector('--method', 'resources/read', '--uri', uri)) as {
          contents: { uri: string }[];
        };
        assert.equal(read.contents[0]!.uri, uri);
      })(),
      (async () => {
        const prompts = (await inspector('--method', 'prompts/list')) as { prompts: { name: string }[] };
        const simple = prompts.prompts.find((p) => /simple/.test(p.name)) ?? prompts.prompts[0]!;
        const got = (await inspector('--method', 'prompts/get', '--prompt-name', simple.name)) as {
          messages: unknown[];
        };
        assert.ok(got.messages.length > 0);
      })(),
    ]);
  });
});
