// Package storetest is the conformance suite of store.Store: the bbolt store
// and the etcd store run the same tests, so both keep the same rules (order,
// refusals, append-only audit, what survives a reopen).
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/store"
)

// Opener opens a store on one backing (a bbolt directory, an etcd prefix).
// Called again after the previous store was closed, it must see the same data.
type Opener func(t *testing.T) store.Store

// Run runs the suite; fresh gives each test an empty backing.
func Run(t *testing.T, fresh func(t *testing.T) Opener) {
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, open Opener)
	}{
		{"CDRsOrderedByEndAndSurviveReopen", cdrsOrdered},
		{"PutCDRRefusals", putCDRRefusals},
		{"CDROnceForEachCall", cdrOnce},
		{"AuditIsAppendOnly", auditAppendOnly},
		{"AgentsRegistrationsActiveCalls", agentsRegistrationsActive},
		{"EmptyKeysRefused", emptyKeysRefused},
		{"CallbacksSurviveReopen", callbacksSurviveReopen},
		{"CallbackClaimedOnce", callbackClaimedOnce},
		{"CallbackUpdatedByItsHolderOnly", callbackUpdatedByHolder},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, fresh(t)) })
	}
}

// T0 is the suite's fixed clock start.
var T0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// CDR is an abandoned call to 110 that ended at ended.
func CDR(id string, ended time.Time) store.CDR {
	return store.CDR{CallID: id, StartedAt: ended.Add(-time.Minute), EndedAt: ended, Number: "110", Agency: "tax", Outcome: "abandoned", WaitSeconds: 60}
}

// IDs lists the call ids in order, comma separated.
func IDs(cs []store.CDR) string {
	var out []string
	for _, c := range cs {
		out = append(out, c.CallID)
	}
	return strings.Join(out, ",")
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func closeStore(t *testing.T, s store.Store) {
	t.Helper()
	must(t, s.Close())
}

func cdrsOrdered(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	// Written out of order; two end at the same instant (then call_id decides).
	for _, c := range []store.CDR{
		CDR("c", T0.Add(2*time.Second)), CDR("a", T0), CDR("e", T0.Add(time.Hour)),
		CDR("b2", T0.Add(time.Second)), CDR("b1", T0.Add(time.Second)),
		CDR("old", time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)),
	} {
		must(t, s.PutCDR(ctx, c))
	}
	closeStore(t, s)
	s = open(t)
	defer closeStore(t, s)
	all, err := s.CDRs(ctx, time.Time{})
	must(t, err)
	if got := IDs(all); got != "old,a,b1,b2,c,e" {
		t.Errorf("all CDRs = %s", got)
	}
	since, err := s.CDRs(ctx, T0.Add(time.Second))
	must(t, err)
	if got := IDs(since); got != "b1,b2,c,e" {
		t.Fatalf("CDRs since t0+1s = %s", got)
	}
	if !since[0].EndedAt.Equal(T0.Add(time.Second)) || since[0].WaitSeconds != 60 {
		t.Errorf("CDR not restored: %+v", since[0])
	}
	if after, _ := s.CDRs(ctx, T0.Add(2*time.Hour)); len(after) != 0 {
		t.Errorf("CDRs since after the last = %s", IDs(after))
	}
}

