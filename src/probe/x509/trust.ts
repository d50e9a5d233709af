// Trust anchors for PKIX validation: the system's (Node's bundled Mozilla roots,
// `tls.rootCertificates`) or the certificates in a PEM file (any number; a lab's root CA, or a
// private CA an operator trusts).
import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { ProbeError } from '../errors.ts';

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

export function certificatesFromPem(pem: string): X509Certificate[] {
  return [...pem.matchAll(PEM_CERT)].map((m) => new X509Certificate(m[0]));
}

let system: X509Certificate[] | undefined;

export function systemAnchors(): X509Certificate[] {
  system ??= rootCertificates.map((p) => new X509Certificate(p));
  return system;
}

// A CA file read once per content version (path, size, mtime), not once per probe.
const fileCache = new Map<string, X509Certificate[]>();

export function loadAnchors(caFile?: string): X509Certificate[] {
  if (!caFile) return systemAnchors();
  let version = '';
  try {
    const st = statSync(caFile);
    version = `${caFile}\0${st.size}\0${st.mtimeMs}`;
  } catch {
    // reported by the read below
  }
  const hit = version ? fileCache.get(version) : undefined;
  if (hit) return hit;
  const certs = readAnchors(caFile);
  if (version) {
    if (fileCache.size >= 16) fileCache.clear();
    fileCache.set(version, certs);
  }
  return certs;
}

function readAnchors(caFile: string): X509Certificate[] {
  let pem: string;
  try {
    pem = readFileSync(caFile, 'utf8');
  } catch (e) {
    throw new ProbeError('config', `cannot read CA file ${caFile}: ${(e as Error).message}`);
  }
  let certs: X509Certificate[];
  try {
    certs = certificatesFromPem(pem);
  } catch (e) {
    throw new ProbeError('config', `CA file ${caFile} holds an unreadable certificate: ${(e as Error).message}`);
  }
  if (!certs.length) throw new ProbeError('config', `CA file ${caFile} holds no PEM certificate`);
  return certs;
}
