package calls

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

// An owner's error crosses the wire as a code and comes back as the same
// sentinel (the requesting node's HTTP answer depends on it); an error
// without one comes back as a plain failure with its words; success is nil.
func TestErrorCodesRoundTrip(t *testing.T) {
	for _, w := range wireErrors {
		err := fmt.Errorf("transfer c-1: %w", w.err)
		back := ErrorFromCode(ErrorCode(err), err.Error())
		if !errors.Is(back, w.err) {
			t.Errorf("%v came back as %v", err, back)
		}
	}
	dial := errors.New("ringing supervisor 2001: 486 Busy Here")
	if code := ErrorCode(dial); code != "failed" {
		t.Fatalf("code of an error without one: %q", code)
	}
	back := ErrorFromCode("failed", dial.Error())
	if back == nil || back.Error() != dial.Error() || errors.Is(back, ErrNotConnected) || errors.Is(back, context.DeadlineExceeded) {
		t.Fatalf("a plain failure came back as %v", back)
	}
	if ErrorCode(nil) != "" || ErrorFromCode("", "") != nil {
		t.Fatal("success does not round-trip as nil")
	}
}
