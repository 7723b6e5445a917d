package calls

import (
	"context"
	"errors"
	"testing"

	"github.com/frontdoor-project/frontdoor/store"
)

// A node declared lost says so (the node's /readyz answers 503 with it)
// until it has registered again.
func TestLapsedUntilRejoined(t *testing.T) {
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sb := newTestSwitchboard(t, st)
	if err := sb.Lapsed(); err != nil {
		t.Fatalf("a fresh node: %v", err)
	}
	sb.mu.Lock()
	sb.DeclaredLost(nil)
	sb.mu.Unlock()
	if err := sb.Lapsed(); !errors.Is(err, ErrDeclaredLost) {
		t.Fatalf("declared lost: got %v, want %v", err, ErrDeclaredLost)
	}
	sb.Rejoined(context.Background())
	if err := sb.Lapsed(); err != nil {
		t.Fatalf("registered again: %v", err)
	}
}
