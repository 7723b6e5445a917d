package openid4vp

import (
	"crypto"
	"encoding/base64"
	"fmt"
	"net/url"

	"github.com/frontdoor-project/frontdoor/identity/mdoc"
	"github.com/frontdoor-project/frontdoor/identity/wallet"
)

// AnswerMdoc answers with the wallet's mDL: a DeviceResponse whose device
// signature covers the OpenID4VP 1.0 SessionTranscript (client_id,
// response_uri, nonce and, for direct_post.jwt, the thumbprint of the
// verifier's encryption key), sent as vp_token {"mdl": [base64url]}.
func (r WalletRequest) AnswerMdoc(w wallet.Wallet, o AnswerOptions) (url.Values, error) {
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
	return r.Form(map[string][]string{QueryMDL: {base64.RawURLEncoding.EncodeToString(dr)}}, o)
}

// MdocTranscript is the SessionTranscript input this answer binds to. The
// thumbprint is the RFC 7638 SHA-256 one of the request's ephemeral JWK,
// as the verifier computes it when it decrypts (response.go); a plain
// direct_post answer has no encryption key and so no thumbprint.
func (r WalletRequest) MdocTranscript(o AnswerOptions) (mdoc.Transcript, error) {
	nonce := r.Nonce
	if o.Nonce != "" {
		nonce = o.Nonce
	}
	t := mdoc.Transcript{ClientID: r.ClientID, ResponseURI: r.ResponseURI, Nonce: nonce}
	if o.Plain || r.ResponseMode == ModeDirectPost {
		return t, nil
	}
	thumb, err := r.EncKey.Thumbprint(crypto.SHA256)
	if err != nil {
		return t, fmt.Errorf("encryption key thumbprint: %w", err)
	}
	t.JWKThumbprint = thumb
	return t, nil
}
