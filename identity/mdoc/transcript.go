package mdoc

import (
	"crypto/sha256"
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// Transcript is what an OpenID4VP request contributes to the mdoc
// SessionTranscript (OpenID4VP 1.0 Appendix B.2.6.1).
type Transcript struct {
	ClientID    string // the request's client_id, prefix included (e.g. "x509_hash:…")
	ResponseURI string // the request's response_uri
	Nonce       string // the request's nonce
	// JWKThumbprint is the RFC 7638 SHA-256 thumbprint of the verifier's
	// response encryption key (direct_post.jwt), or nil when the response
	// is not encrypted.
	JWKThumbprint []byte
}

// SessionTranscript encodes
//
//	SessionTranscript      = [null, null, OpenID4VPHandover]
//	OpenID4VPHandover      = ["OpenID4VPHandover", SHA-256(CBOR(OpenID4VPHandoverInfo))]
//	OpenID4VPHandoverInfo  = [clientId, nonce, jwkThumbprint / null, responseUri]
func SessionTranscript(t Transcript) ([]byte, error) {
	var thumb any // nil encodes as CBOR null
	if t.JWKThumbprint != nil {
		thumb = t.JWKThumbprint
	}
	info, err := cb.enc.Marshal([]any{t.ClientID, t.Nonce, thumb, t.ResponseURI})
	if err != nil {
		return nil, fmt.Errorf("encode OpenID4VPHandoverInfo: %w", err)
	}
	h := sha256.Sum256(info)
	st, err := cb.enc.Marshal([]any{nil, nil, []any{"OpenID4VPHandover", h[:]}})
	if err != nil {
		return nil, fmt.Errorf("encode SessionTranscript: %w", err)
	}
	return st, nil
}

// deviceAuthenticationBytes is the detached payload of deviceSignature:
// #6.24(bstr .cbor ["DeviceAuthentication", SessionTranscript, DocType,
// DeviceNameSpacesBytes]), with the namespaces bytes exactly as sent.
func deviceAuthenticationBytes(sessionTranscript []byte, docType string, nameSpaces tagged24) ([]byte, error) {
	da := []any{"DeviceAuthentication", cbor.RawMessage(sessionTranscript), docType, cbor.RawMessage(nameSpaces.Raw)}
	t, err := newTagged24(da)
	if err != nil {
		return nil, fmt.Errorf("encode DeviceAuthentication: %w", err)
	}
	return t.Raw, nil
}
