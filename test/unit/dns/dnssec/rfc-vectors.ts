// Published DNSSEC test vectors, transcribed from the RFC texts, and the small wire helpers the
// tests need to turn them into bytes (the DNS codec is deliberately not used: these tests check
// the crypto layer on its own).

export const b64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'base64'));
export const hex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
export const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
export const concat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

/** Wire form of a plain presentation name ("www.example.net."), no escapes. */
export function nameWire(text: string): Uint8Array {
  const labels = text.replace(/\.$/, '').split('.').filter((l) => l.length > 0);
  const parts: number[] = [];
  for (const label of labels) parts.push(label.length, ...Buffer.from(label, 'ascii'));
  parts.push(0);
  return new Uint8Array(parts);
}

export const u16 = (n: number): Uint8Array => new Uint8Array([n >>> 8, n & 0xff]);
export const u32 = (n: number): Uint8Array => new Uint8Array([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);

/** RRSIG timestamps in YYYYMMDDHHmmSS (RFC 4034 §3.2) to seconds since the epoch. */
export function rrsigTime(text: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(text);
  if (!m) throw new Error(`bad time ${text}`);
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, s) / 1000;
}

export function dnskeyRdata(flags: number, algorithm: number, publicKeyB64: string): Uint8Array {
  return concat(u16(flags), new Uint8Array([3, algorithm]), b64(publicKeyB64));
}

export interface RrsigVector {
  readonly typeCovered: number;
  readonly algorithm: number;
  readonly labels: number;
  readonly originalTtl: number;
  readonly expiration: number;
  readonly inception: number;
  readonly keyTag: number;
  readonly signer: string;
  readonly signatureB64: string;
}

/** RRSIG RDATA without the signature, assembled field by field (RFC 4034 §3.1). */
export function rrsigPrefixBytes(v: RrsigVector): Uint8Array {
  return concat(
    u16(v.typeCovered),
    new Uint8Array([v.algorithm, v.labels]),
    u32(v.originalTtl),
    u32(v.expiration),
    u32(v.inception),
    u16(v.keyTag),
    nameWire(v.signer),
  );
}

/** RR(i) of RFC 4034 §3.1.8.1: owner | type | class | TTL | RDLENGTH | RDATA. */
export function rrWire(owner: string, type: number, ttl: number, rdata: Uint8Array): Uint8Array {
  return concat(nameWire(owner), u16(type), u16(1), u32(ttl), u16(rdata.length), rdata);
}

export const TYPE_A = 1;
export const TYPE_MX = 15;

// --- RFC 4034 §5.4: DS RR example (algorithm 5, digest type 1) ------------------------------------
export const RFC4034_DSKEY = {
  owner: 'dskey.example.com.',
  flags: 256,
  algorithm: 5,
  publicKey: `AQOeiiR0GOMYkDshWoSKz9Xz fwJr1AYtsmx3TGkJaNXVbfi/ 2pHm822aJ5iI9BMzNXxeYCmZ DRD99WYwYqUSdjMmmAphXdvx
              egXd/M5+X7OrzKBaMbCVdFLU Uh6DhweJBjEVv5f2wwjM9Xzc nOf+EPbtG9DMBmADjFDc2w/r ljwvFw==`,
  keyTag: 60485,
  dsSha1: '2BB183AF5F22588179A53B0A98631FAD1A292118',
} as const;

// --- RFC 5702 §6: RSA/SHA-256 and RSA/SHA-512 over www.example.net. A 192.0.2.91 ------------------
export interface RsaVector {
  readonly section: string;
  readonly algorithm: number;
  readonly flags: number;
  readonly publicKey: string;
  readonly keyTag: number;
  readonly keyBits: number;
  /** The private key as printed in the RFC (base64 big-endian integers). */
  readonly privateKey: { readonly n: string; readonly e: string; readonly d: string; readonly p: string; readonly q: string; readonly dp: string; readonly dq: string; readonly qi: string };
  readonly rrsig: RrsigVector;
}

export const RFC5702_OWNER = 'www.example.net.';
export const RFC5702_A_RDATA = new Uint8Array([192, 0, 2, 91]);

