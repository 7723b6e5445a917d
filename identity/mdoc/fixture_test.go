package mdoc

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"testing"
	"time"
)

// fixture is one IACA, one DS, one holder and an mDL issued to it.
type fixture struct {
	iaca, ds *KeyPair
	holder   *ecdsa.PrivateKey
	doc      *Document
	pool     *x509.CertPool
	now      time.Time
	tr       Transcript
	req      map[string][]string
}

func mdlElements() map[string]map[string]any {
	return map[string]map[string]any{NamespaceMDL: {
		"given_name":  "Erika",
		"family_name": "Mustermann",
		"birth_date":  FullDate("1971-09-01"),
		"age_over_18": true,
	}}
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	iaca, err := NewDemoIACA()
	if err != nil {
		tb.Fatal(err)
	}
	ds, err := NewDocumentSigner(iaca)
	if err != nil {
		tb.Fatal(err)
	}
	holder := mustKey(tb, elliptic.P256())
	now := time.Now()
	f := &fixture{
		iaca: iaca, ds: ds, holder: holder, now: now,
		pool: x509.NewCertPool(),
		tr: Transcript{
			ClientID:      "x509_hash:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
			ResponseURI:   "https://frontdoor.example/api/v1/identity/oid4vp/response/s1",
			Nonce:         "n-0S6_WzA2Mj",
			JWKThumbprint: make([]byte, 32),
		},
		req: DefaultRequest(),
	}
	f.pool.AddCert(iaca.Cert)
	f.doc = f.issue(tb, IssueOptions{})
	return f
}

// issue fills in the fixture's defaults for whatever opts leaves zero.
func (f *fixture) issue(tb testing.TB, opts IssueOptions) *Document {
	tb.Helper()
	if opts.Signer == nil {
		opts.Signer = f.ds
	}
	if opts.DeviceKey == nil {
		opts.DeviceKey = &f.holder.PublicKey
	}
	if opts.Elements == nil {
		opts.Elements = mdlElements()
	}
	if opts.ValidFrom.IsZero() {
		opts.ValidFrom = f.now.Add(-time.Hour)
	}
	doc, err := Issue(opts)
	if err != nil {
		tb.Fatal(err)
	}
	return doc
}

func (f *fixture) present(tb testing.TB, doc *Document, holder *ecdsa.PrivateKey, tr Transcript, req map[string][]string) []byte {
	tb.Helper()
	resp, err := Present(doc, holder, tr, req)
	if err != nil {
		tb.Fatal(err)
	}
	return resp
}

func (f *fixture) opts() VerifyOptions {
	return VerifyOptions{TrustAnchors: f.pool, Now: f.now, Requested: f.req, Transcript: f.tr}
}

func mustKey(tb testing.TB, c elliptic.Curve) *ecdsa.PrivateKey {
	tb.Helper()
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}
