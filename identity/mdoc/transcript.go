package mdoc

import (
	"crypto/sha256"
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// Transcript is what an OpenID4VP request contributes to the mdoc
// SessionTranscript (OpenID4VP 1.0 Appendix B.2.6.1 for redirects and
// direct_post, B.2.6.2 for the Digital Credentials API).
type Transcript struct {
	ClientID    string // the request's client_id, prefix included (e.g. "x509_hash:…")
	ResponseURI string // the request's response_uri
	Nonce       string // the request's nonce
	// JWKThumbprint is the RFC 7638 SHA-256 thumbprint of the verifier's
	// response encryption key (direct_post.jwt, dc_api.jwt), or nil when
	// the response is not encrypted.
	JWKThumbprint []byte
	// Origin, when set, makes this a Digital Credentials API transcript
	// (OpenID4VPDCAPIHandover): the origin the browser asserted to the
	// wallet replaces client_id and response_uri, which are then unused.
	Origin string
}

// SessionTranscript encodes, for a redirect or direct_post exchange,
//
//	SessionTranscript      = [null, null, OpenID4VPHandover]
//	OpenID4VPHandover      = ["OpenID4VPHandover", SHA-256(CBOR(OpenID4VPHandoverInfo))]
//	OpenID4VPHandoverInfo  = [clientId, nonce, jwkThumbprint / null, responseUri]
//
// and, when t.Origin is set (Digital Credentials API),
//
//	SessionTranscript          = [null, null, OpenID4VPDCAPIHandover]
//	OpenID4VPDCAPIHandover     = ["OpenID4VPDCAPIHandover", SHA-256(CBOR(OpenID4VPDCAPIHandoverInfo))]
//	OpenID4VPDCAPIHandoverInfo = [origin, nonce, jwkThumbprint / null]
func SessionTranscript(t Transcript) ([]byte, error) {
	var thumb any // nil encodes as CBOR null
	if t.JWKThumbprint != nil {
		thumb = t.JWKThumbprint
	}
	name, info := "OpenID4VPHandover", []any{t.ClientID, t.Nonce, thumb, t.ResponseURI}
	if t.Origin != "" {
		name, info = "OpenID4VPDCAPIHandover", []any{t.Origin, t.Nonce, thumb}
	}
	raw, err := cb.enc.Marshal(info)
	if err != nil {
		return nil, fmt.Errorf("encode %sInfo: %w", name, err)
	}
	h := sha256.Sum256(raw)
	st, err := cb.enc.Marshal([]any{nil, nil, []any{name, h[:]}})
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
