package identity

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/frontdoor-project/frontdoor/identity/sdjwt"
)

var algs = []string{"ES256", "EdDSA"}

func TestValidPresentationKeepsOnlyConfiguredClaims(t *testing.T) {
	for _, alg := range algs {
		t.Run(alg, func(t *testing.T) {
			f := newFixture(t, alg)
			claims, err := f.present(func(p *pres) {
				p.disclose(t, "nationality", "KR")
				p.payload["sub"] = "citizen-4711" // plain claims are not kept either
			})
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			want := Claims{"given_name": "Minji", "family_name": "Kim", "birthdate": "1990-05-17"}
			if len(claims) != len(want) {
				t.Fatalf("claims %v, want exactly %v", claims, want)
			}
			for k, v := range want {
				if claims[k] != v {
					t.Errorf("claim %s = %q, want %q", k, claims[k], v)
				}
			}
			if len(f.audits) != 1 {
				t.Fatalf("%d audit entries, want 1", len(f.audits))
			}
			a := f.audits[0]
			if a.Result != "verified" || a.Reason != "" || a.Issuer != testIss || a.CallID != "call-1" || a.Method != MethodWeb {
				t.Errorf("audit entry %+v", a)
			}
			if len(a.Digest) != 64 {
				t.Errorf("audit digest %q is not hex SHA-256", a.Digest)
			}
			if f.observed[0] != "web/verified" {
				t.Errorf("observed %v", f.observed)
			}
		})
	}
}

func TestAuditDigestIsSHA256OfIssuerJWT(t *testing.T) {
	f := newFixture(t, "ES256")
	sess, _ := f.svc.NewSession("c")
	p := f.valid(sess)
	enc := p.encode(t)
	if _, err := f.svc.Present(context.Background(), sess.ID, []byte(enc), MethodPhoneCode); err != nil {
		t.Fatal(err)
	}
	jwt, _, _ := strings.Cut(enc, "~")
	sum := sha256.Sum256([]byte(jwt))
	if got := f.audits[0].Digest; got != hex.EncodeToString(sum[:]) {
		t.Fatalf("digest %s, want SHA-256 of the issuer JWT", got)
	}
	for _, v := range []string{"Minji", "Kim", "1990"} {
		if strings.Contains(strings.ToLower(f.audits[0].Detail+f.audits[0].Digest), strings.ToLower(v)) {
			t.Fatalf("audit leaks claim value %q", v)
		}
	}
}

