// Address policy: a table of addresses per class, with the first and last address of each range
// and the neighbours just outside it, so an off-by-one in a prefix length or a mask shows.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyAddress, type AddressClass } from '../../../src/audit/address-policy.ts';

type Row = [address: string, cls: AddressClass, range: string];

const V4: Row[] = [
  // 0.0.0.0/8
  ['0.0.0.0', 'unspecified', '0.0.0.0/32'],
  ['0.0.0.1', 'this-network', '0.0.0.0/8'],
  ['0.255.255.255', 'this-network', '0.0.0.0/8'],
  ['1.0.0.0', 'public', '0.0.0.0/0'],
  ['1.1.1.1', 'public', '0.0.0.0/0'],
  // 10/8
  ['9.255.255.255', 'public', '0.0.0.0/0'],
  ['10.0.0.0', 'private', '10.0.0.0/8'],
  ['10.1.2.3', 'private', '10.0.0.0/8'],
  ['10.255.255.255', 'private', '10.0.0.0/8'],
  ['11.0.0.0', 'public', '0.0.0.0/0'],
  // 100.64/10
  ['100.63.255.255', 'public', '0.0.0.0/0'],
  ['100.64.0.0', 'shared', '100.64.0.0/10'],
  ['100.127.255.255', 'shared', '100.64.0.0/10'],
  ['100.128.0.0', 'public', '0.0.0.0/0'],
  // 127/8
  ['126.255.255.255', 'public', '0.0.0.0/0'],
  ['127.0.0.0', 'loopback', '127.0.0.0/8'],
  ['127.0.0.1', 'loopback', '127.0.0.0/8'],
  ['127.255.255.254', 'loopback', '127.0.0.0/8'],
  ['128.0.0.0', 'public', '0.0.0.0/0'],
  // 169.254/16 (cloud metadata lives at 169.254.169.254)
  ['169.253.255.255', 'public', '0.0.0.0/0'],
  ['169.254.0.0', 'link-local', '169.254.0.0/16'],
  ['169.254.169.254', 'link-local', '169.254.0.0/16'],
  ['169.254.255.255', 'link-local', '169.254.0.0/16'],
  ['169.255.0.0', 'public', '0.0.0.0/0'],
  // 172.16/12
  ['172.15.255.255', 'public', '0.0.0.0/0'],
  ['172.16.0.0', 'private', '172.16.0.0/12'],
  ['172.31.255.255', 'private', '172.16.0.0/12'],
  ['172.32.0.0', 'public', '0.0.0.0/0'],
  // 192.0.0/24 and its entries
  ['191.255.255.255', 'public', '0.0.0.0/0'],
  ['192.0.0.0', 'protocol-assignments', '192.0.0.0/29'],
  ['192.0.0.7', 'protocol-assignments', '192.0.0.0/29'],
  ['192.0.0.8', 'protocol-assignments', '192.0.0.8/32'],
  ['192.0.0.9', 'protocol-assignments', '192.0.0.9/32'],
  ['192.0.0.10', 'protocol-assignments', '192.0.0.10/32'],
  ['192.0.0.11', 'protocol-assignments', '192.0.0.0/24'],
  ['192.0.0.170', 'protocol-assignments', '192.0.0.170/31'],
  ['192.0.0.171', 'protocol-assignments', '192.0.0.170/31'],
  ['192.0.0.255', 'protocol-assignments', '192.0.0.0/24'],
  ['192.0.1.0', 'public', '0.0.0.0/0'],
  // 192.0.2/24
  ['192.0.1.255', 'public', '0.0.0.0/0'],
  ['192.0.2.0', 'documentation', '192.0.2.0/24'],
  ['192.0.2.255', 'documentation', '192.0.2.0/24'],
  ['192.0.3.0', 'public', '0.0.0.0/0'],
  // 192.88.99/24
  ['192.88.98.255', 'public', '0.0.0.0/0'],
  ['192.88.99.0', 'reserved', '192.88.99.0/24'],
  ['192.88.99.1', 'reserved', '192.88.99.0/24'],
  ['192.88.99.255', 'reserved', '192.88.99.0/24'],
  ['192.88.100.0', 'public', '0.0.0.0/0'],
  // 192.168/16
  ['192.167.255.255', 'public', '0.0.0.0/0'],
  ['192.168.0.0', 'private', '192.168.0.0/16'],
  ['192.168.1.1', 'private', '192.168.0.0/16'],
  ['192.168.255.255', 'private', '192.168.0.0/16'],
  ['192.169.0.0', 'public', '0.0.0.0/0'],
  // 198.18/15
  ['198.17.255.255', 'public', '0.0.0.0/0'],
  ['198.18.0.0', 'benchmarking', '198.18.0.0/15'],
  ['198.19.255.255', 'benchmarking', '198.18.0.0/15'],
  ['198.20.0.0', 'public', '0.0.0.0/0'],
  // 198.51.100/24, 203.0.113/24
  ['198.51.99.255', 'public', '0.0.0.0/0'],
  ['198.51.100.0', 'documentation', '198.51.100.0/24'],
  ['198.51.100.255', 'documentation', '198.51.100.0/24'],
  ['198.51.101.0', 'public', '0.0.0.0/0'],
  ['203.0.112.255', 'public', '0.0.0.0/0'],
  ['203.0.113.0', 'documentation', '203.0.113.0/24'],
  ['203.0.113.255', 'documentation', '203.0.113.0/24'],
  ['203.0.114.0', 'public', '0.0.0.0/0'],
  // 224/4, 240/4, broadcast
  ['223.255.255.255', 'public', '0.0.0.0/0'],
  ['224.0.0.0', 'multicast', '224.0.0.0/4'],
  ['239.255.255.255', 'multicast', '224.0.0.0/4'],
  ['240.0.0.0', 'reserved', '240.0.0.0/4'],
  ['255.255.255.254', 'reserved', '240.0.0.0/4'],
  ['255.255.255.255', 'broadcast', '255.255.255.255/32'],
  // Globally reachable entries outside the refused blocks stay public (AS112, AMT).
  ['192.31.196.1', 'public', '0.0.0.0/0'],
  ['192.52.193.1', 'public', '0.0.0.0/0'],
];