func putCDRRefusals(t *testing.T, open Opener) {
	s := open(t)
	defer closeStore(t, s)
	ctx := context.Background()
	if err := s.PutCDR(ctx, store.CDR{EndedAt: T0}); err == nil || !strings.HasSuffix(err.Error(), ": CDR without call_id") {
		t.Errorf("no call_id: %v", err)
	}
	if err := s.PutCDR(ctx, store.CDR{CallID: "x"}); err == nil || !strings.HasSuffix(err.Error(), ": CDR x without ended_at") {
		t.Errorf("no ended_at: %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.PutCDR(cancelled, CDR("y", T0)); !errors.Is(err, context.Canceled) || errors.Is(err, store.ErrUnavailable) {
		t.Errorf("cancelled context: %v", err)
	}
	if all, err := s.CDRs(ctx, time.Time{}); err != nil || len(all) != 0 {
		t.Errorf("refused CDRs were stored: %s %v", IDs(all), err)
	}
}

// A call has one final CDR: a second, different one is refused, the same one
// again (a retry) is accepted; transfer legs of the call are CDRs of their own.
func cdrOnce(t *testing.T, open Opener) {
	s := open(t)
	defer closeStore(t, s)
	ctx := context.Background()
	leg := CDR("k1", T0)
	leg.Outcome, leg.TransferredTo = "answered", "customs"
	final := CDR("k1", T0.Add(time.Minute))
	final.Outcome = "answered"
	must(t, s.PutCDR(ctx, leg))
	must(t, s.PutCDR(ctx, final))
	must(t, s.PutCDR(ctx, final)) // a retry after an undecided failure
	must(t, s.PutCDR(ctx, leg))

	cutOff := CDR("k1", T0.Add(time.Hour))
	cutOff.Outcome = "cut_off"
	err := s.PutCDR(ctx, cutOff)
	if !errors.Is(err, store.ErrCDRExists) || !strings.HasSuffix(err.Error(), "k1: "+store.ErrCDRExists.Error()) {
		t.Errorf("a second final CDR: %v", err)
	}
	changed := final
	changed.TalkSeconds = 99
	if err := s.PutCDR(ctx, changed); !errors.Is(err, store.ErrCDRExists) {
		t.Errorf("the final CDR rewritten with other figures: %v", err)
	}
	changedLeg := leg
	changedLeg.Agent = "1009"
	if err := s.PutCDR(ctx, changedLeg); !errors.Is(err, store.ErrCDRExists) {
		t.Errorf("a transfer leg rewritten: %v", err)
	}
	all, err := s.CDRs(ctx, time.Time{})
	must(t, err)
	if len(all) != 2 || all[0].TransferredTo != "customs" || all[1].Outcome != "answered" || all[1].TalkSeconds != 0 {
		t.Errorf("CDRs after refusals = %+v", all)
	}
}

func auditAppendOnly(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	for i, kind := range []string{"identity", "identity", "agent_state"} {
		r := store.AuditRecord{Time: T0.Add(time.Duration(i) * time.Minute), Kind: kind, CallID: fmt.Sprint("call-", i), Result: "verified"}
		must(t, s.AppendAudit(ctx, r))
	}
	// The same record twice is two entries: nothing is ever overwritten.
	must(t, s.AppendAudit(ctx, store.AuditRecord{Time: T0, Kind: "identity", CallID: "call-0"}))
	closeStore(t, s)
	s = open(t)
	defer closeStore(t, s)
	must(t, s.AppendAudit(ctx, store.AuditRecord{Time: T0.Add(time.Hour), Kind: "supervisor", Actor: "sup1"}))
	all, err := s.Audit(ctx, time.Time{})
	must(t, err)
	var seqs []uint64
	for _, r := range all {
		seqs = append(seqs, r.Seq)
	}
	if !slices.Equal(seqs, []uint64{1, 2, 3, 4, 5}) {
		t.Errorf("audit seqs %v", seqs)
	}
	recent, err := s.Audit(ctx, T0.Add(time.Minute))
	must(t, err)
	if len(recent) != 3 || recent[0].CallID != "call-1" || recent[1].Kind != "agent_state" || recent[2].Actor != "sup1" {
		t.Errorf("audit since t0+1m = %+v", recent)
	}
}

func agentsRegistrationsActive(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	// Registrations expire in the future: a store may drop expired ones.
	expires := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	must(t, s.PutAgent(ctx, store.AgentRecord{ID: "1001", State: "ready", Since: T0}))
	must(t, s.PutAgent(ctx, store.AgentRecord{ID: "1001", State: "not_ready", Reason: "break", Since: T0.Add(time.Minute)}))
	must(t, s.PutAgent(ctx, store.AgentRecord{ID: "1002", State: "ready", Since: T0}))
	must(t, s.PutRegistration(ctx, store.Registration{AgentID: "1001", Contact: "sip:1001@127.0.0.1:5070", Transport: "udp", Expires: expires}))
	must(t, s.PutRegistration(ctx, store.Registration{AgentID: "1002", Contact: "sip:1002@127.0.0.1:5071", Transport: "tcp", Expires: expires}))
	must(t, s.PutRegistration(ctx, store.Registration{AgentID: "1001", Contact: "sip:1001@127.0.0.1:5072", Transport: "udp", Expires: expires}))
	must(t, s.DeleteRegistration(ctx, "1002"))
	must(t, s.DeleteRegistration(ctx, "never-registered"))
	must(t, s.PutActiveCall(ctx, store.ActiveCall{CallID: "k1", Number: "110", From: "sip:alice@127.0.0.1", Agency: "tax", StartedAt: T0}))
	must(t, s.PutActiveCall(ctx, store.ActiveCall{CallID: "k2", Number: "126", StartedAt: T0, Node: "node-b"}))
	must(t, s.DeleteActiveCall(ctx, "k1"))
	closeStore(t, s)

	s = open(t)
	defer closeStore(t, s)
	agents, err := s.Agents(ctx)
	must(t, err)
	if len(agents) != 2 || agents[0].State != "not_ready" || agents[0].Reason != "break" || agents[1].ID != "1002" {
		t.Errorf("agents = %+v", agents)
	}
	regs, err := s.Registrations(ctx)
	must(t, err)
	if len(regs) != 1 || regs[0].Contact != "sip:1001@127.0.0.1:5072" || !regs[0].Expires.Equal(expires) {
		t.Errorf("registrations = %+v", regs)
	}
	calls, err := s.ActiveCalls(ctx)
	must(t, err)
	if len(calls) != 1 || calls[0].CallID != "k2" || calls[0].Number != "126" || calls[0].Node != "node-b" {
		t.Errorf("active calls = %+v", calls)
	}
}

func emptyKeysRefused(t *testing.T, open Opener) {
	s := open(t)
	defer closeStore(t, s)
	ctx := context.Background()
	for what, err := range map[string]error{
		"agent without id":              s.PutAgent(ctx, store.AgentRecord{State: "ready"}),
		"registration without agent_id": s.PutRegistration(ctx, store.Registration{Contact: "sip:x@127.0.0.1", Expires: time.Now().Add(time.Hour)}),
		"active call without call_id":   s.PutActiveCall(ctx, store.ActiveCall{Number: "110"}),
		"callback without call_id":      s.PutCallback(ctx, store.Callback{Number: "01012345678"}),
	} {
		if err == nil || !strings.HasSuffix(err.Error(), ": "+what) {
			t.Errorf("%s: %v", what, err)
		}
	}
	agents, _ := s.Agents(ctx)
	regs, _ := s.Registrations(ctx)
	calls, _ := s.ActiveCalls(ctx)
	cbs, _ := s.Callbacks(ctx)
	if len(agents)+len(regs)+len(calls)+len(cbs) != 0 {
		t.Errorf("refused records stored: %v %v %v %v", agents, regs, calls, cbs)
	}
}

func callbacksSurviveReopen(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	cb := store.Callback{CallID: "c1", Number: "01012345678", Agency: "tax", Attempts: 1, BookedAt: time.Unix(1800000000, 0).UTC(), Node: "node-a"}
	must(t, s.PutCallback(ctx, cb))
	cb.Attempts = 2
	must(t, s.PutCallback(ctx, cb))
	must(t, s.PutCallback(ctx, store.Callback{CallID: "c2", Number: "0212345678", Agency: "customs"}))
	closeStore(t, s)
	s = open(t)
	defer closeStore(t, s)
	got, err := s.Callbacks(ctx)
	if err != nil || len(got) != 2 || got[0].Number != cb.Number || got[0].Attempts != 2 || !got[0].BookedAt.Equal(cb.BookedAt) || got[0].Node != "node-a" || got[1].CallID != "c2" {
		t.Fatalf("after reopen: %+v %v", got, err)
	}
	must(t, s.DeleteCallback(ctx, "c1"))
	if got, _ := s.Callbacks(ctx); len(got) != 1 || got[0].CallID != "c2" {
		t.Fatalf("after deleting c1: %+v", got)
	}
}

// A lost node's callback goes to one claimant only, with its schedule kept;
// a claim made on an older read, or on another node's record, fails.
func callbackClaimedOnce(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	next := T0.Add(time.Minute)
	booked := store.Callback{CallID: "c1", Number: "01012345678", Agency: "tax", Attempts: 1, NextAt: next, Node: "node-x"}
	must(t, s.PutCallback(ctx, booked))
	recs, err := s.Callbacks(ctx)
	must(t, err)
	read := recs[0]
	if _, ok, err := s.ClaimCallback(ctx, store.Callback{CallID: "c1", Node: "node-y"}, "node-z"); ok || err != nil {
		t.Errorf("claimed from a node that does not hold it: %v %v", ok, err)
	}
	if _, ok, err := s.ClaimCallback(ctx, store.Callback{CallID: "gone", Node: "node-x"}, "node-z"); ok || err != nil {
		t.Errorf("claimed a callback that is not stored: %v %v", ok, err)
	}
	// Leaders racing for the same read: exactly one wins.
	won := make(chan string, 8)
	errs := make(chan error, 8)
	for i := range 8 {
		go func() {
			to := fmt.Sprint("node-", i)
			_, ok, err := s.ClaimCallback(ctx, read, to)
			if ok {
				won <- to
			}
			errs <- err
		}()
	}
	for range 8 {
		must(t, <-errs)
	}
	close(won)
	var winners []string
	for w := range won {
		winners = append(winners, w)
	}
	if len(winners) != 1 {
		t.Fatalf("claimed by %v, want exactly one node", winners)
	}
	closeStore(t, s)
	s = open(t)
	defer closeStore(t, s)
	recs, err = s.Callbacks(ctx)
	must(t, err)
	got := recs[0]
	if got.Node != winners[0] || got.Claim != 1 || got.Attempts != 1 || !got.NextAt.Equal(next) || got.Number != booked.Number {
		t.Errorf("after the claim: %+v, want node %s, claim 1, the schedule kept", got, winners[0])
	}
	// The node itself, restarting, claims its callback again: a claim made
	// on the read before that fails even though the node is the same.
	mine, ok, err := s.ClaimCallback(ctx, got, got.Node)
	if !ok || err != nil || mine.Claim != 2 || mine.Node != got.Node {
		t.Fatalf("the holder's own claim: %+v %v %v", mine, ok, err)
	}
	if _, ok, err := s.ClaimCallback(ctx, got, "node-late"); ok || err != nil {
		t.Errorf("a claim on a stale read won: %v %v", ok, err)
	}
}

// A retry's write (attempts, next attempt) lands while the record is still
// the writer's; after another node claimed it, the write is refused and the
// claim stands, so the citizen is not called back from two nodes.
func callbackUpdatedByHolder(t *testing.T, open Opener) {
	s := open(t)
	defer closeStore(t, s)
	ctx := context.Background()
	held := store.Callback{CallID: "c1", Number: "01012345678", Agency: "tax", Node: "node-x"}
	must(t, s.PutCallback(ctx, held))
	retry := held
	retry.Attempts, retry.NextAt = 1, T0.Add(2*time.Minute)
	if ok, err := s.UpdateCallback(ctx, retry); !ok || err != nil {
		t.Fatalf("the holder's update: %v %v", ok, err)
	}
	recs, err := s.Callbacks(ctx)
	must(t, err)
	if len(recs) != 1 || recs[0].Attempts != 1 || !recs[0].NextAt.Equal(retry.NextAt) || recs[0].Node != "node-x" {
		t.Fatalf("after the update: %+v", recs)
	}
	if _, ok, err := s.ClaimCallback(ctx, recs[0], "node-leader"); !ok || err != nil {
		t.Fatalf("the leader's claim: %v %v", ok, err)
	}
	late := retry
	late.Attempts = 2
	if ok, err := s.UpdateCallback(ctx, late); ok || err != nil {
		t.Fatalf("an update over the leader's claim: %v %v, want refused", ok, err)
	}
	recs, err = s.Callbacks(ctx)
	must(t, err)
	if recs[0].Node != "node-leader" || recs[0].Claim != 1 || recs[0].Attempts != 1 {
		t.Fatalf("the claim did not stand: %+v", recs[0])
	}
	if ok, err := s.UpdateCallback(ctx, store.Callback{CallID: "gone", Node: "node-x"}); ok || err != nil {
		t.Fatalf("an update of a callback not stored: %v %v", ok, err)
	}
}