export const RFC5702: readonly RsaVector[] = [
  {
    section: 'RFC 5702 §6.1 RSA/SHA-256',
    algorithm: 8,
    flags: 256,
    publicKey: `AwEAAcFcGsaxxdgiuuGmCkVI my4h99CqT7jwY3pexPGcnUFtR2Fh36BponcwtkZ4cAgtvd4Qs8P kxUdp6p/DlUmObdk=`,
    keyTag: 9033,
    keyBits: 512,
    privateKey: {
      n: 'wVwaxrHF2CK64aYKRUibLiH30KpPuPBjel7E8ZydQW1HYWHfoGmidzC2RnhwCC293hCzw+TFR2nqn8OVSY5t2Q==',
      e: 'AQAB',
      d: 'UR44xX6zB3eaeyvTRzmskHADrPCmPWnr8dxsNwiDGHzrMKLN+i/HAam+97HxIKVWNDH2ba9Mf1SA8xu9dcHZAQ==',
      p: '4c8IvFu1AVXGWeFLLFh5vs7fbdzdC6U82fduE6KkSWk=',
      q: '2zZpBE8ZXVnL74QjG4zINlDfH+EOEtjJJ3RtaYDugvE=',
      dp: 'G2xAPFfK0KGxGANDVNxd1K1c9wOmmJ51mGbzKFFNMFk=',
      dq: 'GYxP1Pa7CAwtHm8SAGX594qZVofOMhgd6YFCNyeVpKE=',
      qi: 'icQdNRjlZGPmuJm2TIadubcO8X7V4y07aVhX464tx8Q=',
    },
    rrsig: {
      typeCovered: TYPE_A,
      algorithm: 8,
      labels: 3,
      originalTtl: 3600,
      expiration: rrsigTime('20300101000000'),
      inception: rrsigTime('20000101000000'),
      keyTag: 9033,
      signer: 'example.net.',
      signatureB64: `kRCOH6u7l0QGy9qpC9 l1sLncJcOKFLJ7GhiUOibu4teYp5VE9RncriShZNz85mwlMgNEa cFYK/lPtPiVYP4bwg==`,
    },
  },
  {
    section: 'RFC 5702 §6.2 RSA/SHA-512',
    algorithm: 10,
    flags: 256,
    publicKey: `AwEAAdHoNTOW+et86KuJOWRD p1pndvwb6Y83nSVXXyLA3DLroROUkN6X0O6pnWnjJQujX/AyhqFD
                xj13tOnD9u/1kTg7cV6rklMrZDtJCQ5PCl/D7QNPsgVsMu1J2Q8g pMpztNFLpPBz1bWXjDtaR7ZQBlZ3PFY12ZTSncorffcGmhOL`,
    keyTag: 3740,
    keyBits: 1024,
    privateKey: {
      n: `0eg1M5b563zoq4k5ZEOnWmd2/BvpjzedJVdfIsDcMuuhE5SQ3pf Q7qmdaeMlC6Nf8DKGoUPGPXe06cP27/WRODtxXquSUytkO0kJDk
          8KX8PtA0+yBWwy7UnZDyCkynO00Uuk8HPVtZeMO1pHtlAGVnc8V jXZlNKdyit99waaE4s=`,
      e: 'AQAB',
      d: `rFS1IPbJllFFgFc33B5DDlC1egO8e81P4fFadODbp56V7sphKa6 AZQCx8NYAew6VXFFPAKTw41QdHnK5kIYOwxvfFDjDcUGza88qbj
          yrDPSJenkeZbISMUSSqy7AMFzEolkk6WSn6k3thUVRgSlqDoOV3 SEIAsrB043XzGrKIVE=`,
      p: '8mbtsu9Tl9v7tKSHdCIeprLIQXQLzxlSZun5T1n/OjvXSUtvD7x nZJ+LHqaBj1dIgMbCq2U8O04QVcK3TS9GiQ==',
      q: '3a6gkfs74d0Jb7yL4j4adAif4fcp7ZrGt7G5NRVDDY/Mv4TERAK Ma0TKN3okKE0A7X+Rv2K84mhT4QLDlllEcw==',
      dp: 'v3D5A9uuCn5rgVR7wgV8ba0/KSpsdSiLgsoA42GxiB1gvvs7gJM MmVTDu/ZG1p1ZnpLbhh/S/Qd/MSwyNlxC+Q==',
      dq: 'm+ezf9dsDvYQK+gzjOLWYeKq5xWYBEYFGa3BLocMiF4oxkzOZ3J PZSWU/h1Fjp5RV7aPP0Vmx+hNjYMPIQ8Y5w==',
      qi: 'Je5YhYpUron/WdOXjxNAxDubAp3i5X7UOUfhJcyIggqwY86IE0Q /Bk0Dw4SC9zxnsimmdBXW2Izd8Lwuk8FQcQ==',
    },
    rrsig: {
      typeCovered: TYPE_A,
      algorithm: 10,
      labels: 3,
      originalTtl: 3600,
      expiration: rrsigTime('20300101000000'),
      inception: rrsigTime('20000101000000'),
      keyTag: 3740,
      signer: 'example.net.',
      signatureB64: `tsb4wnjRUDnB1BUi+t 6TMTXThjVnG+eCkWqjvvjhzQL1d0YRoOe0CbxrVDYd0xDtsuJRa eUw1ep94PzEWzr0iGYgZBWm/zpq+9fOuagYJRfDqfReKBzMweOL
                     DiNa8iP5g9vMhpuv6OPlvpXwm9Sa9ZXIbNl1MBGk0fthPgxdDLw =`,
    },
  },
];

