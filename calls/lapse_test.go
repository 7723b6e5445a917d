package calls

import (
	"context"
	"errors"
	"testing"

	"github.com/frontdoor-project/frontdoor/store"
)

// lapseSwitchboard is a node's switchboard on a fresh bbolt store.
func lapseSwitchboard(t *testing.T) *Switchboard {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return newTestSwitchboard(t, st)
}

// A node declared lost says so (the node's /readyz answers 503 with it)
// until it has registered again.
func TestLapsedUntilRejoined(t *testing.T) {
	sb := lapseSwitchboard(t)
	if err := sb.Lapsed(); err != nil {
		t.Fatalf("a fresh node: %v", err)
	}
	sb.mu.Lock()
	gen := sb.DeclaredLost(nil)
	sb.mu.Unlock()
	if err := sb.Lapsed(); !errors.Is(err, ErrDeclaredLost) {
		t.Fatalf("declared lost: got %v, want %v", err, ErrDeclaredLost)
	}
	sb.Rejoined(context.Background(), gen)
	if err := sb.Lapsed(); err != nil {
		t.Fatalf("registered again: %v", err)
	}
}

// Declared lost again while the first lapse's rejoin is still to run (the
// presence registered, then lapsed once more): that rejoin must not open the
// node to calls, which the second lapse's own rejoin does once the presence
// is back. Opening early would take calls while the leader sees no presence
// key, and its sweep would record them cut off while they go on.
func TestSecondLapseOutlivesFirstRejoin(t *testing.T) {
	sb := lapseSwitchboard(t)
	sb.mu.Lock()
	first := sb.DeclaredLost(nil)
	second := sb.DeclaredLost(nil)
	sb.mu.Unlock()
	sb.Rejoined(context.Background(), first)
	if err := sb.Lapsed(); !errors.Is(err, ErrDeclaredLost) {
		t.Fatalf("after the first lapse's rejoin, with a second lapse pending: got %v, want %v", err, ErrDeclaredLost)
	}
	sb.Rejoined(context.Background(), second)
	if err := sb.Lapsed(); err != nil {
		t.Fatalf("after the second lapse's rejoin: %v", err)
	}
}
