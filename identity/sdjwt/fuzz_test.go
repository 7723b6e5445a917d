package sdjwt

import (
	"encoding/json"
	"testing"
)

// FuzzResolve feeds arbitrary payloads and disclosure lists (as JSON) to
// the disclosure processing, which must never panic and never leave an
// _sd or ... key in what it returns.
func FuzzResolve(f *testing.F) {
	f.Fuzz(func(t *testing.T, payloadJSON, disclosuresJSON string) {
		var payload map[string]any
		var raws []string
		if json.Unmarshal([]byte(payloadJSON), &payload) != nil || json.Unmarshal([]byte(disclosuresJSON), &raws) != nil || payload == nil {
			return
		}
		out, err := Resolve(payload, raws)
		if err != nil {
			return
		}
		checkClean(t, out)
	})
}

func checkClean(t *testing.T, v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if k == KeySD || k == KeyArray || k == KeySDAlg {
				t.Fatalf("resolved claims keep %q", k)
			}
			checkClean(t, e)
		}
	case []any:
		for _, e := range x {
			checkClean(t, e)
		}
	}
}

func FuzzSplit(f *testing.F) {
	f.Add("h.p.s~d1~d2~k.p.s")
	f.Add("h.p.s~")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Split(s)
		if err != nil {
			return
		}
		if p.String() != s {
			t.Fatalf("Split(%q) reassembles to %q", s, p.String())
		}
	})
}
