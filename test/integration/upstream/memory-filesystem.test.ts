import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createUpstreamManager } from '../../../main/gateway/upstream/manager.js';
import { directList, directStdioClient, FILESYSTEM, isAlive, MEMORY, type Raw } from './helpers.js';

const fast = { stdinGraceMs: 300, termGraceMs: 1000 };
const textOf = (r: Raw) => (r.content as { text: string }[]).map((c) => c.text).join('\n');

test('server-memory and server-filesystem side by side; raw lists equal direct; close leaves no process', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tg-upstream-'));
  const memoryFile = join(dir, 'memory.jsonl');
  const files = join(dir, 'files');
  await mkdir(files);
  await writeFile(join(files, 'hello.txt'), 'hello from the temp folder\n');
  const m = createUpstreamManager({ shutdown: fast });
  const pids: number[] = [];
  try {
    await m.apply({
      memory: { command: process.execPath, args: [MEMORY], env: { MEMORY_FILE_PATH: memoryFile } },
      fs: { command: process.execPath, args: [FILESYSTEM, files] },
    });
    assert.deepEqual(
      m.states().map((s) => [s.name, s.status]),
      [
        ['memory', 'ready'],
        ['fs', 'ready'],
      ],
    );
    const memory = m.get('memory')!;
    const fs = m.get('fs')!;
    pids.push(memory.pid!, fs.pid!);

    const directMemory = await directStdioClient(process.execPath, [MEMORY], {
      MEMORY_FILE_PATH: join(dir, 'direct.jsonl'),
    });
    const directFs = await directStdioClient(process.execPath, [FILESYSTEM, files]);
    try {
      assert.deepEqual(memory.tools(), await directList(directMemory, 'tools/list', 'tools'));
      assert.deepEqual(fs.tools(), await directList(directFs, 'tools/list', 'tools'));
    } finally {
      await directMemory.close();
      await directFs.close();
    }

    await memory.request('tools/call', {
      name: 'create_entities',
      arguments: {
        entities: [{ name: 'Ada', entityType: 'person', observations: ['wrote the first program'] }],
      },
    });
    const graph = await memory.request('tools/call', { name: 'read_graph', arguments: {} });
    assert.match(JSON.stringify(graph), /wrote the first program/);
    assert.match(await readFile(memoryFile, 'utf8'), /Ada/);

    const read = await fs.request('tools/call', {
      name: 'read_text_file',
      arguments: { path: join(files, 'hello.txt') },
    });
    assert.equal(textOf(read).trim(), 'hello from the temp folder');
    const outside = await fs.request('tools/call', {
      name: 'read_text_file',
      arguments: { path: '/etc/hostname' },
    });
    assert.equal(outside.isError, true, 'the server still enforces its allowed folder');
  } finally {
    await m.close();
    await rm(dir, { recursive: true, force: true });
  }
  assert.equal(pids.length, 2);
  for (const pid of pids) assert.equal(isAlive(pid), false, `process ${pid} is gone`);
});
