import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultTrustAnchor, parseTrustAnchors, TrustAnchorError } from '../../../src/dns/dnssec/trust-anchor.ts';
import { nameToString } from '../../../src/dns/name.ts';

describe('trust anchors', () => {
  it('defaults to the two IANA root KSKs', () => {
    const a = defaultTrustAnchor();
    assert.equal(nameToString(a.owner), '.');
    assert.deepEqual(a.ds.map((d) => [d.keyTag, d.algorithm, d.digestType]), [
      [20326, 8, 2],
      [38696, 8, 2],
    ]);
    assert.equal(Buffer.from(a.ds[1]!.digest).toString('hex').toUpperCase(), '683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16');
  });

  it('reads DS and DNSKEY lines with or without TTL and class, skipping comments', () => {
    const a = parseTrustAnchors(`; the lab root
.	3600	IN	DNSKEY	257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==
. DS 2371 13 2 1F987CC6583E92DF0890718C42A1F4BB3D1D0C1F2C1E9F3E8B8C7C7A6B5A4938 ; a comment`);
    assert.equal(a.dnskeys.length, 1);
    assert.equal(a.dnskeys[0]!.data.flags, 257);
    assert.equal(a.ds[0]!.keyTag, 2371);
  });

  it('rejects text that is not an anchor, naming the line', () => {
    assert.throws(() => parseTrustAnchors('. IN A 127.0.0.1'), (e: Error) => e instanceof TrustAnchorError && /line 1/.test(e.message));
    assert.throws(() => parseTrustAnchors(''), /no DS or DNSKEY/);
    assert.throws(() => parseTrustAnchors('. DS 1 13 2 zz'), /line 1: bad DS data/);
    assert.throws(() => parseTrustAnchors('. DS 2371 13 2 1F98\nexample. DS 2371 13 2 1F98'), /one owner/);
  });
});
