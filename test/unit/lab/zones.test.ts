import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { corruptSignatures } from '../../lab/zones.ts';

const signed = [
  'good.test.\t300\tIN\tTLSA\t3 1 1 a50180d546428a86b7d9d28ec070af662e95e0393382a5fed200c870c681b1d1',
  'good.test.\t300\tIN\tRRSIG\tTLSA 13 3 300 20261221125800 20261123125800 15392 good.test. XyrsqTzR6odp92uVgcvDPWKpVOvCW77TZ3a8y6VWUDLLO4qKoiJLxZFtc18yZUgopEiRq/+A34wJ2FUuJqU4bg==',
  'good.test.\t300\tIN\tRRSIG\tA 13 3 300 20261221125800 20261123125800 15392 good.test. XyrsqTzR6odp92uVgcvDPWKpVOvCW77TZ3a8y6VWUDLLO4qKoiJLxZFtc18yZUgopEiRq/+A34wJ2FUuJqU4bg==',
].join('\n');

describe('corruptSignatures', () => {
  it('changes one character of the signature over the chosen type only', () => {
    const out = corruptSignatures(signed, 'TLSA').split('\n');
    const before = signed.split('\n');
    assert.equal(out[0], before[0]);
    assert.equal(out[2], before[2], 'RRSIG over A untouched');
    assert.notEqual(out[1], before[1]);
    const sigOf = (l: string) => l.split(/\s+/).slice(12).join('');
    const a = sigOf(before[1]!);
    const b = sigOf(out[1]!);
    assert.equal(a.length, b.length, 'still valid base64 of the same length');
    assert.equal([...a].filter((c, i) => c !== b[i]).length, 1);
    assert.equal(out[1]!.split(/\s+/).slice(0, 12).join(' '), before[1]!.split(/\s+/).slice(0, 12).join(' '), 'RRSIG fields kept');
  });

  it('refuses when there is nothing to corrupt', () => {
    assert.throws(() => corruptSignatures(signed, 'SRV'), /no RRSIG covering SRV/);
  });
});
