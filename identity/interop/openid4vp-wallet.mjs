// An OpenID4VP 1.0 wallet built on the OpenWallet Foundation / Animo
// libraries, independent of frontdoor's Go code:
//   @openid4vc/openid4vp  resolves and validates the authorization request
//                         (request_uri fetch, JAR, x509_hash client id) and
//                         creates and submits the direct_post.jwt response;
//   @sd-jwt/sd-jwt-vc     presents an SD-JWT VC with a KB-JWT;
//   @animo-id/mdoc        issues an mDL and makes the DeviceResponse;
//   jose / node:crypto    the crypto callbacks the libraries ask for.
//
//   node openid4vp-wallet.mjs --link='openid4vp://?client_id=…&request_uri=…'
//       --trust-root=ROOT.pem (the verifier's root; x5c is checked up to it)
//       --format=dc+sd-jwt --wallet=WALLET.json   (fdwallet's wallet file: credential + holder_key)
//     | --format=mso_mdoc --mdoc-signer-cert=DS.pem --mdoc-signer-key=DS.key --claims=JSON
//       [--wrong-nonce]  (answer bound to another nonce: the verifier must refuse)
//       [--allow-http]   (http:// request_uri and response_uri, for tests on 127.0.0.1)
//
// Prints one JSON line: {"ok":true,"status":200,"body":{…},…} when the
// verifier accepted; otherwise exits 1 with {"ok":false,"stage":"request"
// (this wallet refused the request) | "response" (the verifier refused the
// answer),"error":…}.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { Openid4vpClient } from '@openid4vc/openid4vp';
import { setGlobalConfig } from '@openid4vc/utils';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { digest as sdDigest } from '@sd-jwt/crypto-nodejs';
import { Document, DeviceResponse, MDoc, DateOnly } from '@animo-id/mdoc';
import * as jose from 'jose';
import {
  MDL_DOCTYPE,
  MDL_NAMESPACE,
  b64u,
  sha256,
  pemCerts,
  checkChain,
  mdocContext,
  openid4vpHandoverTranscript,
} from './openid4vp-common.mjs';

// ---- callbacks for @openid4vc/openid4vp ----

function openid4vpCallbacks(roots) {
  return {
    hash: (data, alg) => {
      if (alg !== 'sha-256') throw new Error(`hash ${alg} not supported`);
      return sha256(data);
    },
    generateRandom: (n) => new Uint8Array(crypto.randomBytes(n)),
    // The library decides which signer the JAR must have (x5c for
    // x509_hash) and leaves the signature and the trust decision to us.
    verifyJwt: async (signer, { compact }) => {
      if (signer.method !== 'x5c') return { verified: false };
      const leaf = checkChain(
        signer.x5c.map((c) => new crypto.X509Certificate(Buffer.from(c, 'base64'))),
        roots,
      );
      await jose.compactVerify(compact, leaf.publicKey, { algorithms: ['ES256'] });
      return { verified: true, signerJwk: leaf.publicKey.export({ format: 'jwk' }) };
    },
    getX509CertificateMetadata: (b64) => {
      const c = new crypto.X509Certificate(Buffer.from(b64, 'base64'));
      const san = (c.subjectAltName || '').split(', ');
      return {
        sanDnsNames: san.filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4)),
        sanUriNames: san.filter((s) => s.startsWith('URI:')).map((s) => s.slice(4)),
      };
    },
    encryptJwe: async (enc, data) => {
      const key = await jose.importJWK(enc.publicJwk, enc.alg);
      const kmp = {};
      if (enc.apu) kmp.apu = Buffer.from(enc.apu, 'base64url');
      if (enc.apv) kmp.apv = Buffer.from(enc.apv, 'base64url');
      const header = { alg: enc.alg, enc: enc.enc };
      if (enc.publicJwk.kid) header.kid = enc.publicJwk.kid;
      const jwe = await new jose.CompactEncrypt(new TextEncoder().encode(data))
        .setProtectedHeader(header)
        .setKeyManagementParameters(kmp)
        .encrypt(key);
      return { jwe, encryptionJwk: enc.publicJwk };
    },
    signJwt: () => {
      throw new Error('this wallet signs no JARM responses');
    },
    decryptJwe: () => {
      throw new Error('this wallet takes no encrypted requests');
    },
  };
}

