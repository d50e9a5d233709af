// XEP-0474 in its two published formats, against the hashes printed in the XEP's own example
// (version 0.3.0 with "d", version 0.4.0 with "h").
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkSsdp, ssdpHash, ssdpInput } from '../../../src/sasl/downgrade-protection.ts';

const mechs = ['SCRAM-SHA-1-PLUS', 'SCRAM-SHA-1'];
const cbs = ['tls-server-end-point', 'tls-exporter'];

describe('XEP-0474 SASL SCRAM Downgrade Protection', () => {
  it('0.3: "d", comma and bar; the XEP example hash', () => {
    assert.equal(ssdpInput('0.3', mechs, cbs), 'SCRAM-SHA-1,SCRAM-SHA-1-PLUS|tls-exporter,tls-server-end-point');
    assert.equal(ssdpHash('0.3', 'SHA-1', mechs, cbs), 'dRc3RenuSY9ypgPpERowoaySQZY=');
  });
  it('0.4: "h", %x1E and %x1F; the XEP example hash', () => {
    assert.equal(ssdpInput('0.4', mechs, cbs), 'SCRAM-SHA-1\x1eSCRAM-SHA-1-PLUS\x1ftls-exporter\x1etls-server-end-point');
    assert.equal(ssdpHash('0.4', 'SHA-1', mechs, cbs), 'G6k/rBLDqgOhRRaCuuatSDFkJ08=');
  });
  it('without XEP-0440 no list delimiter is appended; an empty XEP-0440 list still is', () => {
    assert.equal(ssdpInput('0.3', ['PLAIN', 'SCRAM-SHA-256'], undefined), 'PLAIN,SCRAM-SHA-256');
    assert.equal(ssdpInput('0.4', ['b', 'a'], []), 'a\x1eb\x1f');
  });
  it('sorting is by octets (i;octet), so upper case sorts before lower case', () => {
    assert.equal(ssdpInput('0.3', ['b', 'B', 'a', 'A-1'], undefined), 'A-1,B,a,b');
  });
  it('the hash is the SCRAM mechanism\'s own', () => {
    assert.notEqual(ssdpHash('0.4', 'SHA-256', mechs, cbs), ssdpHash('0.4', 'SHA-1', mechs, cbs));
    assert.equal(Buffer.from(ssdpHash('0.4', 'SHA-512', mechs, cbs), 'base64').length, 64);
  });
  it('checkSsdp: absent, match per format, and mismatch when -PLUS was stripped from what we saw', () => {
    const advertised = { mechanisms: mechs, channelBindings: cbs };
    assert.deepEqual(checkSsdp({}, 'SHA-1', advertised), { state: 'absent' });
    assert.deepEqual(checkSsdp({ h: 'G6k/rBLDqgOhRRaCuuatSDFkJ08=' }, 'SHA-1', advertised), { state: 'match', format: '0.4' });
    assert.deepEqual(checkSsdp({ d: 'dRc3RenuSY9ypgPpERowoaySQZY=' }, 'SHA-1', advertised), { state: 'match', format: '0.3' });
    const stripped = { mechanisms: ['SCRAM-SHA-1'], channelBindings: undefined };
    const r = checkSsdp({ h: 'G6k/rBLDqgOhRRaCuuatSDFkJ08=' }, 'SHA-1', stripped);
    assert.equal(r.state, 'mismatch');
    assert.equal(r.state === 'mismatch' && r.format, '0.4');
    // Both present: both must match.
    assert.equal(checkSsdp({ h: 'G6k/rBLDqgOhRRaCuuatSDFkJ08=', d: 'wrong' }, 'SHA-1', advertised).state, 'mismatch');
  });
});
