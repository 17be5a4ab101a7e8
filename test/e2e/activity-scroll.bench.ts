/**
 * Bench (not a test): how smoothly the Activity log scrolls through 100,000 entries in Chromium.
 * Builds the renderer, loads it with the stub bridge holding 100,000 events, scrolls the list in
 * steps of a few hundred pixels per animation frame from top to bottom, and reports frame times.
 * Run: `npm run bench:scroll` (prints JSON). Correctness of the virtualised list is tested in
 * renderer.test.ts; this only measures it, so it is not under scripts/test.sh (no *.test.ts name).
 */
import { buildRenderer, launchChromium, serveFolder, stubBridgeScript } from './renderer/browser.js';
import { stubInit } from './renderer/fixtures.js';

export interface ScrollBenchResult {
  entries: number;
  frames: number;
  p50FrameMs: number;
  p95FrameMs: number;
  maxFrameMs: number;
  maxRowsInDom: number;
}

export async function run(entries = 100_000): Promise<ScrollBenchResult> {
  const built = await buildRenderer();
  const server = await serveFolder(built.dir);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 820 } });
    await page.addInitScript(`window.__stubInit = ${JSON.stringify(stubInit({ activityCount: entries }))};`);
    await page.addInitScript(await stubBridgeScript());
    await page.goto(`${server.url}#/activity`);
    await page.locator('.vlist-row').first().waitFor({ timeout: 60_000 });
    // In the page: one scroll step per frame, timing each frame and counting rendered rows.
    const result = await page.evaluate(`new Promise((resolve) => {
      const el = document.querySelector('.vlist');
      const step = 600;
      const frames = [];
      let maxRows = 0;
      let last = performance.now();
      function tick(now) {
        frames.push(now - last);
        last = now;
        maxRows = Math.max(maxRows, el.querySelectorAll('.vlist-row').length);
        if (el.scrollTop + el.clientHeight >= el.scrollHeight - 1) return resolve({ frames, maxRows });
        el.scrollTop += step;
        requestAnimationFrame(tick);
      }
      requestAnimationFrame((t) => { last = t; requestAnimationFrame(tick); });
    })`);
    const { frames, maxRows } = result as { frames: number[]; maxRows: number };
    const sorted = [...frames].sort((a, b) => a - b);
    const pct = (p: number) =>
      Math.round((sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0) * 10) / 10;
    return {
      entries,
      frames: frames.length,
      p50FrameMs: pct(0.5),
      p95FrameMs: pct(0.95),
      maxFrameMs: pct(1),
      maxRowsInDom: maxRows,
    };
  } finally {
    await browser.close();
    await server.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run().then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
