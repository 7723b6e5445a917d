package identity

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/frontdoor-project/frontdoor/identity/sdjwt"
	"github.com/frontdoor-project/frontdoor/identity/statuslist"
)

// Skew is the clock tolerance for exp, nbf and the KB-JWT's iat.
const Skew = 60 * time.Second

// notDisclosable are claims SD-JWT VC forbids to hide: the verifier needs
// them in the clear, and a disclosure carrying one is an attempt to smuggle
// it past the plain-claim checks.
var notDisclosable = map[string]bool{
	"iss": true, "nbf": true, "exp": true, "cnf": true, "vct": true, "vct#integrity": true, "status": true,
}

// VerifierConfig configures a Verifier.
type VerifierConfig struct {
	// Audience is the KB-JWT aud a presentation must name (verifier_id).
	Audience string
	Issuers  []IssuerKeys
	// VCTs, when not empty, are the only credential types accepted.
	VCTs   []string
	Clock  func() time.Time
	Status *statuslist.Fetcher
}

// Verifier checks SD-JWT VC presentations. It is safe for concurrent use.
type Verifier struct {
	aud     string
	issuers map[string][]jose.JSONWebKey
	vcts    map[string]bool
	clock   func() time.Time
	status  *statuslist.Fetcher
}

// Verified is what a presentation proved. On refusal Issuer and Digest are
// filled as far as the presentation got, for the audit record.
type Verified struct {
	Issuer string
	VCT    string
	// Digest is the hex SHA-256 of the issuer-signed JWT: it identifies the
	// credential in audit records without storing it.
	Digest string
	Claims map[string]any
}

// NewVerifier builds a Verifier.
func NewVerifier(cfg VerifierConfig) (*Verifier, error) {
	if cfg.Audience == "" {
		return nil, errors.New("verifier: audience (verifier_id) is empty")
	}
	v := &Verifier{aud: cfg.Audience, issuers: map[string][]jose.JSONWebKey{}, clock: cfg.Clock, status: cfg.Status}
	if v.clock == nil {
		v.clock = time.Now
	}
	for _, is := range cfg.Issuers {
		if is.Issuer == "" {
			return nil, errors.New("verifier: issuer with empty iss")
		}
		if _, dup := v.issuers[is.Issuer]; dup {
			return nil, fmt.Errorf("verifier: issuer %s configured twice", is.Issuer)
		}
		v.issuers[is.Issuer] = is.Keys.Keys
	}
	if len(cfg.VCTs) > 0 {
		v.vcts = map[string]bool{}
		for _, t := range cfg.VCTs {
			v.vcts[t] = true
		}
	}
	return v, nil
}

// VerifyOption adjusts one Verify call.
type VerifyOption func(*verifyOptions)

type verifyOptions struct{ aud string }

// WithAudience makes the KB-JWT aud that must be named aud instead of the
// configured verifier_id: over OpenID4VP a wallet binds its presentation to
// the request's client_id, which differs per verifier certificate.
func WithAudience(aud string) VerifyOption {
	return func(o *verifyOptions) { o.aud = aud }
}

// Verify checks a presentation against a session's nonce. The returned
// error is always a *Refusal.
func (v *Verifier) Verify(ctx context.Context, presentation []byte, nonce string, opts ...VerifyOption) (Verified, error) {
	o := verifyOptions{aud: v.aud}
	for _, opt := range opts {
		opt(&o)
	}
	var out Verified
	p, err := sdjwt.Split(strings.TrimSpace(string(presentation)))
	if err != nil {
		return out, refuse(CodeMalformed, "%v", err)
	}
	out.Digest = digestOf(p.IssuerJWT)

	payload, cnf, err := v.issuerJWT(p.IssuerJWT, &out)
	if err != nil {
		return out, err
	}
	if err := v.keyBinding(p, cnf, nonce, o.aud); err != nil {
		return out, err
	}
	claims, err := sdjwt.Resolve(payload, p.Disclosures)
	if err != nil {
		return out, refuse(CodeBadDisclosure, "%v", err)
	}
	// A disclosed name never clashes with a plain one (Resolve refuses
	// that), so a top-level claim absent from the payload came from a
	// disclosure.
	for name := range notDisclosable {
		if _, disclosed := claims[name]; disclosed {
			if _, plain := payload[name]; !plain {
				return out, refuse(CodeBadDisclosure, "claim %q must not be selectively disclosed", name)
			}
		}
	}
	if err := v.checkStatus(ctx, out.Issuer, payload); err != nil {
		return out, err
	}
	out.Claims = claims
	return out, nil
}

func digestOf(issuerJWT string) string {
	sum := sha256.Sum256([]byte(issuerJWT))
	return hex.EncodeToString(sum[:])
}

// credentialDigest is the audit digest of a presentation that is not
// verified; empty when it is not even an SD-JWT.
func credentialDigest(presentation []byte) string {
	p, err := sdjwt.Split(strings.TrimSpace(string(presentation)))
	if err != nil {
		return ""
	}
	return digestOf(p.IssuerJWT)
}

