package wallet

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/frontdoor-project/frontdoor/identity/sdjwt"
)

// Wallet is a held credential with the holder's private key, as stored in a
// wallet file.
type Wallet struct {
	// Format is FormatSDJWT (also when empty) or FormatMdoc.
	Format  string `json:"format,omitempty"`
	Issuer  string `json:"issuer"`
	VCT     string `json:"vct"`               // SD-JWT VC type
	DocType string `json:"doctype,omitempty"` // mdoc document type
	// Credential is, for an SD-JWT VC, the compact SD-JWT with all
	// disclosures, ending in "~"; for an mdoc, base64url(IssuerSigned CBOR)
	// as OpenID4VCI delivers it.
	Credential string          `json:"credential"`
	HolderKey  jose.JSONWebKey `json:"holder_key"` // private
}

// IssueParams describes a credential for Issue.
type IssueParams struct {
	Issuer   string
	VCT      string         // default DefaultVCT
	Claims   map[string]any // all selectively disclosable
	Status   *sdjwt.StatusRef
	IssuedAt time.Time
	Validity time.Duration // default one year
	// HolderAlg is the holder key's algorithm (default ES256).
	HolderAlg string
}

// DefaultVCT is the credential type the demo issuer uses.
const DefaultVCT = "urn:eudi:pid:1"

// Issue makes a holder key and a credential bound to it, signed by the
// issuer's private key.
func Issue(issuerKey jose.JSONWebKey, p IssueParams) (Wallet, error) {
	if p.VCT == "" {
		p.VCT = DefaultVCT
	}
	if p.Validity <= 0 {
		p.Validity = 365 * 24 * time.Hour
	}
	if p.HolderAlg == "" {
		p.HolderAlg = string(jose.ES256)
	}
	holder, err := NewKey(p.HolderAlg)
	if err != nil {
		return Wallet{}, fmt.Errorf("issue: holder %w", err)
	}
	cred, err := sdjwt.Issue(issuerKey, sdjwt.Credential{
		Issuer: p.Issuer, VCT: p.VCT, IssuedAt: p.IssuedAt, Expiry: p.IssuedAt.Add(p.Validity),
		Holder: holder.Public(), Status: p.Status, Disclosable: p.Claims, Decoys: 2,
	})
	if err != nil {
		return Wallet{}, err
	}
	return Wallet{Issuer: p.Issuer, VCT: p.VCT, Credential: cred, HolderKey: holder}, nil
}

// Present builds a presentation revealing the named claims (nil: all) for a
// verifier's nonce and aud.
func (w Wallet) Present(disclose []string, nonce, aud string, now time.Time) (string, error) {
	if w.format() != FormatSDJWT {
		return "", fmt.Errorf("present: wallet holds %s, use PresentMdoc", w.format())
	}
	return sdjwt.Present(w.Credential, disclose, w.HolderKey, nonce, aud, now)
}

// Load reads a wallet file.
func Load(path string) (Wallet, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Wallet{}, fmt.Errorf("wallet %s: %w", path, err)
	}
	var w Wallet
	if err := json.Unmarshal(data, &w); err != nil {
		return Wallet{}, fmt.Errorf("wallet %s: %w", path, err)
	}
	if w.Credential == "" || w.HolderKey.Key == nil || w.HolderKey.IsPublic() {
		return Wallet{}, fmt.Errorf("wallet %s: needs a credential and a private holder key", path)
	}
	return w, nil
}

// Save writes a wallet file readable only by its owner.
func (w Wallet) Save(path string) error {
	return WriteJSON(path, w, 0o600)
}
