// The identities a certificate carries in its subjectAltName (RFC 5280 §4.2.1.6), including
// the two otherName forms XMPP uses and Node's X509Certificate does not decode:
//   SRV-ID       id-on-dnsSRV   1.3.6.1.5.5.7.8.7, IA5String, e.g. `_xmpp-client.example.org`
//                (RFC 4985; RFC 7673 §3 and RFC 6125 for its use with DANE and SRV)
//   XmppAddr     id-on-xmppAddr 1.3.6.1.5.5.7.8.5, UTF8String (RFC 6120 §13.7.1.4, XEP-0178)
// The DER is walked with asn1js; anything that does not decode is reported as unreadable rather
// than thrown, since certificates are attacker-supplied.
import { memoByDer } from './memo.ts';
import * as asn1 from 'asn1js';

export const OID_SAN = '2.5.29.17';
export const OID_SRV_NAME = '1.3.6.1.5.5.7.8.7';
export const OID_XMPP_ADDR = '1.3.6.1.5.5.7.8.5';

export interface CertificateNames {
  dnsNames: string[];
  srvNames: string[];
  xmppAddrs: string[];
  ipAddresses: string[];
  /** otherNames with other OIDs, as `oid` strings. */
  otherNames: string[];
  /** Set when the SAN extension could not be decoded. */
  error?: string;
}

const CONTEXT = 3;
const isContext = (b: asn1.AsnType, n: number) => b.idBlock.tagClass === CONTEXT && b.idBlock.tagNumber === n;
const blocks = (b: asn1.AsnType | undefined): asn1.AsnType[] => {
  const v: unknown = (b?.valueBlock as { value?: unknown } | undefined)?.value;
  return Array.isArray(v) ? (v as asn1.AsnType[]) : [];
};

/** The raw extnValue bytes of extension `oid` in a DER certificate, if present. */
export function extensionValue(der: Uint8Array, oid: string): Uint8Array | undefined {
  const cert = asn1.fromBER(der);
  if (cert.offset === -1) throw new Error('the certificate is not valid DER');
  const tbs = blocks(cert.result)[0];
  const extsWrapper = blocks(tbs).find((b) => isContext(b, 3));
  for (const ext of blocks(blocks(extsWrapper)[0])) {
    const [id, ...rest] = blocks(ext);
    if (id instanceof asn1.ObjectIdentifier && id.valueBlock.toString() === oid) {
      const value = rest.at(-1);
      if (value instanceof asn1.OctetString) return value.valueBlock.valueHexView;
    }
  }
  return undefined;
}

function ipText(bytes: Uint8Array): string {
  if (bytes.length === 4) return [...bytes].join('.');
  if (bytes.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
    return groups.join(':');
  }
  return Buffer.from(bytes).toString('hex');
}

const stringOf = (b: asn1.AsnType | undefined): string | undefined => {
  if (b instanceof asn1.IA5String || b instanceof asn1.Utf8String) return b.valueBlock.value;
  return undefined;
};

/** Memoised by DER (x509/memo.ts): the result is shared, read-only. */
export const certificateNames = memoByDer(4096, decodeCertificateNames);

function decodeCertificateNames(der: Uint8Array): CertificateNames {
  const out: CertificateNames = { dnsNames: [], srvNames: [], xmppAddrs: [], ipAddresses: [], otherNames: [] };
  try {
    const san = extensionValue(der, OID_SAN);
    if (!san) return out;
    const parsed = asn1.fromBER(san);
    if (parsed.offset === -1) throw new Error('subjectAltName is not valid DER');
    for (const gn of blocks(parsed.result)) {
      if (gn.idBlock.tagClass !== CONTEXT) continue;
      const raw = (gn.valueBlock as { valueHexView?: Uint8Array }).valueHexView ?? new Uint8Array();
      switch (gn.idBlock.tagNumber) {
        case 0: {
          // otherName ::= [0] IMPLICIT SEQUENCE { type-id OID, value [0] EXPLICIT ANY }
          const [id, wrapped] = blocks(gn);
          const oid = id instanceof asn1.ObjectIdentifier ? id.valueBlock.toString() : '?';
          const value = wrapped && isContext(wrapped, 0) ? stringOf(blocks(wrapped)[0]) : undefined;
          if (oid === OID_SRV_NAME && value !== undefined) out.srvNames.push(value);
          else if (oid === OID_XMPP_ADDR && value !== undefined) out.xmppAddrs.push(value);
          else out.otherNames.push(oid);
          break;
        }
        case 2: // dNSName, IA5String
          out.dnsNames.push(Buffer.from(raw).toString('latin1'));
          break;
        case 7: // iPAddress
          out.ipAddresses.push(ipText(raw));
          break;
      }
    }
  } catch (e) {
    out.error = (e as Error).message;
  }
  return out;
}