const V6: Row[] = [
  ['::', 'unspecified', '::/128'],
  ['0:0:0:0:0:0:0:0', 'unspecified', '::/128'],
  ['::1', 'loopback', '::1/128'],
  ['0000:0000:0000:0000:0000:0000:0000:0001', 'loopback', '::1/128'],
  ['::2', 'reserved', '::/96'],
  ['::1.2.3.4', 'reserved', '::/96'],
  ['::1:0:0:0', 'reserved', '::/8'],
  ['::fffe:ffff:ffff', 'reserved', '::/8'],
  ['::1:ffff:0:0', 'reserved', '::/8'],
  ['ff::', 'reserved', '::/8'],
  // NAT64
  ['64:ff9b::1:0:0', 'reserved', '::/8'],
  ['64:ff9b:1::', 'translation', '64:ff9b:1::/48'],
  ['64:ff9b:1:ffff:ffff:ffff:ffff:ffff', 'translation', '64:ff9b:1::/48'],
  ['64:ff9b:2::', 'reserved', '::/8'],
  // 100::/64
  ['100::', 'discard', '100::/64'],
  ['100::ffff:ffff:ffff:ffff', 'discard', '100::/64'],
  ['100:0:0:1::', 'reserved', '100::/8'],
  // 2000::/3
  ['1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'reserved', '1000::/4'],
  ['2000::', 'public', '2000::/3'],
  ['2001:4860:4860::8888', 'public', '2000::/3'],
  ['2a00:1450:4001:80b::200e', 'public', '2000::/3'],
  ['3ffe:ffff::', 'public', '2000::/3'],
  ['3fff::', 'documentation', '3fff::/20'],
  ['3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff', 'documentation', '3fff::/20'],
  ['3fff:1000::', 'public', '2000::/3'],
  ['4000::', 'reserved', '4000::/3'],
  // 2001::/23 and its entries
  ['2001::', 'teredo', '2001::/32'],
  ['2001:0:ffff:ffff:ffff:ffff:ffff:ffff', 'teredo', '2001::/32'],
  ['2001:1::1', 'protocol-assignments', '2001:1::1/128'],
  ['2001:1::2', 'protocol-assignments', '2001:1::2/128'],
  ['2001:1::3', 'protocol-assignments', '2001:1::3/128'],
  ['2001:1::4', 'protocol-assignments', '2001::/23'],
  ['2001:2::', 'benchmarking', '2001:2::/48'],
  ['2001:2:0:ffff::', 'benchmarking', '2001:2::/48'],
  ['2001:2:1::', 'protocol-assignments', '2001::/23'],
  ['2001:3::1', 'protocol-assignments', '2001:3::/32'],
  ['2001:4:112::1', 'protocol-assignments', '2001:4:112::/48'],
  ['2001:10::1', 'orchid', '2001:10::/28'],
  ['2001:1f:ffff::', 'orchid', '2001:10::/28'],
  ['2001:20::1', 'orchid', '2001:20::/28'],
  ['2001:30::1', 'protocol-assignments', '2001:30::/28'],
  ['2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff', 'protocol-assignments', '2001::/23'],
  ['2001:200::', 'public', '2000::/3'],
  // 2001:db8::/32
  ['2001:db7:ffff:ffff:ffff:ffff:ffff:ffff', 'public', '2000::/3'],
  ['2001:db8::', 'documentation', '2001:db8::/32'],
  ['2001:DB8::1', 'documentation', '2001:db8::/32'],
  ['2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', 'documentation', '2001:db8::/32'],
  ['2001:db9::', 'public', '2000::/3'],
  // unique local, link-local, site-local, multicast
  ['fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'reserved', 'f800::/6'],
  ['fc00::', 'unique-local', 'fc00::/7'],
  ['fd12:3456:789a::1', 'unique-local', 'fc00::/7'],
  ['fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'unique-local', 'fc00::/7'],
  ['fe00::', 'reserved', 'fe00::/9'],
  ['fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'reserved', 'fe00::/9'],
  ['fe80::', 'link-local', 'fe80::/10'],
  ['fe80::1', 'link-local', 'fe80::/10'],
  ['febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'link-local', 'fe80::/10'],
  ['fec0::1', 'reserved', 'fec0::/10'],
  ['ff00::', 'multicast', 'ff00::/8'],
  ['ff02::1', 'multicast', 'ff00::/8'],
  ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'multicast', 'ff00::/8'],
  ['5f00::1', 'reserved', '5f00::/16'],
  ['e000::', 'reserved', 'e000::/4'],
];

describe('classifyAddress', () => {
  for (const [address, cls, range] of [...V4, ...V6]) {
    it(`${address} → ${cls} (${range})`, () => {
      const v = classifyAddress(address);
      assert.equal(v.class, cls);
      assert.equal(v.range, range);
      assert.equal(v.public, cls === 'public');
      assert.ok(v.rfc.startsWith('RFC '), v.rfc);
    });
  }

  it('names the RFC and the registry entry', () => {
    assert.deepEqual(classifyAddress('10.9.8.7'), { address: '10.9.8.7', family: 4, class: 'private', public: false, range: '10.0.0.0/8', name: 'Private-Use', rfc: 'RFC 1918' });
    assert.equal(classifyAddress('100.64.1.1').rfc, 'RFC 6598');
    assert.equal(classifyAddress('192.88.99.1').rfc, 'RFC 7526');
    assert.equal(classifyAddress('fc00::1').rfc, 'RFC 4193');
    assert.equal(classifyAddress('2001:db8::1').rfc, 'RFC 3849');
  });

  describe('addresses that carry an IPv4 address', () => {
    it('IPv4-mapped: the mapped address decides, and is reported', () => {
      const lo = classifyAddress('::ffff:127.0.0.1');
      assert.equal(lo.class, 'ipv4-mapped');
      assert.equal(lo.range, '::ffff:0:0/96');
      assert.equal(lo.public, false);
      assert.equal(lo.embedded?.address, '127.0.0.1');
      assert.equal(lo.embedded.class, 'loopback');
      assert.equal(lo.address, '::ffff:127.0.0.1');

      // The same address in hex groups.
      const hex = classifyAddress('::ffff:7f00:1');
      assert.equal(hex.embedded?.class, 'loopback');
      assert.equal(hex.address, '::ffff:127.0.0.1');

      const priv = classifyAddress('0:0:0:0:0:ffff:192.168.0.1');
      assert.equal(priv.embedded?.class, 'private');
      assert.equal(priv.public, false);

      const pub = classifyAddress('::ffff:8.8.8.8');
      assert.equal(pub.class, 'ipv4-mapped');
      assert.equal(pub.public, true);
      assert.equal(pub.embedded?.class, 'public');

      // Borders: ::fffe:… and ::1:ffff:… are not mapped.
      assert.equal(classifyAddress('::ffff:0.0.0.0').embedded?.class, 'unspecified');
      assert.equal(classifyAddress('::ffff:255.255.255.255').embedded?.class, 'broadcast');
    });

    it('NAT64 well-known prefix: public only when the embedded IPv4 address is', () => {
      const pub = classifyAddress('64:ff9b::8.8.4.4');
      assert.equal(pub.class, 'translation');
      assert.equal(pub.range, '64:ff9b::/96');
      assert.equal(pub.public, true);
      assert.equal(pub.embedded?.address, '8.8.4.4');
      assert.equal(pub.address, '64:ff9b::8.8.4.4');

      const doc = classifyAddress('64:ff9b::c000:221');
      assert.equal(doc.embedded?.address, '192.0.2.33');
      assert.equal(doc.embedded.class, 'documentation');
      assert.equal(doc.public, false);

      assert.equal(classifyAddress('64:ff9b::a9fe:a9fe').embedded?.class, 'link-local');
      assert.equal(classifyAddress('64:ff9b::ffff:ffff').embedded?.class, 'broadcast');
      // Just past the /96: not the well-known prefix any more.
      assert.equal(classifyAddress('64:ff9b::1:0:0').range, '::/8');
      assert.equal(classifyAddress('64:ff9b::1:0:0').embedded, undefined);
      assert.equal(classifyAddress('64:ff9a:ffff:ffff:ffff:ffff:ffff:ffff').range, '::/8');
    });

    it('6to4: the IPv4 address in bits 16–47 decides', () => {
      const priv = classifyAddress('2002:c0a8:0101::1');
      assert.equal(priv.class, '6to4');
      assert.equal(priv.range, '2002::/16');
      assert.equal(priv.embedded?.address, '192.168.1.1');
      assert.equal(priv.public, false);

      const lo = classifyAddress('2002:7f00:1::');
      assert.equal(lo.embedded?.class, 'loopback');
      assert.equal(lo.public, false);

      const pub = classifyAddress('2002:0808:0808::1');
      assert.equal(pub.embedded?.address, '8.8.8.8');
      assert.equal(pub.public, true);

      assert.equal(classifyAddress('2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff').class, 'public');
      assert.equal(classifyAddress('2003::').class, 'public');
    });
  });

  describe('parsing', () => {
    it('zone ids are kept apart and do not change the verdict', () => {
      const v = classifyAddress('fe80::1%eth0');
      assert.equal(v.class, 'link-local');
      assert.equal(v.zone, 'eth0');
      assert.equal(v.address, 'fe80::1');
      assert.equal(classifyAddress('fe80::1%25').zone, '25');
      assert.equal(classifyAddress('2001:db8::1%1').class, 'documentation');
      assert.equal(classifyAddress('::ffff:10.0.0.1%3').embedded?.class, 'private');
    });

    it('canonical text (RFC 5952)', () => {
      assert.equal(classifyAddress('2001:0DB8:0000:0000:0001:0000:0000:0001').address, '2001:db8::1:0:0:1');
      assert.equal(classifyAddress('2001:db8:0:1:1:1:1:1').address, '2001:db8:0:1:1:1:1:1');
      assert.equal(classifyAddress('2001:db8:0:0:1:0:0:0').address, '2001:db8:0:0:1::');
      assert.equal(classifyAddress('1:2:3:4:5:6:7::').address, '1:2:3:4:5:6:7:0');
      assert.equal(classifyAddress('::1:2:3:4:5:6:7').address, '0:1:2:3:4:5:6:7');
      assert.equal(classifyAddress('0::0').address, '::');
      assert.equal(classifyAddress('1:2:3:4:5:6:1.2.3.4').address, '1:2:3:4:5:6:102:304');
      assert.equal(classifyAddress('1:2:3:4:5:6:1.2.3.4').family, 6);
    });

    it('anything that is not an IP address is a TypeError', () => {
      for (const bad of ['', 'localhost', 'example.com', '1.2.3', '1.2.3.4.5', '256.0.0.1', '010.0.0.1', '0x7f.0.0.1', '2130706433', ' 1.2.3.4', '1.2.3.4%eth0', '[::1]', '::1::', '1:2:3:4:5:6:7:8:9', 'fe80::1%', 'gggg::', '::ffff:1.2.3']) {
        assert.throws(() => classifyAddress(bad), TypeError, bad);
      }
      assert.throws(() => classifyAddress(undefined as unknown as string), TypeError);
    });
  });
});
