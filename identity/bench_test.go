package identity

import (
	"context"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/frontdoor-project/frontdoor/identity/sdjwt"
	"github.com/frontdoor-project/frontdoor/identity/wallet"
)

// benchSetup issues a credential with the three default claims plus two
// others and two decoys, and presents the three.
func benchSetup(b *testing.B, alg string) (*Verifier, string, string, jose.JSONWebKey) {
	b.Helper()
	now := time.Now()
	issuer := mustKey(b, alg)
	w, err := wallet.Issue(issuer, wallet.IssueParams{Issuer: testIss, IssuedAt: now, HolderAlg: alg, Claims: map[string]any{
		"given_name": "Minji", "family_name": "Kim", "birthdate": "1990-05-17", "nationality": "KR", "sex": 2}})
	if err != nil {
		b.Fatal(err)
	}
	nonce := "bench-nonce-0123456789abcdef0123456789"
	pres, err := w.Present(DefaultClaims, nonce, testAud, now)
	if err != nil {
		b.Fatal(err)
	}
	v, err := NewVerifier(VerifierConfig{Audience: testAud, Issuers: []IssuerKeys{{Issuer: testIss, Keys: wallet.PublicSet(issuer)}}})
	if err != nil {
		b.Fatal(err)
	}
	return v, pres, nonce, issuer.Public()
}

// measure runs op in the benchmark loop and reports its rate per wall
// second and per CPU second of this process (GC included).
func measure(b *testing.B, unit string, op func() error) {
	b.Helper()
	cpu0 := processCPU()
	for b.Loop() {
		if err := op(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), unit)
	if cpu := processCPU() - cpu0; cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), unit[:len(unit)-2]+"/cpu-s")
	}
}

// BenchmarkVerify is the whole check of one presentation (no status list),
// then its cost split into the issuer signature, the KB-JWT (signature and
// claims) and the disclosures. Run with -cpu 1 for the one-core figure.
func BenchmarkVerify(b *testing.B) {
	for _, alg := range algs {
		v, pres, nonce, issuerPub := benchSetup(b, alg)
		p, err := sdjwt.Split(pres)
		if err != nil {
			b.Fatal(err)
		}
		payload, err := sdjwt.DecodePayload(p.IssuerJWT)
		if err != nil {
			b.Fatal(err)
		}
		holder, err := holderKey(payload)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(alg+"/presentation", func(b *testing.B) {
			ctx, body := context.Background(), []byte(pres)
			measure(b, "presentations/s", func() error {
				_, err := v.Verify(ctx, body, nonce)
				return err
			})
		})
		b.Run(alg+"/issuer-signature", func(b *testing.B) {
			keys := []jose.JSONWebKey{issuerPub}
			measure(b, "signatures/s", func() error {
				_, err := sdjwt.Verify(p.IssuerJWT, alg, keys)
				return err
			})
		})
		b.Run(alg+"/kb-jwt", func(b *testing.B) {
			measure(b, "kb-jwts/s", func() error { return v.keyBinding(p, holder, nonce, v.aud) })
		})
		b.Run(alg+"/disclosures", func(b *testing.B) {
			measure(b, "disclosure-sets/s", func() error {
				_, err := sdjwt.Resolve(payload, p.Disclosures)
				return err
			})
		})
	}
}

// BenchmarkSessionPresent is the service path an HTTP presentation takes:
// a new session, the verification, the kept claims and the audit hook.
func BenchmarkSessionPresent(b *testing.B) {
	now := time.Now()
	issuer := mustKey(b, "ES256")
	w, err := wallet.Issue(issuer, wallet.IssueParams{Issuer: testIss, IssuedAt: now, Claims: map[string]any{
		"given_name": "Minji", "family_name": "Kim", "birthdate": "1990-05-17"}})
	if err != nil {
		b.Fatal(err)
	}
	svc, err := NewService(ServiceConfig{VerifierID: testAud, MaxSessions: 1 << 30,
		Issuers: []IssuerKeys{{Issuer: testIss, Keys: wallet.PublicSet(issuer)}}, Audit: func(AuditEntry) {}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		sess, err := svc.NewSession("c")
		if err != nil {
			b.Fatal(err)
		}
		pres, err := w.Present(nil, sess.Nonce, sess.Aud, now)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := svc.Present(ctx, sess.ID, []byte(pres), MethodWeb); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "presentations/s")
}