// --- RFC 6605 §6: ECDSA P-256 and P-384 over www.example.net. A 192.0.2.1 -------------------------
export interface EcdsaVector {
  readonly section: string;
  readonly algorithm: number;
  readonly flags: number;
  readonly privateKey: string;
  readonly publicKey: string;
  readonly keyTag: number;
  readonly dsDigestType: number;
  readonly dsDigest: string;
  readonly rrsig: RrsigVector;
}

export const RFC6605_OWNER = 'www.example.net.';
export const RFC6605_ZONE = 'example.net.';
export const RFC6605_A_RDATA = new Uint8Array([192, 0, 2, 1]);

export const RFC6605: readonly EcdsaVector[] = [
  {
    section: 'RFC 6605 §6.1 P-256',
    algorithm: 13,
    flags: 257,
    privateKey: 'GU6SnQ/Ou+xC5RumuIUIuJZteXT2z0O/ok1s38Et6mQ=',
    publicKey: `GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edb krSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA==`,
    keyTag: 55648,
    dsDigestType: 2,
    dsDigest: 'b4c8c1fe2e7477127b27115656ad6256f424625bf5c1 e2770ce6d6e37df61d17',
    rrsig: {
      typeCovered: TYPE_A,
      algorithm: 13,
      labels: 3,
      originalTtl: 3600,
      expiration: rrsigTime('20100909100439'),
      inception: rrsigTime('20100812100439'),
      keyTag: 55648,
      signer: 'example.net.',
      signatureB64: `qx6wLYqmh+l9oCKTN6qIc+bw6ya+KJ8oMz0YP107epXA yGmt+3SNruPFKG7tZoLBLlUzGGus7ZwmwWep666VCw==`,
    },
  },
  {
    section: 'RFC 6605 §6.2 P-384',
    algorithm: 14,
    flags: 257,
    privateKey: 'WURgWHCcYIYUPWgeLmiPY2DJJk02vgrmTfitxgqcL4vw W7BOrbawVmVe0d9V94SR',
    publicKey: `xKYaNhWdGOfJ+nPrL8/arkwf2EY3MDJ+SErKivBVSum1 w/egsXvSADtNJhyem5RCOpgQ6K8X1DRSEkrbYQ+OB+v8
                /uX45NBwY8rp65F6Glur8I/mlVNgF6W/qTI37m40`,
    keyTag: 10771,
    dsDigestType: 4,
    dsDigest: '72d7b62976ce06438e9c0bf319013cf801f09ecc84b8 d7e9495f27e305c6a9b0563a9b5f4d288405c3008a94 6df983d6',
    rrsig: {
      typeCovered: TYPE_A,
      algorithm: 14,
      labels: 3,
      originalTtl: 3600,
      expiration: rrsigTime('20100909102025'),
      inception: rrsigTime('20100812102025'),
      keyTag: 10771,
      signer: 'example.net.',
      signatureB64: `/L5hDKIvGDyI1fcARX3z65qrmPsVz73QD1Mr5CEqOiLP 95hxQouuroGCeZOvzFaxsT8Glr74hbavRKayJNuydCuz
                     WTSSPdz7wnqXL5bdcJzusdnI0RSMROxxwGipWcJm`,
    },
  },
];