// ---- DCQL: which credential query this wallet's credential answers ----

function pickQuery(dcql, format) {
  const q = dcql?.credentials?.find((c) => c.format === format);
  if (!q) throw new Error(`the DCQL query asks for no ${format} credential`);
  return q;
}

// ---- SD-JWT VC ----

function es256Signer(privateJwk) {
  const key = crypto.createPrivateKey({ key: privateJwk, format: 'jwk' });
  return async (data) => b64u(crypto.sign('sha256', Buffer.from(data), { key, dsaEncoding: 'ieee-p1363' }));
}

async function presentSdJwt(query, request, opts) {
  const wallet = JSON.parse(fs.readFileSync(opts.wallet, 'utf8'));
  const vctValues = query.meta?.vct_values ?? [];
  if (vctValues.length && !vctValues.includes(wallet.vct)) {
    throw new Error(`credential vct ${wallet.vct} is not among ${vctValues.join(', ')}`);
  }
  const sdjwt = new SDJwtVcInstance({
    hasher: sdDigest,
    kbSigner: es256Signer(wallet.holder_key),
    kbSignAlg: 'ES256',
  });
  const frame = {};
  for (const c of query.claims ?? []) frame[c.path[0]] = true;
  const nonce = opts['wrong-nonce'] ? b64u(crypto.randomBytes(16)) : request.nonce;
  const presentation = await sdjwt.present(wallet.credential, frame, {
    kb: { payload: { iat: Math.floor(Date.now() / 1000), aud: request.client_id, nonce } },
  });
  return { presentation, disclosed: Object.keys(frame) };
}

// ---- mdoc (mDL) ----

// issueMdl has @animo-id/mdoc itself issue the mDL (independent issuance):
// the MSO signed with the document signer's key, bound to a fresh device key.
async function issueMdl(opts, ctx) {
  const dsKey = crypto.createPrivateKey(fs.readFileSync(opts['mdoc-signer-key'], 'utf8'));
  const dsCert = pemCerts(fs.readFileSync(opts['mdoc-signer-cert'], 'utf8'))[0];
  const device = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const claims = JSON.parse(opts.claims);
  if (claims.birth_date) claims.birth_date = new DateOnly(claims.birth_date);
  const now = new Date();
  const doc = await new Document(MDL_DOCTYPE, ctx)
    .addIssuerNameSpace(MDL_NAMESPACE, claims)
    .useDigestAlgorithm('SHA-256')
    .addValidityInfo({ signed: now, validFrom: now, validUntil: new Date(now.getTime() + 365 * 86400e3) })
    .addDeviceKeyInfo({ deviceKey: device.publicKey.export({ format: 'jwk' }) })
    .sign({ issuerPrivateKey: dsKey.export({ format: 'jwk' }), issuerCertificate: dsCert.raw, alg: 'ES256' }, ctx);
  return { mdoc: new MDoc([doc]), deviceJwk: device.privateKey.export({ format: 'jwk' }) };
}

async function presentMdl(query, request, encJwk, opts) {
  if (query.meta?.doctype_value && query.meta.doctype_value !== MDL_DOCTYPE) {
    throw new Error(`the query asks for doctype ${query.meta.doctype_value}`);
  }
  const ctx = mdocContext();
  const { mdoc, deviceJwk } = await issueMdl(opts, ctx);
  // The DCQL claims as the presentation definition the library selects
  // disclosures by (it predates DCQL).
  const fields = (query.claims ?? []).map((c) => ({
    path: [`$['${c.path[0]}']['${c.path[1]}']`],
    intent_to_retain: false,
  }));
  const pd = {
    id: 'dcql-' + query.id,
    input_descriptors: [
      { id: MDL_DOCTYPE, format: { mso_mdoc: { alg: ['ES256'] } }, constraints: { limit_disclosure: 'required', fields } },
    ],
  };
  const nonce = opts['wrong-nonce'] ? b64u(crypto.randomBytes(16)) : request.nonce;
  const transcript = await openid4vpHandoverTranscript({
    clientId: request.client_id,
    nonce,
    responseUri: request.response_uri,
    encJwk,
  });
  const response = await DeviceResponse.from(mdoc)
    .usingPresentationDefinition(pd)
    .usingSessionTranscriptBytes(transcript)
    .authenticateWithSignature(deviceJwk, 'ES256')
    .sign(ctx);
  return {
    presentation: b64u(response.encode()),
    disclosed: (query.claims ?? []).map((c) => c.path[1]),
  };
}

