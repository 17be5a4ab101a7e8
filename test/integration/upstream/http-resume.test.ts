import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createUpstream } from '../../../main/gateway/upstream/connection.js';
import { startCuttingProxy } from '../../fixtures/upstream/cutting-proxy.js';
import { startHttpFixture } from '../../fixtures/upstream/http-fixture.js';
import type { RawObject } from '../../../main/gateway/upstream/types.js';

test('http: a response stream cut mid-call is resumed with Last-Event-ID; progress and result arrive', async () => {
  const srv = await startHttpFixture({ resumable: true });
  const proxy = await startCuttingProxy(Number(new URL(srv.url).port));
  const up = createUpstream({
    name: 'flaky',
    kind: 'http',
    config: { url: `http://127.0.0.1:${proxy.port}/mcp` },
  });
  try {
    await up.start();
    const progress: RawObject[] = [];
    let cut = 0;
    const result = await up.request(
      'tools/call',
      { name: 'slow', arguments: { steps: 8 }, _meta: { progressToken: 'p' } },
      {
        onProgress: (p) => {
          progress.push(p);
          if (p.progress === 3) cut = proxy.cutAll();
        },
      },
    );
    assert.ok(cut > 0, 'the stream was cut');
    assert.deepEqual(result, { content: [{ type: 'text', text: 'counted to 8' }] });
    assert.deepEqual(
      progress.map((p) => p.progress),
      [1, 2, 3, 4, 5, 6, 7, 8],
      'no progress lost or repeated',
    );
    const resumes = srv.requests.filter((r) => r.method === 'GET' && r.lastEventId);
    assert.ok(resumes.length >= 1, 'resumed with a GET carrying Last-Event-ID');
  } finally {
    await up.close();
    await proxy.close();
    await srv.close();
  }
});
