package calls

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/media/prompts"
	"github.com/frontdoor-project/frontdoor/routing"
	"github.com/frontdoor-project/frontdoor/store"
)

// noPhones is a dialer for a centre with no phones: these tests place no calls.
type noPhones struct{}

func (noPhones) Dial(context.Context, string, Offer) (AgentLeg, error) {
	return nil, errors.New("no phones in this test")
}

// newTestSwitchboard is a switchboard of one tax queue on st; with changes
// to its config applied.
func newTestSwitchboard(t *testing.T, st store.Store, with ...func(*Config)) *Switchboard {
	t.Helper()
	eng, err := routing.NewEngine(routing.Config{
		Queues: []routing.QueueConfig{{ID: "tax"}},
		Agents: []routing.AgentConfig{{ID: "a1", Skills: map[string]int{"tax": 5}}, {ID: "a2", Skills: map[string]int{"tax": 5}}, {ID: "a3", Skills: map[string]int{"tax": 5}}},
	}, wallClock{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	set, err := prompts.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := Config{Agencies: []Agency{{ID: "tax", Name: "Tax", Digit: "1"}}, Engine: eng, Dialer: noPhones{},
		Audio: NewAudio(set, log), Store: st, Logger: log}
	for _, f := range with {
		f(&cfg)
	}
	sb, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return sb
}

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

// What a crash leaves in the store is recovered at start-up: a call still
// marked in progress becomes a cut_off CDR, one whose CDR was already written is
// not recorded twice, and nothing stays marked in progress.
func TestRecoveryRecordsCutOffCalls(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	started := time.Now().Add(-time.Minute).UTC()
	st.PutActiveCall(ctx, store.ActiveCall{CallID: "lost", Number: "126", Agency: "tax", StartedAt: started})
	st.PutActiveCall(ctx, store.ActiveCall{CallID: "done", Number: "110", StartedAt: started})
	st.PutCDR(ctx, store.CDR{CallID: "done", StartedAt: started, EndedAt: started.Add(time.Second), Number: "110", Outcome: "answered"})

	newTestSwitchboard(t, st)

	cdrs, err := st.CDRs(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cdrs) != 2 {
		t.Fatalf("CDRs %+v, want the answered one and one cut_off", cdrs)
	}
	var lost store.CDR
	for _, c := range cdrs {
		if c.CallID == "lost" {
			lost = c
		}
		if c.CallID == "done" && c.Outcome != "answered" {
			t.Errorf("the finished call's CDR was changed: %+v", c)
		}
	}
	if lost.Outcome != OutcomeCutOff || lost.Number != "126" || lost.Agency != "tax" || !lost.StartedAt.Equal(started) || lost.EndedAt.Before(started) {
		t.Errorf("cut-off CDR %+v", lost)
	}
	if left, _ := st.ActiveCalls(ctx); len(left) != 0 {
		t.Errorf("still marked in progress: %+v", left)
	}
}

// Agents logging in again after a restart come back as they were: ready if they
// were taking calls, paused with their reason, new logins not_ready.
func TestRecoveryResumesAgentStates(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.PutAgent(ctx, store.AgentRecord{ID: "a1", State: "busy", Since: time.Now()})
	st.PutAgent(ctx, store.AgentRecord{ID: "a2", State: "not_ready", Reason: "lunch", Since: time.Now()})
	sb := newTestSwitchboard(t, st)
	for _, id := range []string{"a1", "a2", "a3"} {
		sb.AgentOnline(id)
	}
	want := map[string][2]string{"a1": {"ready", ""}, "a2": {"not_ready", "lunch"}, "a3": {"not_ready", ""}}
	for _, a := range sb.Agents() {
		w, ok := want[a.ID]
		if !ok {
			continue
		}
		if a.State != w[0] || (w[1] != "" && a.Reason != w[1]) {
			t.Errorf("agent %s: %s (%s), want %s (%s)", a.ID, a.State, a.Reason, w[0], w[1])
		}
	}
	// Only once: a1 logging out and in again is a new login.
	sb.AgentOffline("a1")
	sb.AgentOnline("a1")
	for _, a := range sb.Agents() {
		if a.ID == "a1" && a.State != "not_ready" {
			t.Errorf("a1 after a second login: %s, want not_ready", a.State)
		}
	}
}
