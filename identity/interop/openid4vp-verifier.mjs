// An OpenID4VP 1.0 verifier built on the OpenWallet Foundation / Animo
// libraries, for checking frontdoor's own wallet (fdwallet) against them:
//   @openid4vc/openid4vp  creates the signed request (JAR by reference,
//                         x509_hash client id, DCQL, direct_post.jwt) and
//                         decrypts and validates the response (state,
//                         vp_token keyed by DCQL id);
//   @sd-jwt/sd-jwt-vc     verifies the SD-JWT VC and its KB-JWT;
//   @animo-id/mdoc        verifies the DeviceResponse (issuer signature,
//                         chain to the IACA, digests, device signature).
//
//   node openid4vp-verifier.mjs --cert=CHAIN.pem --key=KEY.pem
//       --issuer-jwks=JWKS.json (SD-JWT VC issuer keys) --iaca=IACA.pem [--allow-http]
//
// It listens on 127.0.0.1, prints {"link":"openid4vp://…"} and waits for
// one answer; it then prints {"verified":true,"format","claims",…} (exit 0)
// or {"verified":false,"error"} (exit 1) and answers the wallet 200 {} or
// 400 {"error","error_description"}.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { parseArgs } from 'node:util';
import { Openid4vpVerifier } from '@openid4vc/openid4vp';
import { setGlobalConfig } from '@openid4vc/utils';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { digest as sdDigest } from '@sd-jwt/crypto-nodejs';
import { Verifier as MdocVerifier } from '@animo-id/mdoc';
import * as jose from 'jose';
import {
  MDL_DOCTYPE,
  MDL_NAMESPACE,
  b64u,
  sha256,
  pemCerts,
  mdocContext,
  mdocX509,
  openid4vpHandoverTranscript,
} from './openid4vp-common.mjs';

const SD_JWT_CLAIMS = ['given_name', 'family_name', 'birthdate'];
const MDL_CLAIMS = ['given_name', 'family_name', 'birth_date'];

function verifyJws(jwk, data, sig) {
  const key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
  const alg = JSON.parse(Buffer.from(data.split('.')[0], 'base64url')).alg;
  const signature = Buffer.from(sig, 'base64url');
  if (alg === 'ES256') return crypto.verify('sha256', Buffer.from(data), { key, dsaEncoding: 'ieee-p1363' }, signature);
  if (alg === 'EdDSA') return crypto.verify(null, Buffer.from(data), key, signature);
  return false;
}

// verifyCallbacks are what the library needs on the verifier side: sign
// the JAR with the x5c leaf's key, decrypt the direct_post.jwt response.
function verifierCallbacks(signingKey, encPrivate) {
  return {
    hash: (data) => sha256(data),
    generateRandom: (n) => new Uint8Array(crypto.randomBytes(n)),
    signJwt: async (signer, { header, payload }) => {
      const jwt = await new jose.CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
        .setProtectedHeader(header)
        .sign(signingKey);
      return { jwt, signerJwk: crypto.createPublicKey(signingKey).export({ format: 'jwk' }) };
    },
    decryptJwe: async (jwe) => {
      try {
        const { plaintext } = await jose.compactDecrypt(jwe, encPrivate.key, {
          keyManagementAlgorithms: ['ECDH-ES'],
          contentEncryptionAlgorithms: ['A128GCM', 'A256GCM'],
        });
        return { decrypted: true, decryptionJwk: encPrivate.publicJwk, payload: new TextDecoder().decode(plaintext) };
      } catch {
        return { decrypted: false };
      }
    },
    verifyJwt: () => ({ verified: false }),
    encryptJwe: () => {
      throw new Error('this verifier encrypts nothing');
    },
  };
}

async function checkSdJwt(presentation, request, issuerJwks) {
  const sdjwt = new SDJwtVcInstance({
    hasher: sdDigest,
    verifier: (data, sig) => issuerJwks.keys.some((k) => verifyJws(k, data, sig)),
    kbVerifier: (data, sig, payload) => verifyJws(payload.cnf.jwk, data, sig),
  });
  const res = await sdjwt.verify(presentation, {
    keyBindingNonce: request.nonce,
    requiredClaimKeys: SD_JWT_CLAIMS,
    skewSeconds: 60,
  });
  if (!res.kb) throw new Error('no key binding JWT');
  if (res.kb.payload.aud !== request.client_id) {
    throw new Error(`KB-JWT aud ${res.kb.payload.aud}, want the client_id ${request.client_id}`);
  }
  const all = await sdjwt.getClaims(presentation);
  const claims = Object.fromEntries(SD_JWT_CLAIMS.map((c) => [c, all[c]]));
  return { claims, typ: res.header?.typ, vct: res.payload?.vct, kb: { aud: res.kb.payload.aud, nonce: res.kb.payload.nonce } };
}

async function checkMdoc(encoded, request, encJwk, iacas) {
  const transcript = await openid4vpHandoverTranscript({
    clientId: request.client_id,
    nonce: request.nonce,
    responseUri: request.response_uri,
    encJwk,
  });
  const ctx = { ...mdocContext(), x509: mdocX509 };
  const dr = await new MdocVerifier().verifyDeviceResponse(
    {
      encodedDeviceResponse: Buffer.from(encoded, 'base64url'),
      encodedSessionTranscript: transcript,
      trustedCertificates: iacas.map((c) => new Uint8Array(c.raw)),
    },
    ctx,
  );
  const doc = dr.documents.find((d) => d.docType === MDL_DOCTYPE);
  if (!doc) throw new Error(`no ${MDL_DOCTYPE} document`);
  // Only what was disclosed and digest-checked is in the namespace (a Map).
  const claims = {};
  for (const [k, v] of doc.getIssuerNameSpace(MDL_NAMESPACE) ?? new Map()) {
    claims[k] = v instanceof Date ? v.toISOString().slice(0, 10) : String(v);
  }
  return { claims, doctype: doc.docType };
}