// --- RFC 8080 §6: Ed25519 and Ed448 over example.com. MX 10 mail.example.com. ----------------------
// The RRSIGs as printed in the RFC are wrong (verified erratum 4935): the generating script
// omitted the algorithm field and counted the root as a label (Labels 3 instead of 2), and signed
// with that wrong count. `signatureB64` is the erratum's corrected signature (Labels 2);
// `publishedSignatureB64` is the RFC's original, which verifies only over Labels = 3.
export interface EddsaVector {
  readonly section: string;
  readonly algorithm: number;
  readonly privateKey: string;
  readonly publicKey: string;
  readonly keyTag: number;
  readonly dsSha256: string;
  readonly signatureB64: string;
  readonly publishedSignatureB64: string;
}

export const RFC8080_OWNER = 'example.com.';
/** MX 10 mail.example.com. */
export const RFC8080_MX_RDATA = concat(u16(10), nameWire('mail.example.com.'));
export const RFC8080_EXPIRATION = 1440021600;
export const RFC8080_INCEPTION = 1438207200;

export const RFC8080: readonly EddsaVector[] = [
  {
    section: 'RFC 8080 §6.1 Ed25519 (first key)',
    algorithm: 15,
    privateKey: 'ODIyNjAzODQ2MjgwODAxMjI2NDUxOTAyMDQxNDIyNjI=',
    publicKey: 'l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=',
    keyTag: 3613,
    dsSha256: '3aa5ab37efce57f737fc1627013fee07bdf241bd10f3b1964ab55c78e79 a304b',
    signatureB64: 'oL9krJun7xfBOIWcGHi7mag5/hdZrKWw15jPGrHpjQeRAvTdszaPD+QLs3f x8A4M3e23mRZ9VrbpMngwcrqNAg==',
    publishedSignatureB64: 'Edk+IB9KNNWg0HAjm7FazXyrd5m3Rk8zNZbvNpAcM+eysqcUOMIjWoevFkj H5GaMWeG96GUVZu6ECKOQmemHDg==',
  },
  {
    section: 'RFC 8080 §6.1 Ed25519 (second key)',
    algorithm: 15,
    privateKey: 'DSSF3o0s0f+ElWzj9E/Osxw8hLpk55chkmx0LYN5WiY=',
    publicKey: 'zPnZ/QwEe7S8C5SPz2OfS5RR40ATk2/rYnE9xHIEijs=',
    keyTag: 35217,
    dsSha256: '401781b934e392de492ec77ae2e15d70f6575a1c0bc59c5275c04ebe80c 6614c',
    signatureB64: 'zXQ0bkYgQTEFyfLyi9QoiY6D8ZdYo4wyUhVioYZXFdT410QPRITQSqJSnzQ oSm5poJ7gD7AQR0O7KuI5k2pcBg==',
    publishedSignatureB64: '5LL2obmzdqjWI+Xto5eP5adXt/T5tMhasWvwcyW4L3SzfcRawOle9bodhC+ oip9ayUGjY9T/rL4rN3bOuESGDA==',
  },
  {
    section: 'RFC 8080 §6.2 Ed448 (first key)',
    algorithm: 16,
    privateKey: 'xZ+5Cgm463xugtkY5B0Jx6erFTXp13rYegst0qRtNsOYnaVpMx0Z/c5EiA9x 8wWbDDct/U3FhYWA',
    publicKey: '3kgROaDjrh0H2iuixWBrc8g2EpBBLCdGzHmn+G2MpTPhpj/OiBVHHSfPodx 1FYYUcJKm1MDpJtIA',
    keyTag: 9713,
    dsSha256: '6ccf18d5bc5d7fc2fceb1d59d17321402f2aa8d368048db93dd811f5cb2 b19c7',
    signatureB64: `3cPAHkmlnxcDHMyg7vFC34l0blBhuG1qpwLmjInI8w1CMB29FkEAIJUA0am xWndkmnBZ6SKiwZSAxGILn/NBtOXft0+Gj7FSvOKxE/07+4RQvE581N3Aj/
                   JtIyaiYVdnYtyMWbSNyGEY2213WKsJlwEA`,
    publishedSignatureB64: `Nmc0rgGKpr3GKYXcB1JmqqS4NYwhmechvJTqVzt3jR+Qy/lSLFoIk1L+9e3 9GPL+5tVzDPN3f9kAwiu8KCuPPjtl227ayaCZtRKZuJax7n9NuYlZJIusX0
                            SOIOKBGzG+yWYtz1/jjbzl5GGkWvREUCUA`,
  },
  {
    section: 'RFC 8080 §6.2 Ed448 (second key)',
    algorithm: 16,
    privateKey: 'WEykD3ht3MHkU8iH4uVOLz8JLwtRBSqiBoM6fF72+Mrp/u5gjxuB1DV6NnPO 2BlZdz4hdSTkOdOA',
    publicKey: 'kkreGWoccSDmUBGAe7+zsbG6ZAFQp+syPmYUurBRQc3tDjeMCJcVMRDmgcN Lp5HlHAMy12VoISsA',
    keyTag: 38353,
    dsSha256: '645ff078b3568f5852b70cb60e8e696cc77b75bfaaffc118cf79cbda1ba 28af4',
    signatureB64: `E1/oLjSGIbmLny/4fcgM1z4oL6aqo+izT3urCyHyvEp4Sp8Syg1eI+lJ57C SnZqjJP41O/9l4m0AsQ4f7qI1gVnML8vWWiyW2KXhT9kuAICUSxv5OWbf81
                   Rq7Yu60npabODB0QFPb/rkW3kUZmQ0YQUA`,
    publishedSignatureB64: `+JjANio/LIzp7osmMYE5XD3H/YES8kXs5Vb9H8MjPS8OAGZMD37+LsCIcjg 5ivt0d4Om/UaqETEAsJjaYe56CEQP5lhRWuD2ivBqE0zfwJTyp4WqvpULbp
                            vaukswvv/WNEFxzEYQEIm9+xDlXj4pMAMA`,
  },
];

