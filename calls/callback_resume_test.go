package calls

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/store"
)

// noTrunk is a citizen dialer for tests that call nobody back.
type noTrunk struct{}

func (noTrunk) DialCitizen(context.Context, string, string) (CallerLeg, error) {
	return nil, errors.New("no trunk in this test")
}

// resumedAfterStart starts a switchboard as node on st (one node alone for
// "") and lists the callbacks it took up, sorted.
func resumedAfterStart(t *testing.T, st store.Store, node string) []string {
	t.Helper()
	sb := newTestSwitchboard(t, st, func(c *Config) { c.Node, c.Callback.Dialer = node, noTrunk{} })
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := sb.Close(ctx); err != nil {
			t.Errorf("drain with resumed callbacks: %v", err)
		}
	})
	if err := sb.ResumeCallbacks(context.Background()); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, id := range []string{"mine", "theirs", "unowned"} {
		if _, ok := sb.Call(id); ok {
			ids = append(ids, id)
		}
	}
	return ids
}

// bookedStore is a bbolt store holding one callback of node-a's, one of
// node-b's and one from before callbacks named a node; each waits an hour
// for its next attempt.
func bookedStore(t *testing.T) store.Store {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	next := time.Now().Add(time.Hour)
	for id, node := range map[string]string{"mine": "node-a", "theirs": "node-b", "unowned": ""} {
		rec := store.Callback{CallID: id, Number: "01012345678", Agency: "tax", Attempts: 1, NextAt: next, Node: node}
		if err := st.PutCallback(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// A cluster node starting resumes its own callbacks and claims the unowned
// one, but leaves a live node's alone: resuming it too would call the
// citizen back twice.
func TestRestartResumesOnlyThisNodesCallbacks(t *testing.T) {
	st := bookedStore(t)
	if got := resumedAfterStart(t, st, "node-a"); !slices.Equal(got, []string{"mine", "unowned"}) {
		t.Fatalf("node-a resumed %v, want its own and the unowned one", got)
	}
	recs, err := st.Callbacks(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]store.Callback{}
	for _, r := range recs {
		by[r.CallID] = r
	}
	if r := by["unowned"]; r.Node != "node-a" || r.Claim != 1 || r.Attempts != 1 {
		t.Errorf("the unowned callback after node-a's start: %+v, want claimed by node-a, attempts kept", r)
	}
	if r := by["theirs"]; r.Node != "node-b" || r.Claim != 0 {
		t.Errorf("node-b's callback was touched: %+v", r)
	}
}

// One node alone resumes every stored callback, as before callbacks named a node.
func TestOneNodeResumesEveryCallback(t *testing.T) {
	st := bookedStore(t)
	if got := resumedAfterStart(t, st, ""); !slices.Equal(got, []string{"mine", "theirs", "unowned"}) {
		t.Fatalf("resumed %v, want all three", got)
	}
}
