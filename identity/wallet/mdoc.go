package wallet

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/frontdoor-project/frontdoor/identity/mdoc"
)

// Credential formats a wallet file can hold (OpenID4VP format identifiers).
// An empty Format is an SD-JWT VC, as in wallet files from before mdocs.
const (
	FormatSDJWT = "dc+sd-jwt"
	FormatMdoc  = "mso_mdoc"
)

// MdocParams describe an mDL for IssueMdoc.
type MdocParams struct {
	// Claims go into the org.iso.18013.5.1 namespace; "birthdate" (the
	// SD-JWT name) or "birth_date" becomes the full-date birth_date.
	// Values are strings, booleans or integers.
	Claims    map[string]any
	IssuedAt  time.Time           // default now
	Validity  time.Duration       // default one year
	DocType   string              // default mdoc.DocTypeMDL
	Chain     []*x509.Certificate // intermediates between the DS and the IACA, if any
	IssuerURL string              // recorded as Wallet.Issuer, informational
}

// IssueMdoc makes an ES256 holder key and an mDL bound to it, signed by a
// document signer (mdoc.NewDocumentSigner / mdoc.LoadKeyPair).
func IssueMdoc(ds *mdoc.KeyPair, p MdocParams) (Wallet, error) {
	if p.Validity <= 0 {
		p.Validity = 365 * 24 * time.Hour
	}
	if p.IssuedAt.IsZero() {
		p.IssuedAt = time.Now()
	}
	elements, err := mdlElements(p.Claims)
	if err != nil {
		return Wallet{}, fmt.Errorf("issue mdoc: %w", err)
	}
	holder, err := NewKey(string(jose.ES256))
	if err != nil {
		return Wallet{}, fmt.Errorf("issue mdoc: holder %w", err)
	}
	hk, ok := holder.Key.(*ecdsa.PrivateKey)
	if !ok {
		return Wallet{}, errors.New("issue mdoc: holder key is not ECDSA")
	}
	doc, err := mdoc.Issue(mdoc.IssueOptions{
		DocType: p.DocType, Elements: map[string]map[string]any{mdoc.NamespaceMDL: elements},
		DeviceKey: &hk.PublicKey, Signer: ds, Chain: p.Chain,
		Signed: p.IssuedAt, ValidFrom: p.IssuedAt, ValidUntil: p.IssuedAt.Add(p.Validity),
	})
	if err != nil {
		return Wallet{}, err
	}
	return Wallet{
		Format:     FormatMdoc,
		Issuer:     p.IssuerURL,
		DocType:    doc.DocType,
		Credential: base64.RawURLEncoding.EncodeToString(doc.IssuerSigned),
		HolderKey:  holder,
	}, nil
}

// PresentMdoc answers an OpenID4VP mso_mdoc request: a DeviceResponse with
// the requested elements, bound to the request's transcript.
func (w Wallet) PresentMdoc(t mdoc.Transcript, requested map[string][]string) ([]byte, error) {
	if w.Format != FormatMdoc {
		return nil, fmt.Errorf("present mdoc: wallet holds %q, not %s", w.format(), FormatMdoc)
	}
	is, err := base64.RawURLEncoding.DecodeString(w.Credential)
	if err != nil {
		return nil, fmt.Errorf("present mdoc: credential: %w", err)
	}
	hk, ok := w.HolderKey.Key.(*ecdsa.PrivateKey)
	if !ok {
		return nil, errors.New("present mdoc: holder key is not ECDSA")
	}
	return mdoc.Present(&mdoc.Document{DocType: w.DocType, IssuerSigned: is}, hk, t, requested)
}

func (w Wallet) format() string {
	if w.Format == "" {
		return FormatSDJWT
	}
	return w.Format
}

// mdlElements turns JSON claims into mDL data elements.
func mdlElements(claims map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(claims))
	for name, v := range claims {
		if name == "birthdate" || name == "birth_date" {
			s, ok := v.(string)
			if _, err := time.Parse(time.DateOnly, s); !ok || err != nil {
				return nil, fmt.Errorf("%s must be a YYYY-MM-DD string", name)
			}
			out["birth_date"] = mdoc.FullDate(s)
			continue
		}
		switch x := v.(type) {
		case string, bool:
			out[name] = x
		case float64: // JSON numbers; mDL numbers (age_in_years, …) are integers
			if x != math.Trunc(x) || math.Abs(x) > 1<<53 {
				return nil, fmt.Errorf("claim %s: %v is not an integer", name, x)
			}
			out[name] = int64(x)
		default:
			return nil, fmt.Errorf("claim %s: %T values are not supported in an mdoc", name, v)
		}
	}
	return out, nil
}
