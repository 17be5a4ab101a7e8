/**
 * The demo widget: one self-contained HTML page (inline CSS and script, no remote resources, so it
 * renders under the strictest host CSP). It speaks both host bridges:
 * - MCP Apps (SEP-1865): JSON-RPC over postMessage with the host: `ui/initialize`, then
 *   `ui/notifications/initialized`; the tool's result arrives as `ui/notifications/tool-result`.
 * - ChatGPT's Apps SDK bridge: `window.openai.toolOutput`, updated with the `openai:set_globals` event.
 */
export function demoWidgetHtml(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tunnelgate demo clock</title>
<style>
  :root { color-scheme: light dark; font-family: system-ui, -apple-system, "Segoe UI", sans-serif; }
  body { margin: 0; padding: 16px; }
  .card { border: 1px solid color-mix(in srgb, currentColor 20%, transparent); border-radius: 12px; padding: 16px 20px; }
  .time { font-size: 2.2rem; font-variant-numeric: tabular-nums; font-weight: 600; margin: 4px 0; }
  .muted { opacity: 0.7; font-size: 0.9rem; }
</style>
</head>
<body>
<div class="card">
  <div class="muted" id="zone">Tunnelgate demo</div>
  <div class="time" id="time">--:--:--</div>
  <div id="message" class="muted">Waiting for the tool result from the host...</div>
</div>
<script>
(function () {
  var data = null;
  function render() {
    if (!data) return;
    var zone = data.timeZone || 'UTC';
    var now = new Date();
    var text;
    try { text = now.toLocaleTimeString(undefined, { timeZone: zone }); } catch (e) { text = now.toISOString().slice(11, 19); }
    document.getElementById('time').textContent = text;
    document.getElementById('zone').textContent = 'Time in ' + zone;
    document.getElementById('message').textContent = data.message || '';
  }
  function accept(result) {
    var sc = result && (result.structuredContent || result);
    if (sc && typeof sc === 'object' && sc.time) { data = sc; render(); }
  }
  setInterval(render, 1000);

  // ChatGPT Apps SDK bridge.
  if (window.openai && window.openai.toolOutput) accept(window.openai.toolOutput);
  window.addEventListener('openai:set_globals', function () {
    if (window.openai && window.openai.toolOutput) accept(window.openai.toolOutput);
  });

  // MCP Apps bridge: JSON-RPC 2.0 with the host frame.
  if (window.parent && window.parent !== window) {
    var nextId = 1;
    var initId = nextId++;
    window.addEventListener('message', function (event) {
      if (event.source !== window.parent) return;
      var msg = event.data;
      if (!msg || msg.jsonrpc !== '2.0') return;
      if (msg.id === initId && (msg.result || msg.error)) {
        window.parent.postMessage({ jsonrpc: '2.0', method: 'ui/notifications/initialized', params: {} }, '*');
        return;
      }
      if (msg.method === 'ui/notifications/tool-result') accept(msg.params);
      if (msg.method === 'ui/resource-teardown' && msg.id !== undefined) {
        window.parent.postMessage({ jsonrpc: '2.0', id: msg.id, result: {} }, '*');
      }
    });
    window.parent.postMessage({
      jsonrpc: '2.0', id: initId, method: 'ui/initialize',
      params: { appInfo: { name: 'tunnelgate-demo-clock', version: '1.0.0' }, appCapabilities: {}, protocolVersion: '2026-01-26' }
    }, '*');
  }
})();
</script>
</body>
</html>
`;
}
