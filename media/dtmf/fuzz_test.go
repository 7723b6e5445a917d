package dtmf

import (
	"errors"
	"testing"
)

// The seed corpora live in testdata/fuzz/<FuzzName>; `go test` replays them.

func FuzzParseRelay(f *testing.F) {
	f.Add([]byte("Signal=5\r\nDuration=160\r\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := ParseRelay(body)
		if err != nil {
			if !errors.Is(err, ErrBadBody) {
				t.Fatalf("error %v does not wrap ErrBadBody", err)
			}
			return
		}
		if _, err := Code(r.Digit); err != nil {
			t.Fatalf("accepted body yields non-key %q", r.Digit)
		}
		if r.Duration < 0 {
			t.Fatalf("negative duration %v", r.Duration)
		}
	})
}

func FuzzParseDTMF(f *testing.F) {
	f.Add([]byte("5"))
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := ParseDTMF(body)
		if err != nil {
			if !errors.Is(err, ErrBadBody) {
				t.Fatalf("error %v does not wrap ErrBadBody", err)
			}
			return
		}
		if _, err := Code(d); err != nil {
			t.Fatalf("accepted body yields non-key %q", d)
		}
	})
}

func FuzzReceiver(f *testing.F) {
	f.Add(uint32(0), true, []byte{5, 0x0A, 0, 160})
	f.Fuzz(func(t *testing.T, ts uint32, marker bool, payload []byte) {
		var r Receiver
		d1, ok1 := r.Feed(ts, marker, payload)
		// The very same packet again is a repeat: never a second digit.
		if _, ok2 := r.Feed(ts, marker, payload); ok2 {
			t.Fatalf("repeat of %x reported twice (first %q %v)", payload, d1, ok1)
		}
	})
}