/** RRSIG for an RFC 8080 vector with the given Labels value (2 is right; 3 is the RFC's bug). */
export function rfc8080Rrsig(v: EddsaVector, labels: number, signatureB64: string): RrsigVector {
  return {
    typeCovered: TYPE_MX,
    algorithm: v.algorithm,
    labels,
    originalTtl: 3600,
    expiration: RFC8080_EXPIRATION,
    inception: RFC8080_INCEPTION,
    keyTag: v.keyTag,
    signer: RFC8080_OWNER,
    signatureB64,
  };
}

// --- RFC 5155 Appendix A (and B): NSEC3 hashes, SHA-1, 12 iterations, salt aabbccdd ---------------
export const RFC5155_SALT = 'aabbccdd';
export const RFC5155_ITERATIONS = 12;
export const RFC5155_HASHES: ReadonlyArray<readonly [string, string]> = [
  ['example', '0p9mhaveqvm6t7vbl5lop2u3t2rp3tom'],
  ['a.example', '35mthgpgcu1qg68fab165klnsnk3dpvl'],
  ['ai.example', 'gjeqe526plbf1g8mklp59enfd789njgi'],
  ['ns1.example', '2t7b4g4vsa5smi47k61mv5bv1a22bojr'],
  ['ns2.example', 'q04jkcevqvmu85r014c7dkba38o0ji5r'],
  ['w.example', 'k8udemvp1j2f7eg6jebps17vp3n8i58h'],
  ['*.w.example', 'r53bq7cc2uvmubfu5ocmm6pers9tk9en'],
  ['x.w.example', 'b4um86eghhds6nea196smvmlo4ors995'],
  ['y.w.example', 'ji6neoaepv8b5o6k4ev33abha8ht9fgc'],
  ['x.y.w.example', '2vptu5timamqttgl4luu9kg21e0aor3s'],
  ['xx.example', 't644ebqk9bibcna874givr6joj62mlhv'],
  ['2t7b4g4vsa5smi47k61mv5bv1a22bojr.example', 'kohar7mbb8dc2ce8a9qvl8hon4k53uhi'],
  // Appendix B (responses): names that do not exist in the zone.
  ['c.x.w.example', '0va5bpr2ou0vk0lbqeeljri88laipsfh'],
  ['*.x.w.example', '92pqneegtaue7pjatc3l3qnk738c6v5m'],
  ['c.example', '4g6p9u5gvfshp30pqecj98b3maqbn1ck'],
  ['z.w.example', 'qlu7gtfaeh0ek0c05ksfhdpbcgglbe03'],
];