async function main(opts) {
  if (opts['allow-http']) setGlobalConfig({ allowInsecureUrls: true });
  const chain = pemCerts(fs.readFileSync(opts.cert, 'utf8'));
  const signingKey = crypto.createPrivateKey(fs.readFileSync(opts.key, 'utf8'));
  const issuerJwks = JSON.parse(fs.readFileSync(opts['issuer-jwks'], 'utf8'));
  const iacas = pemCerts(fs.readFileSync(opts.iaca, 'utf8'));
  const enc = await jose.generateKeyPair('ECDH-ES', { crv: 'P-256', extractable: true });
  const encPublic = { ...(await jose.exportJWK(enc.publicKey)), kid: b64u(crypto.randomBytes(8)), use: 'enc', alg: 'ECDH-ES' };
  // x5c without the self-signed root, as HAIP asks.
  const x5c = chain.filter((c) => !(c.checkIssued(c) && c.verify(c.publicKey))).map((c) => c.raw.toString('base64'));
  const clientId = 'x509_hash:' + b64u(sha256(chain[0].raw));

  const server = http.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  const callbacks = verifierCallbacks(signingKey, { key: enc.privateKey, publicJwk: encPublic });
  const verifier = new Openid4vpVerifier({ callbacks });
  const created = await verifier.createOpenId4vpAuthorizationRequest({
    authorizationRequestPayload: {
      response_type: 'vp_token',
      client_id: clientId,
      response_mode: 'direct_post.jwt',
      response_uri: `${base}/response`,
      nonce: b64u(crypto.randomBytes(16)),
      state: b64u(crypto.randomBytes(16)),
      dcql_query: {
        credentials: [
          { id: 'pid', format: 'dc+sd-jwt', meta: { vct_values: ['urn:eudi:pid:1'] }, claims: SD_JWT_CLAIMS.map((c) => ({ path: [c] })) },
          { id: 'mdl', format: 'mso_mdoc', meta: { doctype_value: MDL_DOCTYPE }, claims: MDL_CLAIMS.map((c) => ({ path: [MDL_NAMESPACE, c] })) },
        ],
        credential_sets: [{ options: [['pid'], ['mdl']] }],
      },
      client_metadata: {
        jwks: { keys: [encPublic] },
        encrypted_response_enc_values_supported: ['A128GCM', 'A256GCM'],
        vp_formats_supported: { 'dc+sd-jwt': {}, mso_mdoc: {} },
      },
    },
    jar: {
      requestUri: `${base}/request`,
      jwtSigner: { method: 'x5c', x5c, alg: 'ES256' },
      expiresInSeconds: 300,
      additionalJwtPayload: { aud: 'https://self-issued.me/v2' },
    },
  });
  const request = created.authorizationRequestPayload;
  const jar = created.jar.authorizationRequestJwt;

  const verdict = new Promise((resolve) => {
    server.on('request', async (req, res) => {
      if (req.method === 'GET' && req.url === '/request') {
        res.writeHead(200, { 'Content-Type': 'application/oauth-authz-req+jwt', 'Cache-Control': 'no-store' });
        res.end(jar);
        return;
      }
      if (req.method !== 'POST' || req.url !== '/response') {
        res.writeHead(404).end();
        return;
      }
      let body = '';
      for await (const chunk of req) body += chunk;
      const form = Object.fromEntries(new URLSearchParams(body));
      let out;
      try {
        const parsed = await verifier.parseOpenid4vpAuthorizationResponse({
          authorizationResponse: form,
          authorizationRequestPayload: request,
          // Openid4vpVerifier.parseOpenid4vpAuthorizationResponse does not
          // pass its own callbacks on (0.4.6): they go here.
          callbacks,
        });
        if (parsed.type !== 'dcql') throw new Error(`response type ${parsed.type}, want dcql`);
        const ids = Object.keys(parsed.dcql.presentations);
        if (ids.length !== 1 || !['pid', 'mdl'].includes(ids[0])) throw new Error(`vp_token answers ${ids.join(', ')}`);
        const entry = parsed.dcql.presentations[ids[0]];
        const presentation = Array.isArray(entry) ? entry[0] : entry;
        const checked =
          ids[0] === 'pid'
            ? await checkSdJwt(presentation, request, issuerJwks)
            : await checkMdoc(presentation, request, encPublic, iacas);
        out = {
          verified: true,
          query_id: ids[0],
          ...checked,
          client_id: request.client_id,
          jwe_header: parsed.jarm?.jarmHeader,
          state_matched: true,
        };
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
      } catch (err) {
        out = { verified: false, error: err?.message ?? String(err) };
        res.writeHead(400, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: 'invalid_request', error_description: out.error }));
      }
      resolve(out);
    });
  });
  console.log(JSON.stringify({ link: created.authorizationRequest, client_id: clientId }));
  const timer = setTimeout(() => {
    console.log(JSON.stringify({ verified: false, error: 'no answer within 60 s' }));
    process.exit(1);
  }, 60000);
  const out = await verdict;
  clearTimeout(timer);
  server.close();
  console.log(JSON.stringify(out));
  process.exit(out.verified ? 0 : 1);
}

const { values } = parseArgs({
  options: {
    cert: { type: 'string' },
    key: { type: 'string' },
    'issuer-jwks': { type: 'string' },
    iaca: { type: 'string' },
    'allow-http': { type: 'boolean', default: false },
  },
});
try {
  await main(values);
} catch (err) {
  console.log(JSON.stringify({ verified: false, error: err?.message ?? String(err), stack: err?.stack }));
  process.exit(2);
}
