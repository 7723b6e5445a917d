package openid4vp

import (
	"crypto/x509"
	"errors"
	"time"

	"github.com/frontdoor-project/frontdoor/identity"
	"github.com/frontdoor-project/frontdoor/identity/mdoc"
)

// MdocChecker is the MdocVerifier backed by identity/mdoc: an ISO 18013-5
// DeviceResponse whose document signer chains to one of Roots, asked for
// the mDL's given_name, family_name and birth_date and nothing else.
type MdocChecker struct {
	Roots *x509.CertPool
	Clock func() time.Time // nil: time.Now
}

// NewMdocChecker returns nil (mDL answers refused as unsupported_format)
// when no IACA root is configured, so a typed nil never hides in the interface.
func NewMdocChecker(anchors []*x509.Certificate, clock func() time.Time) MdocVerifier {
	if len(anchors) == 0 {
		return nil
	}
	pool := x509.NewCertPool()
	for _, c := range anchors {
		pool.AddCert(c)
	}
	return &MdocChecker{Roots: pool, Clock: clock}
}

// Verify checks the DeviceResponse against the session's transcript. Its
// refusals keep the mdoc package's codes (mdoc_*), one per rule.
func (m *MdocChecker) Verify(deviceResponse []byte, t Transcript) (map[string]string, error) {
	now := time.Now
	if m.Clock != nil {
		now = m.Clock
	}
	res, err := mdoc.Verify(deviceResponse, mdoc.VerifyOptions{
		TrustAnchors: m.Roots,
		Now:          now(),
		DocType:      mdoc.DocTypeMDL,
		Requested:    mdoc.DefaultRequest(),
		Transcript: mdoc.Transcript{ClientID: t.ClientID, ResponseURI: t.ResponseURI,
			Nonce: t.Nonce, JWKThumbprint: t.JWKThumbprint, Origin: t.Origin},
	})
	if err != nil {
		var ref *mdoc.Refusal
		if errors.As(err, &ref) {
			return nil, identity.Refuse(ref.Code, "%s", ref.Detail)
		}
		return nil, err
	}
	return res.Claims, nil
}
