package openid4vp

import (
	"context"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/identity"
	"github.com/frontdoor-project/frontdoor/identity/wallet"
)

// BenchmarkOpenID4VPResponse is the verifier's work for one direct_post.jwt
// answer: ECDH-ES + A128GCM decryption of the response, then the SD-JWT VC
// checks (issuer signature, KB-JWT, disclosures, unrequested claims). The
// session bookkeeping (a map under a mutex) is left out. Run with -cpu 1:
// responses/s is then the rate one core sustains, comparable with
// identity's BenchmarkVerify.
func BenchmarkOpenID4VPResponse(b *testing.B) {
	issuerKey, err := wallet.NewKey("ES256")
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	w, err := wallet.Issue(issuerKey, wallet.IssueParams{Issuer: "https://id.example", IssuedAt: now.Add(-time.Hour),
		Claims: map[string]any{"given_name": "Minji", "family_name": "Kim", "birthdate": "1958-03-02"}})
	if err != nil {
		b.Fatal(err)
	}
	svc, err := identity.NewService(identity.ServiceConfig{VerifierID: "https://frontdoor.example",
		Issuers: []identity.IssuerKeys{{Issuer: "https://id.example", Keys: wallet.PublicSet(issuerKey.Public())}}})
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	cert, key, root := filepath.Join(dir, "v.pem"), filepath.Join(dir, "v.key"), filepath.Join(dir, "r.pem")
	if err := DemoChain(cert, key, root, "bench verifier", now); err != nil {
		b.Fatal(err)
	}
	chain, _ := LoadChain(cert)
	priv, _ := LoadKey(key)
	v, err := New(Config{Service: svc, PublicURL: "https://frontdoor.example", Chain: chain, Key: priv})
	if err != nil {
		b.Fatal(err)
	}
	sess, err := svc.NewSession("")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := v.Open(sess); err != nil {
		b.Fatal(err)
	}
	jwt, err := v.RequestObject(sess.ID)
	if err != nil {
		b.Fatal(err)
	}
	wr, err := VerifyRequestObject(string(jwt), v.ClientID(), Trust{SkipRootTrust: true})
	if err != nil {
		b.Fatal(err)
	}
	form, err := wr.Answer(w, AnswerOptions{Now: now})
	if err != nil {
		b.Fatal(err)
	}
	r, _ := v.lookup(sess.ID)
	ctx := context.Background()
	once := func(form url.Values) error {
		a, ref := v.decode(r, form)
		if ref != nil {
			return ref
		}
		_, err := v.check(ctx, sess, a)
		return err
	}
	if err := once(form); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := once(form); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "responses/s")
}
