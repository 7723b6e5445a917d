// Package identity verifies SD-JWT VC presentations (RFC 9901,
// draft-ietf-oauth-sd-jwt-vc) with required key binding and status lists,
// and runs the verification sessions a call's identity step uses: nonces,
// codes read out on the phone, waiting, audit records.
package identity

import (
	"errors"
	"fmt"
)

// Refusal codes. Every refused presentation names exactly one.
const (
	CodeMalformed         = "malformed"
	CodeBadTyp            = "bad_typ"
	CodeBadAlg            = "bad_alg"
	CodeUnknownIssuer     = "unknown_issuer"
	CodeBadSignature      = "bad_signature"
	CodeExpired           = "expired"
	CodeNotYetValid       = "not_yet_valid"
	CodeBadVCT            = "bad_vct"
	CodeBadDisclosure     = "bad_disclosure"
	CodeMissingKeyBinding = "missing_key_binding"
	CodeBadKeyBinding     = "bad_key_binding"
	CodeWrongNonce        = "wrong_nonce"
	CodeReplayed          = "replayed"
	CodeWrongAudience     = "wrong_audience"
	CodeStaleKB           = "stale_kb"
	CodeBadSDHash         = "bad_sd_hash"
	CodeRevoked           = "revoked"
	CodeSuspended         = "suspended"
	CodeStatusUnavailable = "status_unavailable"
	CodeUnknownSession    = "unknown_session"
	CodeSessionExpired    = "session_expired"
	CodeMissingClaims     = "missing_claims"
)

// Codes are every refusal code above, for metrics that show each series
// from start-up.
var Codes = []string{CodeMalformed, CodeBadTyp, CodeBadAlg, CodeUnknownIssuer, CodeBadSignature, CodeExpired,
	CodeNotYetValid, CodeBadVCT, CodeBadDisclosure, CodeMissingKeyBinding, CodeBadKeyBinding, CodeWrongNonce,
	CodeReplayed, CodeWrongAudience, CodeStaleKB, CodeBadSDHash, CodeRevoked, CodeSuspended, CodeStatusUnavailable,
	CodeUnknownSession, CodeSessionExpired, CodeMissingClaims}

// Refusal is why a presentation (or a session lookup) was refused.
type Refusal struct {
	Code   string
	Detail string
}

func (r *Refusal) Error() string {
	if r.Detail == "" {
		return r.Code
	}
	return r.Code + ": " + r.Detail
}

func refuse(code, format string, args ...any) *Refusal {
	return &Refusal{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// AsRefusal finds a *Refusal in err's chain.
func AsRefusal(err error) (*Refusal, bool) {
	var r *Refusal
	ok := errors.As(err, &r)
	return r, ok
}

// Refuse makes a Refusal; channels built on the Service (OpenID4VP) use it
// for the rules of their envelope, so every refusal has one shape.
func Refuse(code, format string, args ...any) *Refusal { return refuse(code, format, args...) }

// ReasonCode and ReasonDetail let HTTP edges that define their own refusal
// interface (dashboard.Refusal) read a Refusal without importing this package.
func (r *Refusal) ReasonCode() string   { return r.Code }
func (r *Refusal) ReasonDetail() string { return r.Detail }
