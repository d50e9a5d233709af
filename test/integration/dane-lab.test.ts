// The whole DANE path on the lab's real endpoints — discover, probe, fetch TLSA, match — must
// agree with OpenSSL's own DANE verifier (s_client -dane_tlsa_rrdata) on the same endpoints.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useLab } from '../lab/fixture.ts';
import { opensslConnect } from '../lab/judges.ts';
import { discover } from '../../src/audit/discover.ts';
import { probeEndpoint } from '../../src/probe/probe.ts';
import { matchTlsa } from '../../src/dane/tlsa-match.ts';
import { DnsClient } from '../../src/dns/client.ts';
import { Validator } from '../../src/dns/dnssec/validator.ts';
import { parseTrustAnchors } from '../../src/dns/dnssec/trust-anchor.ts';
import { clientFetcher } from '../../src/dns/resolver.ts';
import { rdataFromString, decodeRdata } from '../../src/dns/rdata.ts';
import { RRType } from '../../src/dns/types.ts';
import type { ScenarioName } from '../lab/scenarios.ts';

const lab = useLab();

function validator(): Validator {
  const { resolver, trustAnchor } = lab().state;
  return new Validator(clientFetcher(new DnsClient({ servers: [resolver] })), parseTrustAnchors(trustAnchor.dnskey));
}

describe('keywatch DANE verdicts agree with OpenSSL on the lab endpoints', () => {
  const cases: Array<[ScenarioName, string]> = [
    ['good', 'every endpoint matches'],
    ['ejabberd', 'every endpoint matches'],
    ['mitm-c2s', 'client ports mismatch, 5269 matches'],
    ['mitm-all', 'every endpoint mismatches'],
    ['stale', 'every endpoint mismatches'],
  ];
  for (const [name, why] of cases) {
    it(`${name}: ${why}`, async () => {
      const d = lab().domain(name);
      const v = validator();
      const found = await discover(v, d.domain, 'xmpp');
      assert.equal(found.endpoints.length, 3);
      for (const e of found.endpoints) {
        assert.ok(e.dane.applies, `${e.host}:${e.port} DANE applies`);
        if (!e.dane.applies) continue;
        const tlsaLookup = await v.lookup(`${e.dane.tlsaName}.`, RRType.TLSA);
        assert.equal(tlsaLookup.security, 'secure');
        const rdata = tlsaLookup.answer.find((a) => a.type === 'TLSA')!.records;
        const records = rdata.map((t) => {
          const data = decodeRdata(RRType.TLSA, rdataFromString(RRType.TLSA, t));
          assert.equal(data?.type, 'TLSA');
          const { usage, selector, matchingType, data: bytes } = data as { usage: number; selector: number; matchingType: number; data: Uint8Array };
          return { usage, selector, matchingType, data: bytes };
        });
        const probe = await probeEndpoint({ address: e.address, port: e.port, protocol: e.protocol, serviceDomain: d.domain, caFile: lab().state.ca.rootFile });
        assert.ok(probe.ok, JSON.stringify(probe));
        if (!probe.ok) continue;
        const ours = matchTlsa(records, probe.tls.chain, { service: 'xmpp', pkix: probe.tls.pkix, referenceNames: e.referenceNames, now: new Date() });

        const theirs = await opensslConnect({
          address: e.address,
          port: e.port,
          domain: d.domain,
          tls: e.protocol.startsWith('xmpps') ? 'direct' : 'starttls',
          server: e.protocol.endsWith('s2s'),
          caFile: lab().state.ca.rootFile,
          tlsa: rdata,
          tlsaDomain: d.domain,
        });
        const opensslMatch = theirs.verifyCode === 0 && theirs.dane !== undefined;
        assert.equal(ours.verdict === 'match', opensslMatch, `${e.host}:${e.port}: keywatch ${ours.verdict} (${ours.matchedBy ?? '-'}), openssl ${theirs.verifyText} ${theirs.dane ?? ''}`);
        const lab_ = d.endpoints.find((x) => x.port === e.port)!;
        assert.equal(ours.verdict === 'match', lab_.matchesTlsa, `${e.port}: the lab says ${lab_.matchesTlsa ? 'match' : 'mismatch'}`);
      }
    });
  }
});
