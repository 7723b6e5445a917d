package config

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParse: any input is either accepted as a config that passes its own
// invariants or refused with located problems; never a panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte(minimal))
	f.Add(DemoYAML())
	f.Add([]byte("a: &x [1, *x]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "testdata/fuzz.yaml"
		cfg, err := Parse(name, data)
		if err != nil {
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("error is %T, not Problems: %v", err, err)
			}
			if len(ps) == 0 {
				t.Fatal("empty Problems returned as an error")
			}
			for i, p := range ps {
				if p.File != name || p.Line < 1 || p.Msg == "" || strings.Contains(p.Msg, "\n") {
					t.Fatalf("malformed problem %q", p.String())
				}
				if i > 0 && ps[i-1].Line > p.Line {
					t.Fatalf("problems not sorted by line: %v", err)
				}
			}
			return
		}
		if len(cfg.Agencies) == 0 || cfg.Number == "" {
			t.Fatalf("accepted a config without agencies or number: %+v", cfg)
		}
		for d, id := range cfg.Digits() {
			if a, ok := cfg.AgencyByDigit(d); !ok || a.ID != id {
				t.Fatalf("digit %q maps to %q but AgencyByDigit disagrees", d, id)
			}
		}
		if lo, hi := cfg.RTPPortRange(); lo == 0 || lo >= hi {
			t.Fatalf("accepted rtp_ports %q", cfg.Media.RTPPorts)
		}
	})
}