// issuerJWT checks the issuer-signed JWT: header, issuer, signature,
// validity times, vct, _sd_alg, and returns its payload and the holder key.
func (v *Verifier) issuerJWT(jwt string, out *Verified) (map[string]any, jose.JSONWebKey, error) {
	var cnf jose.JSONWebKey
	h, err := sdjwt.DecodeHeader(jwt)
	if err != nil {
		return nil, cnf, refuse(CodeMalformed, "%v", err)
	}
	if !typIs(h.Typ, sdjwt.TypVC) && !typIs(h.Typ, sdjwt.TypVCLegacy) {
		return nil, cnf, refuse(CodeBadTyp, "issuer-signed JWT typ %q, want %q", h.Typ, sdjwt.TypVC)
	}
	if !sdjwt.IsAllowedAlg(h.Alg) {
		return nil, cnf, refuse(CodeBadAlg, "issuer-signed JWT alg %q, want ES256 or EdDSA", h.Alg)
	}
	// The payload is read before the signature check only to learn iss; it
	// is the same segment the signature covers, so once that verifies the
	// decoded claims are trusted without decoding them again.
	payload, err := sdjwt.DecodePayload(jwt)
	if err != nil {
		return nil, cnf, refuse(CodeMalformed, "%v", err)
	}
	iss, ok := payload["iss"].(string)
	if !ok || iss == "" {
		return nil, cnf, refuse(CodeMalformed, "no iss claim")
	}
	out.Issuer = iss
	keys, ok := v.issuers[iss]
	if !ok {
		return nil, cnf, refuse(CodeUnknownIssuer, "issuer %q is not trusted", iss)
	}
	candidates := sdjwt.KeysFor(keys, h.Kid)
	if len(candidates) == 0 {
		return nil, cnf, refuse(CodeBadSignature, "issuer %q has no key with kid %q", iss, h.Kid)
	}
	if _, err := sdjwt.Verify(jwt, h.Alg, candidates); err != nil {
		if errors.Is(err, sdjwt.ErrMalformed) { // e.g. an unsupported "crit" header
			return nil, cnf, refuse(CodeMalformed, "issuer-signed JWT: %v", err)
		}
		return nil, cnf, refuse(CodeBadSignature, "issuer-signed JWT: %v", err)
	}
	if err := v.checkTimes(payload); err != nil {
		return nil, cnf, err
	}
	vct, ok := payload["vct"].(string)
	if !ok || vct == "" {
		return nil, cnf, refuse(CodeMalformed, "no vct claim")
	}
	out.VCT = vct
	if v.vcts != nil && !v.vcts[vct] {
		return nil, cnf, refuse(CodeBadVCT, "credential type %q is not accepted", vct)
	}
	if alg, present := payload[sdjwt.KeySDAlg]; present && alg != sdjwt.HashAlg {
		return nil, cnf, refuse(CodeBadDisclosure, "_sd_alg %v is not supported, only %s", alg, sdjwt.HashAlg)
	}
	cnf, err = holderKey(payload)
	if err != nil {
		return nil, cnf, err
	}
	return payload, cnf, nil
}

func (v *Verifier) checkTimes(payload map[string]any) error {
	now := v.clock()
	iat, ok, err := numericDate(payload, "iat")
	if err != nil {
		return err
	}
	if !ok {
		return refuse(CodeMalformed, "no iat claim")
	}
	if iat.After(now.Add(Skew)) {
		return refuse(CodeNotYetValid, "issued in the future (iat %s)", iat.UTC().Format(time.RFC3339))
	}
	if exp, ok, err := numericDate(payload, "exp"); err != nil {
		return err
	} else if ok && !now.Before(exp.Add(Skew)) {
		return refuse(CodeExpired, "expired at %s", exp.UTC().Format(time.RFC3339))
	}
	if nbf, ok, err := numericDate(payload, "nbf"); err != nil {
		return err
	} else if ok && now.Before(nbf.Add(-Skew)) {
		return refuse(CodeNotYetValid, "not valid before %s", nbf.UTC().Format(time.RFC3339))
	}
	return nil
}

func numericDate(m map[string]any, name string) (time.Time, bool, error) {
	raw, ok := m[name]
	if !ok {
		return time.Time{}, false, nil
	}
	f, ok := raw.(float64)
	if !ok || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1<<40 {
		return time.Time{}, false, refuse(CodeMalformed, "%s is not a NumericDate", name)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), true, nil
}

func holderKey(payload map[string]any) (jose.JSONWebKey, error) {
	var k jose.JSONWebKey
	cnf, ok := payload["cnf"].(map[string]any)
	if !ok {
		return k, refuse(CodeMissingKeyBinding, "credential has no cnf claim, so it cannot be key-bound")
	}
	raw, ok := cnf["jwk"]
	if !ok {
		return k, refuse(CodeMissingKeyBinding, "credential's cnf has no jwk")
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return k, refuse(CodeBadKeyBinding, "cnf.jwk: %v", err)
	}
	if err := json.Unmarshal(b, &k); err != nil {
		return k, refuse(CodeBadKeyBinding, "cnf.jwk: %v", err)
	}
	if !k.Valid() || !k.IsPublic() {
		return k, refuse(CodeBadKeyBinding, "cnf.jwk is not a valid public key")
	}
	if !sdjwt.KeyFits(k, "ES256") && !sdjwt.KeyFits(k, "EdDSA") {
		return k, refuse(CodeBadKeyBinding, "cnf.jwk is not a P-256 or Ed25519 key")
	}
	return k, nil
}

