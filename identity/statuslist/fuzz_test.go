package statuslist

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

func FuzzParseToken(f *testing.F) {
	data, err := os.ReadFile("testdata/fuzz-issuer.jwks.json")
	if err != nil {
		f.Fatal(err)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(data, &set); err != nil {
		f.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	f.Fuzz(func(t *testing.T, raw string) {
		tok, err := ParseToken(raw, "https://id.example/lists/1", set.Keys, now)
		if err != nil {
			return
		}
		if tok.Subject != "https://id.example/lists/1" || tok.List.Len() == 0 {
			t.Fatalf("accepted %+v", tok)
		}
		for i := 0; i < tok.List.Len() && i < 64; i++ {
			if _, err := tok.List.Status(i); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func FuzzDecode(f *testing.F) {
	f.Add(1, "eNrbuRgAAhcBXQ")
	f.Add(2, "eNo76fITAAPfAgc")
	f.Fuzz(func(t *testing.T, bits int, lst string) {
		l, err := Decode(Claim{Bits: bits, Lst: lst})
		if err != nil {
			return
		}
		if _, err := l.Status(l.Len() - 1); err != nil {
			t.Fatal(err)
		}
	})
}
