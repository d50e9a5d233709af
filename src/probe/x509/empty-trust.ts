// A self-signed certificate whose private key was thrown away when it was made (openssl req
// -x509 -keyout /dev/null). Used as the *only* CA for the handshake: Node's
// getPeerCertificate(true) completes the chain it reports with issuers from the connection's
// trust store, which would show DANE-TA (RFC 7671 §5.2) and our reports certificates the server
// never sent. With this as the whole store there is nothing to add. Nothing can chain to it,
// and nothing is trusted because of it: PKIX is decided separately (pkix.ts).
export const EMPTY_TRUST_PEM = `-----BEGIN CERTIFICATE-----
MIIBwjCCAWegAwIBAgIUZ8HaOw7uKMoeBgGZqa7MrIvdN1AwCgYIKoZIzj0EAwIw
NTEzMDEGA1UEAwwqa2V5d2F0Y2ggZW1wdHkgdHJ1c3Qgc3RvcmUgKGtleSBkaXNj
YXJkZWQpMCAXDTI2MTEyMzE0MDE0MFoYDzIxMjYxMDMwMTQwMTQwWjA1MTMwMQYD
VQQDDCprZXl3YXRjaCBlbXB0eSB0cnVzdCBzdG9yZSAoa2V5IGRpc2NhcmRlZCkw
WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQKCWO6/lh5xB7H/XdW28tLyOZ30zJg
o82NelM6DSrXy3xJhs8yMmW+FmZMR/aBpGE0yWkxIWf0uCCd91VUDDrAo1MwUTAd
BgNVHQ4EFgQUlEtRpOSu5hwljnRHe/IZo9/zICgwHwYDVR0jBBgwFoAUlEtRpOSu
5hwljnRHe/IZo9/zICgwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNJADBG
AiEAr92pjC/tOZ7t/l/hVv/gUOB00R+fLgCdcyzTugA2LyECIQCrZ2/3z/P7nKNg
X0bKpNo4TRG6b8hOMNNZ2ilBZyIFRw==
-----END CERTIFICATE-----
`;
