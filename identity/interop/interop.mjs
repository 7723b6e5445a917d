// Interop driver around the OpenWallet Foundation sd-jwt-js implementation
// (@sd-jwt/sd-jwt-vc), independent of frontdoor's Go code.
//
//   node interop.mjs issue-present --alg ES256|EdDSA --iss URL --nonce N --aud A [--disclose a,b]
//       issues an SD-JWT VC with a fresh issuer and holder key and presents it
//       with key binding; prints {"presentation","jwks"}.
//   node interop.mjs verify --jwks JSON --nonce N --aud A --presentation P
//       verifies a presentation (signature, disclosures, KB-JWT, nonce, aud);
//       prints {"verified":true,"claims","header","kb"} or exits 1 with
//       {"verified":false,"error"}.
//   node interop.mjs status-list --bits B --statuses 0,1,2,...
//       compresses a Token Status List; prints {"lst"}.
//   node interop.mjs status-read --token JWT --idx 0,3,...
//       reads entries of a Status List Token's list; prints {"bits","statuses"}.
import crypto from 'node:crypto';
import { parseArgs } from 'node:util';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { ES256, digest, generateSalt } from '@sd-jwt/crypto-nodejs';
import { StatusList, getListFromStatusListJWT } from '@sd-jwt/jwt-status-list';

const b64u = (buf) => Buffer.from(buf).toString('base64url');

// A signing key as JWKs plus a signer function in JOSE form (raw r||s for ES256).
async function newKey(alg) {
  if (alg === 'ES256') {
    const { publicKey, privateKey } = await ES256.generateKeyPair();
    return { alg, publicJwk: publicKey, signer: await ES256.getSigner(privateKey) };
  }
  if (alg === 'EdDSA') {
    const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
    return {
      alg,
      publicJwk: publicKey.export({ format: 'jwk' }),
      signer: async (data) => b64u(crypto.sign(null, Buffer.from(data), privateKey)),
    };
  }
  throw new Error(`unsupported alg ${alg}`);
}

// Verifies a JOSE signature over data with a public JWK.
function verifyWithJwk(jwk, alg, data, sig) {
  const key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
  const signature = Buffer.from(sig, 'base64url');
  if (alg === 'ES256') {
    return crypto.verify('sha256', Buffer.from(data), { key, dsaEncoding: 'ieee-p1363' }, signature);
  }
  if (alg === 'EdDSA') {
    return crypto.verify(null, Buffer.from(data), key, signature);
  }
  return false;
}

function headerOf(data) {
  return JSON.parse(Buffer.from(data.split('.')[0], 'base64url').toString());
}

async function issuePresent(opts) {
  const issuer = await newKey(opts.alg);
  const holder = await newKey(opts.alg);
  const kid = 'interop-issuer-1';
  const sdjwt = new SDJwtVcInstance({
    signer: issuer.signer,
    signAlg: opts.alg,
    hasher: digest,
    hashAlg: 'sha-256',
    saltGenerator: generateSalt,
    kbSigner: holder.signer,
    kbSignAlg: opts.alg,
  });
  const now = Math.floor(Date.now() / 1000);
  const claims = { given_name: 'Minji', family_name: 'Kim', birthdate: '1990-05-17', nationality: 'KR' };
  const credential = await sdjwt.issue(
    {
      iss: opts.iss,
      vct: 'urn:eudi:pid:1',
      iat: now,
      exp: now + 3600,
      cnf: { jwk: holder.publicJwk },
      ...claims,
    },
    { _sd: Object.keys(claims), _sd_decoy: 2 },
    { header: { kid } },
  );
  const frame = {};
  for (const name of (opts.disclose || 'given_name,family_name,birthdate').split(',')) frame[name] = true;
  const presentation = await sdjwt.present(credential, frame, {
    kb: { payload: { iat: now, aud: opts.aud, nonce: opts.nonce } },
  });
  const jwks = { keys: [{ ...issuer.publicJwk, kid, alg: opts.alg, use: 'sig' }] };
  return { presentation, jwks };
}

async function verify(opts) {
  const jwks = JSON.parse(opts.jwks);
  const sdjwt = new SDJwtVcInstance({
    hasher: digest,
    verifier: (data, sig) => {
      const h = headerOf(data);
      return jwks.keys
        .filter((k) => !h.kid || k.kid === h.kid)
        .some((k) => verifyWithJwk(k, h.alg, data, sig));
    },
    kbVerifier: (data, sig, payload) => {
      const h = headerOf(data);
      return verifyWithJwk(payload.cnf.jwk, h.alg, data, sig);
    },
  });
  const res = await sdjwt.verify(opts.presentation, { keyBindingNonce: opts.nonce, skewSeconds: 60 });
  if (!res.kb) throw new Error('no key binding');
  if (res.kb.payload.aud !== opts.aud) throw new Error(`KB-JWT aud ${res.kb.payload.aud}, want ${opts.aud}`);
  const now = Math.floor(Date.now() / 1000);
  if (Math.abs(now - res.kb.payload.iat) > 60) throw new Error('KB-JWT iat outside ±60 s');
  if (!['dc+sd-jwt', 'vc+sd-jwt'].includes(res.header?.typ)) throw new Error(`typ ${res.header?.typ}`);
  const claims = await sdjwt.getClaims(opts.presentation);
  return { verified: true, claims, header: res.header, kb: res.kb };
}

function statusList(opts) {
  const statuses = opts.statuses.split(',').map(Number);
  const list = new StatusList(statuses, Number(opts.bits));
  return { lst: list.compressStatusList() };
}

function statusRead(opts) {
  const list = getListFromStatusListJWT(opts.token);
  return { bits: list.getBitsPerStatus(), statuses: opts.idx.split(',').map((i) => list.getStatus(Number(i))) };
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    alg: { type: 'string', default: 'ES256' },
    iss: { type: 'string' },
    nonce: { type: 'string' },
    aud: { type: 'string' },
    disclose: { type: 'string' },
    jwks: { type: 'string' },
    presentation: { type: 'string' },
    bits: { type: 'string' },
    statuses: { type: 'string' },
    token: { type: 'string' },
    idx: { type: 'string' },
  },
});

const commands = { 'issue-present': issuePresent, verify, 'status-list': statusList, 'status-read': statusRead };
const cmd = commands[positionals[0]];
if (!cmd) {
  console.error('usage: node interop.mjs issue-present|verify|status-list|status-read [options]');
  process.exit(2);
}
try {
  console.log(JSON.stringify(await cmd(values)));
} catch (err) {
  console.log(JSON.stringify({ verified: false, error: String(err?.message || err) }));
  process.exit(1);
}