// Each case breaks exactly one rule of a valid presentation.
func TestEveryRuleRefusesWithItsCode(t *testing.T) {
	type breaker func(t *testing.T, f *fixture, p *pres)
	cases := []struct {
		name string
		code string // "" = must be accepted
		brk  breaker
	}{
		{"legacy typ vc+sd-jwt accepted", "", func(t *testing.T, f *fixture, p *pres) { p.typ = sdjwt.TypVCLegacy }},
		{"typ with application/ prefix accepted", "", func(t *testing.T, f *fixture, p *pres) { p.typ = "application/dc+sd-jwt" }},
		{"exp just inside the skew accepted", "", func(t *testing.T, f *fixture, p *pres) {
			p.payload["exp"] = f.clock.Now().Add(-50 * time.Second).Unix()
		}},
		{"nbf just inside the skew accepted", "", func(t *testing.T, f *fixture, p *pres) {
			p.payload["nbf"] = f.clock.Now().Add(50 * time.Second).Unix()
		}},
		{"kb iat 50s old accepted", "", func(t *testing.T, f *fixture, p *pres) {
			p.kbClaims["iat"] = f.clock.Now().Add(-50 * time.Second).Unix()
		}},
		{"no kid: every issuer key tried", "", func(t *testing.T, f *fixture, p *pres) { p.kid = "" }},
		{"typ JWT", CodeBadTyp, func(t *testing.T, f *fixture, p *pres) { p.typ = "JWT" }},
		{"typ missing", CodeBadTyp, func(t *testing.T, f *fixture, p *pres) { p.typ = "" }},
		{"alg HS256", CodeBadAlg, func(t *testing.T, f *fixture, p *pres) {
			p.alg, p.issuerKey = jose.HS256, []byte("0123456789abcdef0123456789abcdef")
		}},
		{"alg RS256-like unknown", CodeBadAlg, func(t *testing.T, f *fixture, p *pres) {
			p.alg, p.issuerKey = jose.HS512, []byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
		}},
		{"iss not configured", CodeUnknownIssuer, func(t *testing.T, f *fixture, p *pres) { p.payload["iss"] = "https://evil.example" }},
		{"signed by another key with the issuer's kid", CodeBadSignature, func(t *testing.T, f *fixture, p *pres) {
			p.issuerKey = mustKey(t, f.alg).Key
		}},
		{"kid unknown to the issuer", CodeBadSignature, func(t *testing.T, f *fixture, p *pres) { p.kid = "other-kid" }},
		{"expired", CodeExpired, func(t *testing.T, f *fixture, p *pres) {
			p.payload["exp"] = f.clock.Now().Add(-61 * time.Second).Unix()
		}},
		{"nbf in the future", CodeNotYetValid, func(t *testing.T, f *fixture, p *pres) {
			p.payload["nbf"] = f.clock.Now().Add(2 * time.Minute).Unix()
		}},
		{"iat in the future", CodeNotYetValid, func(t *testing.T, f *fixture, p *pres) {
			p.payload["iat"] = f.clock.Now().Add(2 * time.Minute).Unix()
		}},
		{"unknown critical header", CodeMalformed, func(t *testing.T, f *fixture, p *pres) { p.crit = "x-frontdoor-unknown" }},
		{"iat missing", CodeMalformed, func(t *testing.T, f *fixture, p *pres) { delete(p.payload, "iat") }},
		{"exp not a number", CodeMalformed, func(t *testing.T, f *fixture, p *pres) { p.payload["exp"] = "tomorrow" }},
		{"vct missing", CodeMalformed, func(t *testing.T, f *fixture, p *pres) { delete(p.payload, "vct") }},
		{"iss missing", CodeMalformed, func(t *testing.T, f *fixture, p *pres) { delete(p.payload, "iss") }},
		{"_sd_alg sha-512", CodeBadDisclosure, func(t *testing.T, f *fixture, p *pres) { p.payload["_sd_alg"] = "sha-512" }},
		{"disclosure not referenced", CodeBadDisclosure, func(t *testing.T, f *fixture, p *pres) {
			d, _ := sdjwt.NewDisclosure("nationality", "KR")
			p.disclosures = append(p.disclosures, d.Raw)
		}},
		{"disclosure sent twice", CodeBadDisclosure, func(t *testing.T, f *fixture, p *pres) {
			p.disclosures = append(p.disclosures, p.disclosures[0])
		}},
		{"digest twice in _sd", CodeBadDisclosure, func(t *testing.T, f *fixture, p *pres) {
			sd := p.payload["_sd"].([]any)
			p.payload["_sd"] = append(sd, sd[0])
		}},
		{"digest in _sd and in a nested object", CodeBadDisclosure, func(t *testing.T, f *fixture, p *pres) {
			p.payload["address"] = map[string]any{"_sd": []any{p.payload["_sd"].([]any)[0]}}
		}},
		{"claim name _sd", CodeBadDisclosure, func(t *testing.T, f *fixture, p *pres) { p.disclose(t, "_sd", "x") }},
		{"claim name ...", CodeBadDisclosure, func(t *testing.T, f *fixture, p *pres) { p.disclose(t, "...", "x") }},
		{"disclosure clashes with a plain claim", CodeBadDisclosure, func(t *testing.T, f *fixture, p *pres) {
			p.payload["given_name"] = "Plain"
		}},
		{"array element disclosure in _sd", CodeBadDisclosure, func(t *testing.T, f *fixture, p *pres) {
			d, _ := sdjwt.NewDisclosure("", "KR")
			p.payload["_sd"] = append(p.payload["_sd"].([]any), d.Digest)
			p.disclosures = append(p.disclosures, d.Raw)
		}},
		{"object disclosure in an array", CodeBadDisclosure, func(t *testing.T, f *fixture, p *pres) {
			d, _ := sdjwt.NewDisclosure("country", "KR")
			p.payload["nationalities"] = []any{map[string]any{"...": d.Digest}}
			p.disclosures = append(p.disclosures, d.Raw)
		}},
		{"exp hidden in a disclosure", CodeBadDisclosure, func(t *testing.T, f *fixture, p *pres) {
			delete(p.payload, "exp")
			p.disclose(t, "exp", f.clock.Now().Add(-48*time.Hour).Unix())
		}},
		{"status hidden in a disclosure", CodeBadDisclosure, func(t *testing.T, f *fixture, p *pres) {
			p.disclose(t, "status", map[string]any{"status_list": map[string]any{"idx": 1, "uri": "https://id.example/s"}})
		}},
		{"disclosure not base64url JSON", CodeMalformed, func(t *testing.T, f *fixture, p *pres) {
			p.disclosures = append(p.disclosures, "not*base64")
		}},
		{"disclosure not an array", CodeBadDisclosure, func(t *testing.T, f *fixture, p *pres) {
			raw := base64.RawURLEncoding.EncodeToString([]byte(`{"salt":"x"}`))
			p.payload["_sd"] = append(p.payload["_sd"].([]any), sdjwt.Hash(raw))
			p.disclosures = append(p.disclosures, raw)
		}},
		{"no KB-JWT", CodeMissingKeyBinding, func(t *testing.T, f *fixture, p *pres) { p.noKB = true }},
		{"credential without cnf", CodeMissingKeyBinding, func(t *testing.T, f *fixture, p *pres) { delete(p.payload, "cnf") }},
		{"KB typ JWT", CodeBadKeyBinding, func(t *testing.T, f *fixture, p *pres) { p.kbTyp = "JWT" }},
		{"KB signed by another key", CodeBadKeyBinding, func(t *testing.T, f *fixture, p *pres) { p.kbKey = mustKey(t, f.alg).Key }},
		{"KB alg HS256", CodeBadAlg, func(t *testing.T, f *fixture, p *pres) {
			p.kbAlg, p.kbKey = jose.HS256, []byte("0123456789abcdef0123456789abcdef")
		}},
		{"KB nonce of another session", CodeWrongNonce, func(t *testing.T, f *fixture, p *pres) {
			other, _ := f.svc.NewSession("call-2")
			p.kbClaims["nonce"] = other.Nonce
		}},
		{"KB nonce missing", CodeWrongNonce, func(t *testing.T, f *fixture, p *pres) { delete(p.kbClaims, "nonce") }},
		{"KB aud another verifier", CodeWrongAudience, func(t *testing.T, f *fixture, p *pres) { p.kbClaims["aud"] = "https://other.example" }},
		{"KB aud as array", CodeWrongAudience, func(t *testing.T, f *fixture, p *pres) { p.kbClaims["aud"] = []string{testAud} }},
		{"KB iat 61s old", CodeStaleKB, func(t *testing.T, f *fixture, p *pres) {
			p.kbClaims["iat"] = f.clock.Now().Add(-61 * time.Second).Unix()
		}},
		{"KB iat 61s ahead", CodeStaleKB, func(t *testing.T, f *fixture, p *pres) {
			p.kbClaims["iat"] = f.clock.Now().Add(61 * time.Second).Unix()
		}},
		{"sd_hash over more disclosures than sent", CodeBadSDHash, func(t *testing.T, f *fixture, p *pres) {
			p.kbDisclosures = p.disclosures
			p.disclosures = p.disclosures[:2]
		}},
		{"sd_hash missing", CodeBadSDHash, func(t *testing.T, f *fixture, p *pres) { p.kbClaims["sd_hash"] = nil }},
	}
	for _, alg := range algs {
		for _, c := range cases {
			t.Run(alg+"/"+c.name, func(t *testing.T) {
				f := newFixture(t, alg)
				claims, err := f.present(func(p *pres) { c.brk(t, f, p) })
				if c.code == "" {
					if err != nil {
						t.Fatalf("refused: %v", err)
					}
					if claims["given_name"] != "Minji" {
						t.Fatalf("claims %v", claims)
					}
					return
				}
				wantRefusal(t, err, c.code)
				if n := len(f.audits); n != 1 || f.audits[0].Reason != c.code || f.audits[0].Result != "refused" {
					t.Fatalf("audit %+v, want one refused entry with reason %s", f.audits, c.code)
				}
			})
		}
	}
}