// ---- the exchange ----

async function run(opts) {
  // frontdoor's tests run on http://127.0.0.1; a wallet in the field keeps
  // the library's https-only default.
  if (opts['allow-http']) setGlobalConfig({ allowInsecureUrls: true });
  const roots = pemCerts(fs.readFileSync(opts['trust-root'], 'utf8'));
  if (!roots.length) throw new Error(`${opts['trust-root']}: no certificate`);
  const client = new Openid4vpClient({ callbacks: openid4vpCallbacks(roots) });

  let resolved;
  try {
    const parsed = client.parseOpenid4vpAuthorizationRequest({ authorizationRequest: opts.link });
    resolved = await client.resolveOpenId4vpAuthorizationRequest({ authorizationRequestPayload: parsed.params });
  } catch (err) {
    return refused('request', err);
  }
  const request = resolved.authorizationRequestPayload;
  const encJwk = request.client_metadata?.jwks?.keys?.[0];
  let answer;
  let query;
  try {
    if (resolved.client.prefix !== 'x509_hash') throw new Error(`client id prefix ${resolved.client.prefix}, want x509_hash`);
    query = pickQuery(resolved.dcql?.query, opts.format);
    answer =
      opts.format === 'mso_mdoc'
        ? await presentMdl(query, request, encJwk, opts)
        : await presentSdJwt(query, request, opts);
  } catch (err) {
    return refused('request', err);
  }
  const jarm =
    request.response_mode === 'direct_post.jwt'
      ? {
          encryption: {},
          serverMetadata: {
            authorization_encryption_alg_values_supported: ['ECDH-ES'],
            authorization_encryption_enc_values_supported: ['A128GCM', 'A256GCM'],
          },
        }
      : undefined;
  const created = await client.createOpenid4vpAuthorizationResponse({
    authorizationRequestPayload: request,
    authorizationResponsePayload: { vp_token: { [query.id]: [answer.presentation] } },
    jarm,
  });
  const submitted = await client.submitOpenid4vpAuthorizationResponse({
    authorizationRequestPayload: request,
    authorizationResponsePayload: created.authorizationResponsePayload,
    jarm: created.jarm,
  });
  const text = await submitted.response.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  const out = {
    ok: submitted.response.status === 200,
    stage: 'response',
    status: submitted.response.status,
    body,
    response_mode: submitted.responseMode,
    client_id: request.client_id,
    client_id_prefix: resolved.client.prefix,
    query_id: query.id,
    disclosed: answer.disclosed,
    jwe_header: created.jarm ? jose.decodeProtectedHeader(created.jarm.responseJwt) : undefined,
  };
  if (!out.ok) out.error = body?.error ?? `status ${submitted.response.status}`;
  return out;
}

function refused(stage, err) {
  return {
    ok: false,
    stage,
    error: err?.errorResponse?.error ?? err?.name ?? 'error',
    error_description: err?.errorResponse?.error_description ?? err?.message ?? String(err),
    cause: err?.cause?.message,
  };
}

const { values } = parseArgs({
  options: {
    link: { type: 'string' },
    'trust-root': { type: 'string' },
    format: { type: 'string', default: 'dc+sd-jwt' },
    wallet: { type: 'string' },
    'mdoc-signer-cert': { type: 'string' },
    'mdoc-signer-key': { type: 'string' },
    claims: { type: 'string' },
    'wrong-nonce': { type: 'boolean', default: false },
    'allow-http': { type: 'boolean', default: false },
  },
});

try {
  if (!values.link || !values['trust-root']) throw new Error('--link and --trust-root are required');
  const out = await run(values);
  console.log(JSON.stringify(out));
  process.exit(out.ok ? 0 : 1);
} catch (err) {
  console.log(JSON.stringify({ ok: false, stage: 'wallet', error: err?.message ?? String(err), stack: err?.stack }));
  process.exit(2);
}