// keyBinding checks the KB-JWT: typ, alg, signature by the holder key,
// nonce, aud, iat window, sd_hash.
func (v *Verifier) keyBinding(p sdjwt.Presentation, holder jose.JSONWebKey, nonce, wantAud string) error {
	if p.KBJWT == "" {
		return refuse(CodeMissingKeyBinding, "presentation has no KB-JWT (key binding is required)")
	}
	h, err := sdjwt.DecodeHeader(p.KBJWT)
	if err != nil {
		return refuse(CodeBadKeyBinding, "%v", err)
	}
	if !typIs(h.Typ, sdjwt.TypKB) {
		return refuse(CodeBadKeyBinding, "KB-JWT typ %q, want %q", h.Typ, sdjwt.TypKB)
	}
	if !sdjwt.IsAllowedAlg(h.Alg) {
		return refuse(CodeBadAlg, "KB-JWT alg %q, want ES256 or EdDSA", h.Alg)
	}
	body, err := sdjwt.Verify(p.KBJWT, h.Alg, []jose.JSONWebKey{holder})
	if err != nil {
		return refuse(CodeBadKeyBinding, "KB-JWT not signed by the credential's cnf key: %v", err)
	}
	var kb struct {
		Iat    *float64 `json:"iat"`
		Aud    any      `json:"aud"`
		Nonce  *string  `json:"nonce"`
		SDHash *string  `json:"sd_hash"`
	}
	if err := json.Unmarshal(body, &kb); err != nil {
		return refuse(CodeBadKeyBinding, "KB-JWT payload: %v", err)
	}
	if kb.Nonce == nil || *kb.Nonce != nonce {
		return refuse(CodeWrongNonce, "KB-JWT nonce does not match the session's")
	}
	if aud, ok := kb.Aud.(string); !ok || aud != wantAud {
		return refuse(CodeWrongAudience, "KB-JWT aud %v, want %q", kb.Aud, wantAud)
	}
	if kb.Iat == nil {
		return refuse(CodeBadKeyBinding, "KB-JWT has no iat")
	}
	iat := time.Unix(int64(*kb.Iat), 0)
	if d := v.clock().Sub(iat); d > Skew || d < -Skew {
		return refuse(CodeStaleKB, "KB-JWT iat %s is %s away from now (allowed ±%s)", iat.UTC().Format(time.RFC3339), d.Round(time.Second), Skew)
	}
	if kb.SDHash == nil || *kb.SDHash != sdjwt.Hash(p.SDHashInput) {
		return refuse(CodeBadSDHash, "KB-JWT sd_hash does not match the presented SD-JWT")
	}
	return nil
}

func (v *Verifier) checkStatus(ctx context.Context, iss string, payload map[string]any) error {
	st, ok := payload["status"]
	if !ok {
		return nil
	}
	var ref struct {
		StatusList *struct {
			Idx *int   `json:"idx"`
			URI string `json:"uri"`
		} `json:"status_list"`
	}
	b, _ := json.Marshal(st)
	if err := json.Unmarshal(b, &ref); err != nil {
		return refuse(CodeMalformed, "status claim: %v", err)
	}
	if ref.StatusList == nil {
		return nil // another status mechanism, which this verifier does not know
	}
	if ref.StatusList.Idx == nil || *ref.StatusList.Idx < 0 || ref.StatusList.URI == "" {
		return refuse(CodeMalformed, "status.status_list needs idx >= 0 and uri")
	}
	if v.status == nil {
		return refuse(CodeStatusUnavailable, "no status list source is configured for %s", ref.StatusList.URI)
	}
	s, err := v.status.Status(ctx, iss, ref.StatusList.URI, *ref.StatusList.Idx, v.issuers[iss])
	if err != nil {
		return refuse(CodeStatusUnavailable, "%v", err)
	}
	switch s {
	case statuslist.Valid:
		return nil
	case statuslist.Invalid:
		return refuse(CodeRevoked, "credential is revoked (status list %s index %d)", ref.StatusList.URI, *ref.StatusList.Idx)
	case statuslist.Suspended:
		return refuse(CodeSuspended, "credential is suspended (status list %s index %d)", ref.StatusList.URI, *ref.StatusList.Idx)
	}
	return refuse(CodeRevoked, "credential has status 0x%02x, which is not valid", s)
}

// typIs compares JOSE typ values case-insensitively, the "application/"
// prefix optional (RFC 7515 §4.1.9).
func typIs(got, want string) bool {
	return strings.EqualFold(strings.TrimPrefix(strings.ToLower(got), "application/"), want)
}

// CredentialDigest is the audit digest of a presentation's issuer-signed
// JWT, empty when it is not an SD-JWT.
func CredentialDigest(presentation []byte) string { return credentialDigest(presentation) }