func TestVCTAllowList(t *testing.T) {
	f := newFixture(t, "ES256", func(c *ServiceConfig) { c.VCTs = []string{"urn:other:1"} })
	_, err := f.present(nil)
	wantRefusal(t, err, CodeBadVCT)
	f = newFixture(t, "ES256", func(c *ServiceConfig) { c.VCTs = []string{testVCT} })
	if _, err := f.present(nil); err != nil {
		t.Fatalf("allowed vct refused: %v", err)
	}
}

func TestMalformedPresentations(t *testing.T) {
	f := newFixture(t, "EdDSA")
	for name, body := range map[string]string{
		"empty":              "",
		"no tilde":           "eyJhbGciOiJFUzI1NiJ9.e30.c2ln",
		"two-part jwt":       "eyJhbGciOiJFUzI1NiJ9.e30~",
		"header not json":    "bm90anNvbg.e30.c2ln~",
		"payload not object": "eyJhbGciOiJFUzI1NiIsInR5cCI6ImRjK3NkLWp3dCJ9.WzFd.c2ln~",
		"empty disclosure":   "eyJhbGciOiJFUzI1NiJ9.e30.c2ln~~x.y.z",
		"huge":               strings.Repeat("a", sdjwt.MaxPresentationSize+1),
	} {
		t.Run(name, func(t *testing.T) {
			sess, _ := f.svc.NewSession("")
			_, err := f.svc.Present(context.Background(), sess.ID, []byte(body), MethodWeb)
			wantRefusal(t, err, CodeMalformed)
		})
	}
	t.Run("alg none", func(t *testing.T) {
		sess, _ := f.svc.NewSession("")
		hdr := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"dc+sd-jwt"}`))
		pl := base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"https://id.example"}`))
		_, err := f.svc.Present(context.Background(), sess.ID, []byte(hdr+"."+pl+".~"), MethodWeb)
		wantRefusal(t, err, CodeBadAlg)
	})
}

