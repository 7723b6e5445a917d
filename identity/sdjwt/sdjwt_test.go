package sdjwt

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

func TestSplit(t *testing.T) {
	p, err := Split("h.p.s~d1~d2~k.p.s")
	if err != nil {
		t.Fatal(err)
	}
	if p.IssuerJWT != "h.p.s" || !reflect.DeepEqual(p.Disclosures, []string{"d1", "d2"}) || p.KBJWT != "k.p.s" || p.SDHashInput != "h.p.s~d1~d2~" {
		t.Fatalf("%+v", p)
	}
	if p.String() != "h.p.s~d1~d2~k.p.s" {
		t.Fatalf("String() = %q", p.String())
	}
	p, err = Split("h.p.s~")
	if err != nil || p.KBJWT != "" || len(p.Disclosures) != 0 {
		t.Fatalf("%+v %v", p, err)
	}
	for _, bad := range []string{"", "h.p.s", "h.p~", "h..s~", "h.p.s~~k.p.s", "h.p.s~d+1~", "h.p.s~d~k.p", "h.p.s~d~k.p.s.x"} {
		if _, err := Split(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("Split(%q) = %v, want ErrMalformed", bad, err)
		}
	}
}

// The disclosure example of RFC 9901 §4.2.1 ("given_name": "John").
func TestDisclosureDigestMatchesRFC(t *testing.T) {
	raw := "WyJfMjZiYzRMVC1hYzZxMktJNmNCVzVlcyIsICJmYW1pbHlfbmFtZSIsICJNw7ZiaXVzIl0"
	d, err := ParseDisclosure(raw)
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "family_name" || d.Value != "Möbius" || d.Salt != "_26bc4LT-ac6q2KI6cBW5es" {
		t.Fatalf("%+v", d)
	}
	if d.Digest != "X9yH0Ajrdm1Oij4tWso9UzzKJvPoDxwmuEcO3XAdRC0" {
		t.Fatalf("digest %s", d.Digest)
	}
	arr, err := ParseDisclosure("WyJsa2x4RjVqTVlsR1RQVW92TU5JdkNBIiwgIkZSIl0")
	if err != nil || !arr.ArrayElement || arr.Value != "FR" || arr.Digest != "w0I8EKcdCtUPkGCNUrfwVp2xEgNjtoIDlOxc9-PlOhs" {
		t.Fatalf("%+v %v", arr, err)
	}
}

func TestResolve(t *testing.T) {
	street, _ := NewDisclosure("street", "Sejong-daero 110")
	addr, _ := NewDisclosure("address", map[string]any{"_sd": []any{street.Digest}, "country": "KR"})
	kr, _ := NewDisclosure("", "KR")
	jp, _ := NewDisclosure("", "JP")
	payload := map[string]any{
		"iss":           "https://id.example",
		"_sd_alg":       "sha-256",
		"_sd":           []any{addr.Digest, "decoy-digest"},
		"nationalities": []any{map[string]any{"...": kr.Digest}, map[string]any{"...": jp.Digest}, "US"},
	}
	got, err := Resolve(payload, []string{addr.Raw, street.Raw, kr.Raw})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"iss":           "https://id.example",
		"address":       map[string]any{"street": "Sejong-daero 110", "country": "KR"},
		"nationalities": []any{"KR", "US"}, // JP not disclosed
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
	if _, ok := payload["_sd"]; !ok {
		t.Fatal("Resolve modified its input")
	}
	// Nested disclosure without its parent: unused.
	if _, err := Resolve(payload, []string{street.Raw}); !errors.Is(err, ErrBadDisclosure) {
		t.Fatalf("orphan nested disclosure: %v", err)
	}
}

func TestIssueAndPresent(t *testing.T) {
	for _, alg := range []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA} {
		t.Run(string(alg), func(t *testing.T) {
			issuer, holder := key(t, alg), key(t, alg)
			now := time.Unix(1_800_000_000, 0)
			cred, err := Issue(issuer, Credential{
				Issuer: "https://id.example", VCT: "urn:eudi:pid:1", IssuedAt: now, Expiry: now.Add(time.Hour),
				Holder: holder.Public(), Disclosable: map[string]any{"given_name": "Minji", "birthdate": "1990-05-17"}, Decoys: 3,
			})
			if err != nil {
				t.Fatal(err)
			}
			pres, err := Present(cred, []string{"given_name"}, holder, "n-1", "https://frontdoor.example", now)
			if err != nil {
				t.Fatal(err)
			}
			p, err := Split(pres)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Disclosures) != 1 {
				t.Fatalf("%d disclosures, want only given_name", len(p.Disclosures))
			}
			h, _ := DecodeHeader(p.IssuerJWT)
			if h.Typ != TypVC || h.Alg != string(alg) || h.Kid != issuer.KeyID {
				t.Fatalf("header %+v", h)
			}
			payload, err := Verify(p.IssuerJWT, h.Alg, []jose.JSONWebKey{issuer.Public()})
			if err != nil {
				t.Fatal(err)
			}
			var claims map[string]any
			json.Unmarshal(payload, &claims)
			if n := len(claims["_sd"].([]any)); n != 5 {
				t.Fatalf("%d digests, want 2 claims + 3 decoys", n)
			}
			out, err := Resolve(claims, p.Disclosures)
			if err != nil || out["given_name"] != "Minji" || out["birthdate"] != nil {
				t.Fatalf("resolved %v, %v", out, err)
			}
			kb, err := Verify(p.KBJWT, h.Alg, []jose.JSONWebKey{holder.Public()})
			if err != nil {
				t.Fatal(err)
			}
			var kbc KBClaims
			json.Unmarshal(kb, &kbc)
			if kbc.SDHash != Hash(p.SDHashInput) || kbc.Nonce != "n-1" || kbc.IssuedAt != now.Unix() {
				t.Fatalf("kb %+v", kbc)
			}
			if _, err := Verify(p.KBJWT, h.Alg, []jose.JSONWebKey{issuer.Public()}); !errors.Is(err, ErrBadSignature) {
				t.Fatalf("KB verified with the wrong key: %v", err)
			}
		})
	}
}

func TestVerifyRefusesAlgKeyMismatch(t *testing.T) {
	ec, ed := key(t, jose.ES256), key(t, jose.EdDSA)
	jwt, err := Sign(ec, "JWT", map[string]any{"a": 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(jwt, "EdDSA", []jose.JSONWebKey{ed.Public()}); err == nil {
		t.Fatal("ES256 JWT verified as EdDSA")
	}
	if _, err := Verify(jwt, "ES256", []jose.JSONWebKey{ed.Public()}); !errors.Is(err, ErrBadSignature) || !strings.Contains(err.Error(), "no key fits") {
		t.Fatalf("ES256 with only an Ed25519 key: %v", err)
	}
	if _, err := Verify(jwt, "none", nil); !errors.Is(err, ErrBadAlg) {
		t.Fatalf("alg none: %v", err)
	}
}

func key(t *testing.T, alg jose.SignatureAlgorithm) jose.JSONWebKey {
	t.Helper()
	var k jose.JSONWebKey
	var err error
	switch alg {
	case jose.ES256:
		k, err = genEC()
	default:
		k, err = genEd()
	}
	if err != nil {
		t.Fatal(err)
	}
	return k
}
