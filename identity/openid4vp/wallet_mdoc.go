package openid4vp

import (
	"crypto"
	"encoding/base64"
	"fmt"
	"net/url"

	"github.com/frontdoor-project/frontdoor/identity/mdoc"
	"github.com/frontdoor-project/frontdoor/identity/wallet"
)

// AnswerMdoc is Answer, kept for callers from before the wallet read the
// DCQL query (an mdoc wallet answers through Answer alike).
func (r WalletRequest) AnswerMdoc(w wallet.Wallet, o AnswerOptions) (url.Values, error) {
	return r.Answer(w, o)
}

// mdocPresentation is base64url(DeviceResponse) with the requested
// elements, its device signature over the OpenID4VP 1.0
// SessionTranscript: client_id, response_uri, nonce and, when encrypted,
// the thumbprint of the verifier's encryption key; over the DC API the
// origin, nonce and thumbprint (OpenID4VPDCAPIHandover).
func (r WalletRequest) mdocPresentation(w wallet.Wallet, o AnswerOptions, requested map[string][]string) (string, error) {
	t, err := r.MdocTranscript(o)
	if err != nil {
		return "", err
	}
	if o.Transcript != nil {
		t = *o.Transcript
	}
	dr, err := w.PresentMdoc(t, requested)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(dr), nil
}

// MdocTranscript is the SessionTranscript input this answer binds to. The
// thumbprint is the RFC 7638 SHA-256 one of the request's ephemeral JWK,
// as the verifier computes it when it decrypts (response.go); a plain
// direct_post or dc_api answer has no encryption key and so no thumbprint.
func (r WalletRequest) MdocTranscript(o AnswerOptions) (mdoc.Transcript, error) {
	nonce := r.Nonce
	if o.Nonce != "" {
		nonce = o.Nonce
	}
	t := mdoc.Transcript{ClientID: r.ClientID, ResponseURI: r.ResponseURI, Nonce: nonce, Origin: r.Origin}
	if o.Plain || r.ResponseMode == ModeDirectPost || r.ResponseMode == ModeDCAPI {
		return t, nil
	}
	thumb, err := r.EncKey.Thumbprint(crypto.SHA256)
	if err != nil {
		return t, fmt.Errorf("encryption key thumbprint: %w", err)
	}
	t.JWKThumbprint = thumb
	return t, nil
}
