// Keys and certificates an admin hands keywatch as files (`--cert`, `--key`, `--next-key`):
// PEM certificates (a chain: leaf first, then its issuers), public keys, or private keys (only
// the public half is used, and nothing of the private key is kept or printed).
import { createHash, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { certificateSpki } from '../dane/tlsa-match.ts';

/** A file that holds no usable key material, or one keywatch must not read (encrypted key). */
export class KeyMaterialError extends Error {
  override name = 'KeyMaterialError';
}

export interface KeyMaterial {
  /** Where it came from, for messages: `FILE` or `FILE#2` for the second block. */
  source: string;
  /** The DER SubjectPublicKeyInfo, exactly as in the certificate when there is one. */
  spki: Uint8Array;
  spkiSha256: string;
  /** e.g. `RSA 2048`, `ECDSA P-256`, `Ed25519`. */
  keyType: string;
  /** When the material is a certificate: its DER, subject and dates. */
  certificate?: { der: Uint8Array; subject: string; notAfter: string; isCa: boolean };
  /** The certificate that issued it, when the file carried the chain. */
  issuer?: KeyMaterial;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

export function describeKey(key: KeyObject): string {
  const d = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss':
      return `RSA ${d.modulusLength ?? '?'}`;
    case 'ec': {
      const curve = d.namedCurve === 'prime256v1' ? 'P-256' : d.namedCurve === 'secp384r1' ? 'P-384' : d.namedCurve === 'secp521r1' ? 'P-521' : (d.namedCurve ?? '?');
      return `ECDSA ${curve}`;
    }
    case 'ed25519':
      return 'Ed25519';
    case 'ed448':
      return 'Ed448';
    default:
      return key.asymmetricKeyType ?? 'unknown key type';
  }
}

function fromCertificate(der: Uint8Array, source: string): KeyMaterial {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(der);
  } catch (e) {
    throw new KeyMaterialError(`${source}: not a valid X.509 certificate (${(e as Error).message})`);
  }
  const spki = certificateSpki(der);
  if (!spki) throw new KeyMaterialError(`${source}: the certificate's SubjectPublicKeyInfo could not be read`);
  return {
    source,
    spki,
    spkiSha256: sha256(spki),
    keyType: describeKey(cert.publicKey),
    certificate: { der, subject: cert.subject.replace(/\n/g, ', '), notAfter: new Date(Date.parse(cert.validTo)).toISOString(), isCa: cert.ca },
  };
}

function fromKey(pem: string, label: string, source: string): KeyMaterial {
  if (label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/.test(pem)) {
    throw new KeyMaterialError(`${source}: the private key is encrypted; give keywatch the certificate or the public key instead (openssl pkey -in KEY -pubout)`);
  }
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (e) {
    throw new KeyMaterialError(`${source}: not a usable ${label.toLowerCase()} (${(e as Error).message})`);
  }
  const spki = new Uint8Array(key.export({ type: 'spki', format: 'der' }));
  return { source, spki, spkiSha256: sha256(spki), keyType: describeKey(key) };
}

/**
 * Every key in a PEM text, in order. A run of certificates is a chain: each certificate's
 * `issuer` is the next one when that one signed it, so `2 1 1` can be computed for the leaf.
 */
export function parseKeyMaterial(text: string, file: string): KeyMaterial[] {
  const out: KeyMaterial[] = [];
  let n = 0;
  for (const m of text.matchAll(PEM_BLOCK)) {
    n++;
    const label = m[1]!;
    const source = n === 1 ? file : `${file}#${n}`;
    if (label === 'CERTIFICATE' || label === 'TRUSTED CERTIFICATE') {
      const b64 = m[2]!.replace(/\s+/g, '');
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw new KeyMaterialError(`${source}: the certificate's base64 is damaged`);
      out.push(fromCertificate(new Uint8Array(Buffer.from(b64, 'base64')), source));
    } else if (/(^|\s)(PUBLIC|PRIVATE) KEY$/.test(label)) {
      out.push(fromKey(m[0], label, source));
    } else if (label === 'EC PARAMETERS') {
      continue; // openssl ecparam -genkey writes the curve before the key
    } else {
      throw new KeyMaterialError(`${source}: a PEM block of type "${label}" holds no key keywatch can use; give a certificate, a public key or a private key`);
    }
  }
  if (out.length === 0) {
    throw new KeyMaterialError(`${file}: no PEM certificate or key found (DER files: convert with openssl x509 -inform der -in FILE)`);
  }
  // Chain the certificates: leaf first, then each issuer that follows it.
  const certs = out.filter((k) => k.certificate);
  for (let i = 0; i + 1 < certs.length; i++) {
    const child = new X509Certificate(certs[i]!.certificate!.der);
    const parent = new X509Certificate(certs[i + 1]!.certificate!.der);
    if (child.checkIssued(parent)) certs[i]!.issuer = certs[i + 1];
  }
  return out;
}

/**
 * The keys a file declares: the leaf of each chain (issuers ride along as `issuer`), and every
 * bare key. Certificates that only issue another one in the file are not keys of the server.
 */
export function loadKeyFile(file: string): KeyMaterial[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new KeyMaterialError(`${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  const all = parseKeyMaterial(text, file);
  const issuers = new Set(all.map((k) => k.issuer).filter((k) => k !== undefined));
  return all.filter((k) => !issuers.has(k));
}
