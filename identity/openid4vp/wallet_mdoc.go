package openid4vp

import (
	"crypto"
	"encoding/base64"
	"fmt"
	"net/url"

	"github.com/frontdoor-project/frontdoor/identity/mdoc"
	"github.com/frontdoor-project/frontdoor/identity/wallet"
)

// AnswerMdoc answers the response_uri with the wallet's mDL (mdocToken).
func (r WalletRequest) AnswerMdoc(w wallet.Wallet, o AnswerOptions) (url.Values, error) {
	tok, err := r.mdocToken(w, o)
	if err != nil {
		return nil, err
	}
	return r.Form(tok, o)
}

// mdocToken is the vp_token {"mdl": [base64url DeviceResponse]} whose
// device signature covers the OpenID4VP 1.0 SessionTranscript: client_id,
// response_uri, nonce and, when encrypted, the thumbprint of the
// verifier's encryption key; over the DC API the origin, nonce and
// thumbprint (OpenID4VPDCAPIHandover).
func (r WalletRequest) mdocToken(w wallet.Wallet, o AnswerOptions) (map[string][]string, error) {
	t, err := r.MdocTranscript(o)
	if err != nil {
		return nil, err
	}
	if o.Transcript != nil {
		t = *o.Transcript
	}
	dr, err := w.PresentMdoc(t, mdoc.DefaultRequest())
	if err != nil {
		return nil, fmt.Errorf("presentation: %w", err)
	}
	return map[string][]string{QueryMDL: {base64.RawURLEncoding.EncodeToString(dr)}}, nil
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
