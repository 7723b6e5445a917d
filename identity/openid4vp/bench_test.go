package openid4vp

import (
	"context"
	"encoding/json"
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
func BenchmarkOpenID4VPResponse(b *testing.B) { benchResponse(b, false) }

// BenchmarkDCAPIResponse is the same for a Digital Credentials API answer
// (dc_api.jwt, KB-JWT aud origin:<origin>, the Origin check).
func BenchmarkDCAPIResponse(b *testing.B) { benchResponse(b, true) }

func benchResponse(b *testing.B, dc bool) {
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
	decode := benchDirectPost(b, v, sess.ID, w, now)
	if dc {
		decode = benchDCAPI(b, v, sess.ID, w, now)
	}
	r, _ := v.lookup(sess.ID)
	ctx := context.Background()
	once := func() error {
		a, ref := decode(r)
		if ref != nil {
			return ref
		}
		_, err := v.check(ctx, sess, a)
		return err
	}
	if err := once(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := once(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "responses/s")
}

// benchDirectPost answers the session's request_uri as a wallet does and
// returns the verifier's decoding of that answer.
func benchDirectPost(b *testing.B, v *Verifier, id string, w wallet.Wallet, now time.Time) func(*request) (answer, *identity.Refusal) {
	jwt, err := v.RequestObject(id)
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
	return func(r *request) (answer, *identity.Refusal) { return v.decode(r, form) }
}

// benchDCAPI is the same over the Digital Credentials API, for the origin
// of the public URL.
func benchDCAPI(b *testing.B, v *Verifier, id string, w wallet.Wallet, now time.Time) func(*request) (answer, *identity.Refusal) {
	raw, err := v.DCRequest(id, ProtocolSigned)
	if err != nil {
		b.Fatal(err)
	}
	var req DCRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		b.Fatal(err)
	}
	origin := v.ExpectedOrigins()[0]
	wr, err := ResolveDC(req, origin, Trust{SkipRootTrust: true})
	if err != nil {
		b.Fatal(err)
	}
	body, err := wr.AnswerDC(w, AnswerOptions{Now: now})
	if err != nil {
		b.Fatal(err)
	}
	return func(r *request) (answer, *identity.Refusal) { return v.decodeDC(r, origin, body) }
}
