import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPublicAddress, parseV6 } from '../../../main/auth/address-filter.js';

describe('isPublicAddress (SSRF guard for CIMD fetches)', () => {
  const refused = [
    '127.0.0.1',
    '127.255.255.254',
    '10.0.0.1',
    '10.255.255.255',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '100.127.255.255',
    '0.0.0.0',
    '0.1.2.3',
    '224.0.0.1',
    '239.255.255.250',
    '240.0.0.1',
    '255.255.255.255',
    '192.0.2.10',
    '198.51.100.1',
    '203.0.113.5',
    '198.18.0.1',
    '192.0.0.8',
    '::',
    '::1',
    '[::1]',
    'fe80::1',
    'fe80::1%eth0',
    'fc00::1',
    'fd12:3456:789a::1',
    'ff02::1',
    'fec0::1',
    '2001:db8::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    '::ffff:a00:1',
    '::ffff:7f00:1',
    '::ffff:169.254.169.254',
    '::127.0.0.1',
    '64:ff9b::10.0.0.1',
    '64:ff9b::7f00:1',
    '2002:7f00:1::1',
    '2002:c0a8:101::1',
    '2001::1',
    '100::1',
    'localhost',
    'example.com',
    '',
    '1.2.3',
    '1.2.3.4.5',
    '256.1.1.1',
    '01.2.3.4x',
    ':::1',
    '1::2::3',
  ];
  const allowed = [
    '8.8.8.8',
    '1.1.1.1',
    '93.184.216.34',
    '172.15.255.255',
    '172.32.0.1',
    '100.63.255.255',
    '100.128.0.1',
    '192.169.0.1',
    '169.253.1.1',
    '2606:4700:4700::1111',
    '2a00:1450:4001:80b::200e',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '2002:808:808::1',
    '[2606:4700::6810:84e5]',
  ];
  for (const a of refused) it(`refuses ${JSON.stringify(a)}`, () => assert.equal(isPublicAddress(a), false));
  for (const a of allowed) it(`allows ${a}`, () => assert.equal(isPublicAddress(a), true));

  it('parses IPv6 forms into 16 bytes', () => {
    assert.deepEqual(parseV6('::1'), [...Array(15).fill(0), 1]);
    assert.deepEqual(parseV6('::ffff:1.2.3.4')?.slice(10), [0xff, 0xff, 1, 2, 3, 4]);
    assert.deepEqual(parseV6('1:2:3:4:5:6:7:8')?.slice(14), [0, 8]);
    assert.equal(parseV6('1:2:3:4:5:6:7:8:9'), null);
    assert.equal(parseV6('1:2:3:4:5:6:7'), null);
  });
});
