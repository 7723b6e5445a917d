package identity

import (
	"context"
	"testing"
	"time"
)

// The corpus in testdata/fuzz was made with the key in
// testdata/fuzz-issuer.jwks.json at this time, nonce and audience, so its
// seeds verify and the fuzzer starts from accepted presentations.
var fuzzNow = time.Unix(1_800_000_000, 0)

const fuzzNonce = "fuzz-nonce"

func FuzzPresentation(f *testing.F) {
	keys, err := LoadJWKS("testdata/fuzz-issuer.jwks.json")
	if err != nil {
		f.Fatal(err)
	}
	v, err := NewVerifier(VerifierConfig{Audience: testAud, Issuers: []IssuerKeys{{Issuer: testIss, Keys: keys}},
		Clock: func() time.Time { return fuzzNow }})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body string) {
		got, err := v.Verify(context.Background(), []byte(body), fuzzNonce)
		if err != nil {
			if r, ok := AsRefusal(err); !ok || r.Code == "" || r.Detail == "" {
				t.Fatalf("error %v is not a Refusal with code and detail", err)
			}
			return
		}
		if got.Claims == nil || got.Issuer != testIss || len(got.Digest) != 64 {
			t.Fatalf("accepted with %+v", got)
		}
	})
}

func FuzzParseJWKS(f *testing.F) {
	f.Fuzz(func(t *testing.T, data string) {
		set, err := ParseJWKS([]byte(data))
		if err != nil {
			return
		}
		for _, k := range set.Keys {
			if !k.IsPublic() {
				t.Fatal("accepted a private key")
			}
		}
	})
}

func TestFuzzSeedsVerify(t *testing.T) {
	// The seeds must stay meaningful: the valid ones are accepted.
	keys, err := LoadJWKS("testdata/fuzz-issuer.jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	v, _ := NewVerifier(VerifierConfig{Audience: testAud, Issuers: []IssuerKeys{{Issuer: testIss, Keys: keys}},
		Clock: func() time.Time { return fuzzNow }})
	for _, name := range []string{"valid-all", "valid-one"} {
		body := readSeed(t, "testdata/fuzz/FuzzPresentation/"+name)
		if _, err := v.Verify(context.Background(), []byte(body), fuzzNonce); err != nil {
			t.Errorf("seed %s refused: %v", name, err)
		}
	}
}
