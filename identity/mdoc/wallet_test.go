package mdoc_test

import (
	"crypto/x509"
	"path/filepath"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/identity/mdoc"
	"github.com/frontdoor-project/frontdoor/identity/wallet"
)

// TestWalletFileRoundTrip runs the demo wallet's mso_mdoc path (what
// `fdwallet issue -format mso_mdoc` stores) through Verify. It lives here
// so the mdoc tests cover the wallet's encoding too.
func TestWalletFileRoundTrip(t *testing.T) {
	iaca, err := mdoc.NewDemoIACA()
	if err != nil {
		t.Fatal(err)
	}
	ds, err := mdoc.NewDocumentSigner(iaca)
	if err != nil {
		t.Fatal(err)
	}
	w, err := wallet.IssueMdoc(ds, wallet.MdocParams{
		Claims:   map[string]any{"given_name": "Minji", "family_name": "Kim", "birthdate": "1990-05-17", "age_in_years": 36.0},
		IssuedAt: time.Now().Add(-time.Minute),
	})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "wallet.json")
	if err := w.Save(path); err != nil {
		t.Fatal(err)
	}
	back, err := wallet.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if back.Format != wallet.FormatMdoc || back.DocType != mdoc.DocTypeMDL {
		t.Fatalf("loaded wallet format %q doctype %q", back.Format, back.DocType)
	}
	if _, err := back.Present(nil, "n", "a", time.Now()); err == nil {
		t.Fatal("SD-JWT Present accepted an mdoc wallet")
	}
	tr := mdoc.Transcript{ClientID: "x509_hash:abc", ResponseURI: "https://fd.example/r", Nonce: "nonce-1"}
	resp, err := back.PresentMdoc(tr, mdoc.DefaultRequest())
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(iaca.Cert)
	res, err := mdoc.Verify(resp, mdoc.VerifyOptions{TrustAnchors: pool, Now: time.Now(), Requested: mdoc.DefaultRequest(), Transcript: tr})
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if res.Claims["given_name"] != "Minji" || res.Claims["birth_date"] != "1990-05-17" {
		t.Fatalf("claims %v", res.Claims)
	}
}
