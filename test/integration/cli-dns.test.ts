// `keywatch dns` as a user runs it, against the lab: the verdict, the exit code a monitoring
// system reads, the chain in the text output, and JSON for scripts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useLab } from '../lab/fixture.ts';
import { labDnsArgs, runKeywatch } from '../helpers/keywatch-cli.ts';

const lab = useLab();

const keywatch = (...args: string[]) => runKeywatch(args);
const labArgs = () => labDnsArgs(lab().state);

describe('keywatch dns against the lab', () => {
  it('secure TLSA: exit 0, records and the chain from the root', async () => {
    const d = lab().domain('good');
    const r = await keywatch('dns', d.endpoints[0]!.tlsaName, 'TLSA', ...labArgs());
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /TLSA: ✔ secure/);
    assert.match(r.stdout, new RegExp(`3 1 1 ${d.keys.server.spkiSha256}`));
    assert.match(r.stdout, /chain of trust:\n {2}\. +✔ secure {2}\(trust anchor\)/);
    assert.match(r.stdout, /good\.test\. +✔ secure {2}\(DS at the parent, signed\)/);
  });

  it('bogus TLSA: exit 2 and the coded reason', async () => {
    const r = await keywatch('dns', lab().domain('bogus').endpoints[0]!.tlsaName, 'TLSA', ...labArgs());
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stdout, /\[rrsig\.invalid\]/);
  });

  it('insecure (unsigned zone): exit 1, naming the cut', async () => {
    const r = await keywatch('dns', lab().domain('unsigned').endpoints[0]!.tlsaName, 'TLSA', ...labArgs());
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /insecure \(no DNSSEC below unsigned\.test\.\)/);
  });

  it('--json gives the full result, including the proven denial', async () => {
    const r = await keywatch('dns', lab().domain('notlsa').endpoints[0]!.tlsaName, 'TLSA', '--json', ...labArgs());
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { security: string; rcode: string; denial: string; chain: Array<{ zone: string }> };
    assert.equal(j.security, 'secure');
    assert.equal(j.rcode, 'NXDOMAIN');
    assert.match(j.denial, /NXDOMAIN, proven by/);
    assert.deepEqual(j.chain.map((c) => c.zone), ['.', 'test.', 'notlsa.test.']);
  });

  it('a resolver that does not answer: exit 3, indeterminate, after the timeout', async () => {
    const { trustAnchor } = lab().state;
    // A lab address nobody listens on: the query is refused or times out, never leaves loopback.
    const r = await keywatch('dns', 'good.test', 'SOA', '--resolver', `127.${lab().state.net}.0.99:53`, '--trust-anchor', trustAnchor.ds, '--timeout', '300');
    assert.equal(r.status, 3, r.stdout + r.stderr);
    assert.match(r.stdout, /indeterminate/);
    assert.match(r.stdout, /\[upstream\.failed\]/);
  });
});
