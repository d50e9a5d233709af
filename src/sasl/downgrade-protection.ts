// XEP-0474, SASL SCRAM Downgrade Protection ("SSDP"): the server puts a hash of the SASL
// mechanisms and XEP-0440 channel-binding types it advertised into its server-first-message, as
// an optional SCRAM attribute. That message is covered by the proof and the server signature,
// so a man in the middle who removed -PLUS mechanisms or channel-binding types from the
// (unauthenticated) stream features is caught: the client's hash of what it saw differs.
//
// Two published wire formats, both implemented (xsf/xeps, xep-0474.xml history):
//   0.3.0 (2023-12-04) and 0.3.1: attribute "d"; mechanisms sorted and joined with ",", then,
//        when XEP-0440 was advertised, "|" and the sorted channel-binding types joined with ",".
//        ejabberd's xmpp library implements this version (processone/xmpp#79).
//   0.4.0 (2025-01-24) and later: attribute "h"; the same lists joined with %x1E, and %x1F
//        between them (characters XML cannot carry, so no list entry can forge a delimiter).
// In both: sorting with "i;octet" collation (RFC 4790 §9.3, plain byte order), the hash is the
// SCRAM mechanism's own hash, base64-encoded; only the mechanism list of the SASL profile in use
// (SASL1 or SASL2) counts. Versions 0.1/0.2 used another protocol and are not recognised.
//
// The published examples (SHA-1 over SCRAM-SHA-1, SCRAM-SHA-1-PLUS | tls-exporter,
// tls-server-end-point) are test vectors in test/unit/sasl/downgrade-protection.test.ts.
import { digest, type ScramHash } from './scram.ts';

export type SsdpFormat = '0.3' | '0.4';

/** The SCRAM attribute each format uses. */
export const SSDP_ATTRIBUTE: Record<SsdpFormat, string> = { '0.3': 'd', '0.4': 'h' };

const DELIMS: Record<SsdpFormat, { item: string; lists: string }> = {
  '0.3': { item: ',', lists: '|' },
  '0.4': { item: '\x1e', lists: '\x1f' },
};

const octetSort = (xs: readonly string[]) => [...xs].sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));

/**
 * The string S the hash is taken over. `channelBindings` is undefined when the server did not
 * advertise XEP-0440 at all (then neither the list delimiter nor the list is appended).
 */
export function ssdpInput(format: SsdpFormat, mechanisms: readonly string[], channelBindings: readonly string[] | undefined): string {
  const d = DELIMS[format];
  let s = octetSort(mechanisms).join(d.item);
  if (channelBindings !== undefined) s += d.lists + octetSort(channelBindings).join(d.item);
  return s;
}

export function ssdpHash(format: SsdpFormat, hash: ScramHash, mechanisms: readonly string[], channelBindings: readonly string[] | undefined): string {
  return digest(hash, Buffer.from(ssdpInput(format, mechanisms, channelBindings), 'utf8')).toString('base64');
}

export type SsdpCheck =
  | { state: 'absent' }
  /** The server's hash equals ours: the lists we saw are the lists it sent. */
  | { state: 'match'; format: SsdpFormat }
  /** The server's hash differs: someone changed the features (or the server counts differently). */
  | { state: 'mismatch'; format: SsdpFormat; received: string; expected: string };

/**
 * Check the XEP-0474 attribute of a server-first-message against what we were advertised. When
 * both d= and h= are present (a server speaking both), both must match.
 */
export function checkSsdp(
  extensions: Readonly<Record<string, string>>,
  hash: ScramHash,
  advertised: { mechanisms: readonly string[]; channelBindings: readonly string[] | undefined },
): SsdpCheck {
  let result: SsdpCheck = { state: 'absent' };
  for (const format of ['0.4', '0.3'] as const) {
    const received = extensions[SSDP_ATTRIBUTE[format]];
    if (received === undefined) continue;
    const expected = ssdpHash(format, hash, advertised.mechanisms, advertised.channelBindings);
    if (received !== expected) return { state: 'mismatch', format, received, expected };
    if (result.state === 'absent') result = { state: 'match', format };
  }
  return result;
}
