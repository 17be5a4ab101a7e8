import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  explainFailure,
  extractQuickTunnelUrl,
  isConnectionLost,
  isConnectionRegistered,
  isPermanentFailure,
  parseLogLine,
  summarizeTail,
} from '../../../main/tunnel/log-parser.js';

// Lines in the format cloudflared prints (zerolog console writer), as seen in cloudflared's issue tracker.
const QUICK_START = [
  '2026-01-20T09:56:33Z INF Thank you for trying Cloudflare Tunnel. Doing so, without a Cloudflare account, is a quick way to experiment and try it out. However, be aware that these account-less Tunnels have no uptime guarantee, are subject to the Cloudflare Online Services Terms of Use (https://www.cloudflare.com/website-terms/), and Cloudflare reserves the right to investigate your use of Tunnels for violations of such terms. If you intend to use Tunnels in production you should use a pre-created named tunnel by following: https://developers.cloudflare.com/cloudflare-one/connections/connect-apps',
  '2026-01-20T09:56:33Z INF Requesting new quick Tunnel on trycloudflare.com...',
  '2026-01-20T09:56:36Z INF +--------------------------------------------------------------------------------------------+',
  '2026-01-20T09:56:36Z INF |  Your quick Tunnel has been created! Visit it at (it may take some time to be reachable):  |',
  '2026-01-20T09:56:36Z INF |  https://disciplinary-tennis-breaking-under.trycloudflare.com                              |',
  '2026-01-20T09:56:36Z INF +--------------------------------------------------------------------------------------------+',
  '2026-01-20T09:56:36Z INF Starting metrics server on 127.0.0.1:41231/metrics',
  '2026-01-20T09:56:37Z INF Registered tunnel connection connIndex=0 connection=5c94b68c-6732-40c1-9b49-9f8f6c23521d event=0 ip=198.41.192.67 location=las01 protocol=quic',
];

describe('cloudflared log lines', () => {
  it('splits time, level and message; bare lines have no level', () => {
    assert.deepEqual(parseLogLine(QUICK_START[1] ?? ''), {
      time: '2026-01-20T09:56:33Z',
      level: 'INF',
      message: 'Requesting new quick Tunnel on trycloudflare.com...',
    });
    const bare = parseLogLine(
      'failed to request quick Tunnel: Post "https://api.trycloudflare.com/tunnel": dial tcp: lookup api.trycloudflare.com on 127.0.0.11:53: no such host',
    );
    assert.equal(bare.level, null);
    assert.match(bare.message, /^failed to request quick Tunnel/);
  });

  it('finds the URL only in the banner row', () => {
    const urls = QUICK_START.map(extractQuickTunnelUrl).filter((u) => u !== null);
    assert.deepEqual(urls, ['https://disciplinary-tennis-breaking-under.trycloudflare.com']);
    assert.equal(
      extractQuickTunnelUrl(
        'failed to request quick Tunnel: Post "https://api.trycloudflare.com/tunnel": EOF',
      ),
      null,
    );
    assert.equal(extractQuickTunnelUrl('2026-01-20T09:56:36Z INF |  https://api.trycloudflare.com  |'), null);
    assert.equal(
      extractQuickTunnelUrl('2026-01-20T09:56:36Z INF |  https://Four-Dashed-Word-Url.trycloudflare.com/ |'),
      'https://four-dashed-word-url.trycloudflare.com',
    );
  });

  it('recognises connection registered and lost lines (current and older formats)', () => {
    assert.equal(isConnectionRegistered(QUICK_START[7] ?? ''), true);
    assert.equal(
      isConnectionRegistered(
        '2022-06-01T16:23:12Z INF Connection c206cf44-945f-4c3c-a85c-af60c6338dc2 registered connIndex=0 location=ORD',
      ),
      true,
    );
    assert.equal(
      isConnectionRegistered(
        '2026-01-20T09:56:37Z INF Unregistered tunnel connection connIndex=0 event=0 ip=198.41.200.193',
      ),
      false,
    );
    assert.equal(
      isConnectionLost(
        '2026-01-20T09:56:37Z INF Unregistered tunnel connection connIndex=0 event=0 ip=198.41.200.193',
      ),
      true,
    );
    assert.equal(
      isConnectionLost('2022-03-04T08:38:11Z INF Lost connection with the edge connIndex=1'),
      true,
    );
    assert.equal(isConnectionLost(QUICK_START[7] ?? ''), false);
  });

  it('explains known failures in words and marks a rejected token as permanent', () => {
    const offline = [
      ...QUICK_START.slice(0, 2),
      'failed to request quick Tunnel: Post "https://api.trycloudflare.com/tunnel": dial tcp: lookup api.trycloudflare.com: no such host',
    ];
    assert.match(explainFailure(offline) ?? '', /could not get a quick tunnel from Cloudflare/);
    assert.equal(isPermanentFailure(offline), false);
    const badToken = ['Provided Tunnel token is not valid.'];
    assert.match(explainFailure(badToken) ?? '', /rejected the named-tunnel token/);
    assert.equal(isPermanentFailure(badToken), true);
    assert.equal(explainFailure(QUICK_START), null);
  });

  it('summarizes the tail preferring errors and bare lines', () => {
    const lines = [
      ...QUICK_START,
      '2026-01-20T09:57:00Z ERR Serve tunnel error error="connection with edge closed" connIndex=0',
      '2026-01-20T09:57:00Z INF Retrying connection in up to 1s',
    ];
    assert.equal(summarizeTail(lines), 'Serve tunnel error error="connection with edge closed" connIndex=0');
    assert.match(summarizeTail(QUICK_START.slice(0, 2), 1), /^Requesting new quick Tunnel/);
  });
});
