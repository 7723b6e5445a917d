// Package mdoc verifies ISO/IEC 18013-5 mobile documents (mdoc, mDL) as
// presented over OpenID4VP 1.0 (Appendix B.2): a DeviceResponse whose
// issuer data is signed by a document signer chaining to an IACA root and
// whose device signature binds it to the OpenID4VP session. It also issues
// and presents mdocs for tests and the demo wallet.
package mdoc

import (
	"errors"
	"fmt"
)

// Refusal codes. Every refused DeviceResponse names exactly one; the
// OpenID4VP layer maps them onto its own error answers.
const (
	CodeMalformed          = "mdoc_malformed"
	CodeBadDocType         = "mdoc_bad_doctype"
	CodeBadAlg             = "mdoc_bad_alg"
	CodeUntrusted          = "mdoc_untrusted"
	CodeCertExpired        = "mdoc_cert_expired"
	CodeBadIssuerSignature = "mdoc_bad_issuer_signature"
	CodeMSOExpired         = "mdoc_mso_expired"
	CodeMSONotYetValid     = "mdoc_mso_not_yet_valid"
	CodeBadDigest          = "mdoc_bad_digest"
	CodeMissingDeviceAuth  = "mdoc_missing_device_auth"
	CodeBadDeviceSignature = "mdoc_bad_device_signature"
	CodeMissingClaims      = "mdoc_missing_claims"
	CodeUnrequestedClaims  = "mdoc_unrequested_claims"
)

// Codes are every refusal code above, for pre-registered metrics.
var Codes = []string{CodeMalformed, CodeBadDocType, CodeBadAlg, CodeUntrusted, CodeCertExpired,
	CodeBadIssuerSignature, CodeMSOExpired, CodeMSONotYetValid, CodeBadDigest, CodeMissingDeviceAuth,
	CodeBadDeviceSignature, CodeMissingClaims, CodeUnrequestedClaims}

// Refusal is why a DeviceResponse was refused. Err, when set, is the
// underlying library error (kept for logs, never shown to the wallet).
type Refusal struct {
	Code   string
	Detail string
	Err    error
}

func (r *Refusal) Error() string {
	msg := r.Code
	if r.Detail != "" {
		msg += ": " + r.Detail
	}
	if r.Err != nil {
		msg += ": " + r.Err.Error()
	}
	return msg
}

func (r *Refusal) Unwrap() error { return r.Err }

func refuse(code string, err error, format string, args ...any) *Refusal {
	return &Refusal{Code: code, Detail: fmt.Sprintf(format, args...), Err: err}
}

// AsRefusal finds a *Refusal in err's chain.
func AsRefusal(err error) (*Refusal, bool) {
	var r *Refusal
	ok := errors.As(err, &r)
	return r, ok
}