func TestNestedAndArrayDisclosures(t *testing.T) {
	nested := func(p *pres) {
		loc, _ := sdjwt.NewDisclosure("locality", "Seoul")
		p.disclosures = append(p.disclosures, loc.Raw)
		addr, _ := sdjwt.NewDisclosure("address", map[string]any{"_sd": []any{loc.Digest}, "country": "KR"})
		p.payload["_sd"] = append(p.payload["_sd"].([]any), addr.Digest)
		p.disclosures = append(p.disclosures, addr.Raw)
		kr, _ := sdjwt.NewDisclosure("", "KR")
		p.payload["nationalities"] = []any{map[string]any{"...": kr.Digest}, map[string]any{"...": decoy(t)}, "JP"}
		p.disclosures = append(p.disclosures, kr.Raw)
	}
	f := newFixture(t, "ES256", func(c *ServiceConfig) { c.Claims = []string{"given_name"} })
	claims, err := f.present(nested)
	if err != nil {
		t.Fatalf("refused: %v", err)
	}
	// Nested values are not flat strings: only top-level scalars are kept.
	if claims["given_name"] != "Minji" || claims["locality"] != "" || len(claims) != 1 {
		t.Fatalf("claims %v", claims)
	}
	// A configured claim found only nested (or as an array) is not disclosed
	// as the call needs it: the presentation does not say who calls.
	f = newFixture(t, "ES256", func(c *ServiceConfig) { c.Claims = []string{"given_name", "locality", "nationalities"} })
	_, err = f.present(nested)
	wantRefusal(t, err, CodeMissingClaims)
}

// TestVerifiedMustSayWho: a presentation that discloses none (or only some)
// of the configured claims, or a credential of another type from a trusted
// issuer, never makes a call "verified".
func TestVerifiedMustSayWho(t *testing.T) {
	f := newFixture(t, "ES256")
	_, err := f.present(func(p *pres) { p.disclosures = nil; p.payload["_sd"] = []any{} })
	wantRefusal(t, err, CodeMissingClaims)
	_, err = f.present(func(p *pres) { p.disclosures = p.disclosures[:1] })
	wantRefusal(t, err, CodeMissingClaims)
	// No vcts configured: only the default identity type is accepted.
	_, err = f.present(func(p *pres) { p.payload["vct"] = "urn:example:library-card:1" })
	wantRefusal(t, err, CodeBadVCT)
	if _, err := f.present(nil); err != nil {
		t.Fatalf("the full presentation is refused: %v", err)
	}
}

func TestIssuerJWKSWithoutKids(t *testing.T) {
	f := newFixture(t, "ES256")
	// The fixture's issuer keys have kids; strip them from the trusted set.
	set := f.svc.verifier.issuers[testIss]
	stripped := make([]jose.JSONWebKey, len(set))
	for i, k := range set {
		k.KeyID = ""
		stripped[i] = k
	}
	f.svc.verifier.issuers[testIss] = stripped
	if _, err := f.present(nil); err != nil {
		t.Fatalf("header kid with a kid-less JWKS refused: %v", err)
	}
	// A kid-less JWKS still holds the signature to account.
	_, err := f.present(func(p *pres) { p.issuerKey = mustKey(t, "ES256").Key })
	wantRefusal(t, err, CodeBadSignature)
}
