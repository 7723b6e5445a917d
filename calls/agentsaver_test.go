package calls

import (
	"context"
	"log/slog"
	"testing"

	"github.com/frontdoor-project/frontdoor/store"
)

// A call's ringing/busy/wrap-up steps are stored as "ready" (what a restart uses),
// the last state written wins, and a paused agent's new reason is kept.
func TestAgentSaverWritesWhatRecoveryUses(t *testing.T) {
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w := newAgentSaver(st, slog.New(slog.DiscardHandler))
	get := func() store.AgentRecord {
		t.Helper()
		w.flush()
		recs, err := st.Agents(context.Background())
		if err != nil || len(recs) != 1 {
			t.Fatalf("stored %+v %v", recs, err)
		}
		return recs[0]
	}
	for _, state := range []string{"ready", "ringing", "busy", "wrap_up"} {
		w.save(store.AgentRecord{ID: "1001", State: state})
	}
	if r := get(); r.State != "ready" {
		t.Fatalf("after a call: %+v, want ready", r)
	}
	w.save(store.AgentRecord{ID: "1001", State: "ringing"})
	w.save(store.AgentRecord{ID: "1001", State: "not_ready", Reason: "rona"})
	if r := get(); r.State != "not_ready" || r.Reason != "rona" {
		t.Fatalf("after a missed offer: %+v, want not_ready/rona", r)
	}
	w.save(store.AgentRecord{ID: "1001", State: "not_ready", Reason: "lunch"})
	if r := get(); r.Reason != "lunch" {
		t.Fatalf("reason change lost: %+v", r)
	}
}
