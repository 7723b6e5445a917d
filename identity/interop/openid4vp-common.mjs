// Helpers the npm OpenID4VP wallet and verifier share: trust in x5c
// chains, the crypto callbacks @animo-id/mdoc asks for, and the OpenID4VP
// 1.0 mdoc SessionTranscript.
import crypto from 'node:crypto';
import { DataItem, cborEncode } from '@animo-id/mdoc';
import * as jose from 'jose';

export const MDL_DOCTYPE = 'org.iso.18013.5.1.mDL';
export const MDL_NAMESPACE = 'org.iso.18013.5.1';

export const b64u = (buf) => Buffer.from(buf).toString('base64url');
export const sha256 = (data) => new Uint8Array(crypto.createHash('sha256').update(data).digest());

// ---- trust: an x5c chain up to a configured root ----

export function pemCerts(pem) {
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map(
    (m) => new crypto.X509Certificate(m[0]),
  );
}

// checkChain throws unless certs (X509Certificate, leaf first, root left
// out as HAIP says) chain to one of roots and every certificate is within
// its validity; it returns the leaf.
export function checkChain(certs, roots) {
  const now = Date.now();
  for (const c of certs) {
    if (now < Date.parse(c.validFrom) || now > Date.parse(c.validTo)) {
      throw new Error(`certificate ${c.subject} is outside its validity`);
    }
  }
  for (let i = 0; i + 1 < certs.length; i++) {
    if (!certs[i].checkIssued(certs[i + 1]) || !certs[i].verify(certs[i + 1].publicKey)) {
      throw new Error(`chain[${i}] is not signed by chain[${i + 1}]`);
    }
  }
  const last = certs[certs.length - 1];
  if (!roots.some((r) => last.checkIssued(r) && last.verify(r.publicKey))) {
    throw new Error(`the chain does not reach a trusted root (last: ${last.subject}, issuer ${last.issuer})`);
  }
  return certs[0];
}

// ---- mdoc ----

export function mdocContext() {
  const signWith = (jwk, data) => {
    const key = crypto.createPrivateKey({ key: jwk, format: 'jwk' });
    return new Uint8Array(crypto.sign('sha256', Buffer.from(data), { key, dsaEncoding: 'ieee-p1363' }));
  };
  return {
    crypto: {
      random: (n) => new Uint8Array(crypto.randomBytes(n)),
      digest: ({ digestAlgorithm, bytes }) => {
        if (digestAlgorithm !== 'SHA-256') throw new Error(`digest ${digestAlgorithm} not supported`);
        return sha256(bytes);
      },
      calculateEphemeralMacKeyJwk: () => {
        throw new Error('MAC device authentication is not supported here: signatures only');
      },
    },
    cose: {
      sign1: {
        sign: ({ sign1, jwk }) => signWith(jwk, sign1.getRawSigningData().data),
        verify: ({ sign1, jwk }) => {
          const { data, signature } = sign1.getRawVerificationData();
          const key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
          return crypto.verify('sha256', Buffer.from(data), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature));
        },
      },
      mac0: {
        sign: () => {
          throw new Error('no MAC');
        },
        verify: () => false,
      },
    },
  };
}

// mdocX509 is the X509Context @animo-id/mdoc's Verifier asks for, on
// node:crypto: the document signer chain up to the trusted IACAs.
export const mdocX509 = {
  getIssuerNameField: ({ certificate, field }) =>
    new crypto.X509Certificate(Buffer.from(certificate)).issuer
      .split('\n')
      .filter((l) => l.startsWith(field + '='))
      .map((l) => l.slice(field.length + 1)),
  getPublicKey: ({ certificate }) => new crypto.X509Certificate(Buffer.from(certificate)).publicKey.export({ format: 'jwk' }),
  validateCertificateChain: ({ trustedCertificates, x5chain }) => {
    const der = (b) => new crypto.X509Certificate(Buffer.from(b));
    checkChain(x5chain.map(der), trustedCertificates.map(der));
  },
  getCertificateData: ({ certificate }) => {
    const c = new crypto.X509Certificate(Buffer.from(certificate));
    return {
      issuerName: c.issuer,
      subjectName: c.subject,
      serialNumber: c.serialNumber,
      thumbprint: c.fingerprint256,
      notBefore: new Date(c.validFrom),
      notAfter: new Date(c.validTo),
      pem: c.toString(),
    };
  },
};

// openid4vpHandoverTranscript is the OpenID4VP 1.0 SessionTranscript
// (Appendix B.2.6.1), built from @animo-id/mdoc's own CBOR encoder:
//   [null, null, ["OpenID4VPHandover", SHA-256(CBOR([client_id, nonce, jwk_thumbprint, response_uri]))]]
// @animo-id/mdoc 0.5.2's usingSessionTranscriptForOID4VP implements the
// older ISO 18013-7 (2024 draft) handover instead, so it cannot be used
// against an OpenID4VP 1.0 verifier (docs/interop.md).
export async function openid4vpHandoverTranscript({ clientId, nonce, responseUri, encJwk }) {
  const thumb = Buffer.from(await jose.calculateJwkThumbprint(encJwk, 'sha256'), 'base64url');
  const info = cborEncode([clientId, nonce, new Uint8Array(thumb), responseUri]);
  return cborEncode(DataItem.fromData([null, null, ['OpenID4VPHandover', sha256(info)]]));
}

