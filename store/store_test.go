package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func open(t testing.TB, dir string) *Bolt {
	t.Helper()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func cdr(id string, ended time.Time) CDR {
	return CDR{CallID: id, StartedAt: ended.Add(-time.Minute), EndedAt: ended, Number: "110", Agency: "tax", Outcome: "abandoned", WaitSeconds: 60}
}

func ids(cs []CDR) string {
	var out []string
	for _, c := range cs {
		out = append(out, c.CallID)
	}
	return strings.Join(out, ",")
}

func TestCDRsOrderedByEndAndSurviveReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir)
	// Written out of order; two end at the same instant (then call_id decides).
	for _, c := range []CDR{
		cdr("c", t0.Add(2*time.Second)), cdr("a", t0), cdr("e", t0.Add(time.Hour)),
		cdr("b2", t0.Add(time.Second)), cdr("b1", t0.Add(time.Second)),
		cdr("old", time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)),
	} {
		if err := s.PutCDR(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, dir)
	defer s.Close()
	all, err := s.CDRs(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(all); got != "old,a,b1,b2,c,e" {
		t.Errorf("all CDRs = %s", got)
	}
	since, err := s.CDRs(ctx, t0.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(since); got != "b1,b2,c,e" {
		t.Errorf("CDRs since t0+1s = %s", got)
	}
	if !since[0].EndedAt.Equal(t0.Add(time.Second)) || since[0].WaitSeconds != 60 {
		t.Errorf("CDR not restored: %+v", since[0])
	}
}

func TestCDRJSONFieldsAreTheContracts(t *testing.T) {
	answered := t0.Add(30 * time.Second)
	raw, err := json.Marshal(CDR{CallID: "x", AnsweredAt: &answered, Identity: map[string]string{"given_name": "Minji"}})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := slices.Clone(CDRColumns)
	slices.Sort(want)
	if !slices.Equal(keys, want) {
		t.Errorf("CDR JSON keys %v, want %v", keys, want)
	}
}

func TestPutCDRRefusals(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	ctx := context.Background()
	if err := s.PutCDR(ctx, CDR{EndedAt: t0}); err == nil || err.Error() != "store: CDR without call_id" {
		t.Errorf("no call_id: %v", err)
	}
	if err := s.PutCDR(ctx, CDR{CallID: "x"}); err == nil || err.Error() != "store: CDR x without ended_at" {
		t.Errorf("no ended_at: %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.PutCDR(cancelled, cdr("y", t0)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
	if all, _ := s.CDRs(ctx, time.Time{}); len(all) != 0 {
		t.Errorf("refused CDRs were stored: %s", ids(all))
	}
}

func TestOpenWhileAnotherHoldsTheLock(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	defer s.Close()
	_, err := Open(dir) // a second open file description: flock refuses it like another process
	want := fmt.Sprintf("store: %s is in use by another process (is frontdoor already running?)", filepath.Join(dir, "frontdoor.db"))
	if err == nil || err.Error() != want {
		t.Fatalf("second open: %v\nwant %s", err, want)
	}
}

func TestAuditIsAppendOnly(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir)
	for i, kind := range []string{"identity", "identity", "agent_state"} {
		r := AuditRecord{Time: t0.Add(time.Duration(i) * time.Minute), Kind: kind, CallID: fmt.Sprint("call-", i), Result: "verified"}
		if err := s.AppendAudit(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	// The same record twice is two entries: nothing is ever overwritten.
	if err := s.AppendAudit(ctx, AuditRecord{Time: t0, Kind: "identity", CallID: "call-0"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = open(t, dir)
	defer s.Close()
	all, err := s.Audit(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	for _, r := range all {
		seqs = append(seqs, r.Seq)
	}
	if !slices.Equal(seqs, []uint64{1, 2, 3, 4}) {
		t.Errorf("audit seqs %v", seqs)
	}
	recent, _ := s.Audit(ctx, t0.Add(time.Minute))
	if len(recent) != 2 || recent[0].CallID != "call-1" || recent[1].Kind != "agent_state" {
		t.Errorf("audit since t0+1m = %+v", recent)
	}
}

func TestAgentsRegistrationsActiveCalls(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.PutAgent(ctx, AgentRecord{ID: "1001", State: "ready", Since: t0}))
	must(s.PutAgent(ctx, AgentRecord{ID: "1001", State: "not_ready", Reason: "break", Since: t0.Add(time.Minute)}))
	must(s.PutAgent(ctx, AgentRecord{ID: "1002", State: "ready", Since: t0}))
	must(s.PutRegistration(ctx, Registration{AgentID: "1001", Contact: "sip:1001@127.0.0.1:5070", Transport: "udp", Expires: t0.Add(time.Hour)}))
	must(s.PutRegistration(ctx, Registration{AgentID: "1002", Contact: "sip:1002@127.0.0.1:5071", Transport: "tcp", Expires: t0.Add(time.Hour)}))
	must(s.DeleteRegistration(ctx, "1002"))
	must(s.PutActiveCall(ctx, ActiveCall{CallID: "k1", Number: "110", From: "sip:alice@127.0.0.1", Agency: "tax", StartedAt: t0}))
	must(s.PutActiveCall(ctx, ActiveCall{CallID: "k2", Number: "126", StartedAt: t0}))
	must(s.DeleteActiveCall(ctx, "k1"))
	must(s.Close())

	s = open(t, dir)
	defer s.Close()
	agents, err := s.Agents(ctx)
	must(err)
	if len(agents) != 2 || agents[0].State != "not_ready" || agents[0].Reason != "break" || agents[1].ID != "1002" {
		t.Errorf("agents = %+v", agents)
	}
	regs, err := s.Registrations(ctx)
	must(err)
	if len(regs) != 1 || regs[0].Contact != "sip:1001@127.0.0.1:5070" || !regs[0].Expires.Equal(t0.Add(time.Hour)) {
		t.Errorf("registrations = %+v", regs)
	}
	calls, err := s.ActiveCalls(ctx)
	must(err)
	if len(calls) != 1 || calls[0].CallID != "k2" || calls[0].Number != "126" {
		t.Errorf("active calls = %+v", calls)
	}
}

func TestWriteCSV(t *testing.T) {
	answered := t0.Add(20 * time.Second)
	cdrs := []CDR{
		{CallID: "k1", StartedAt: t0, AnsweredAt: &answered, EndedAt: t0.Add(3 * time.Minute), Number: "110", Agency: "tax",
			Agent: "1001", Outcome: "answered", WaitSeconds: 12.5, TalkSeconds: 160, Identity: map[string]string{"given_name": "Minji"}},
		{CallID: "k2", StartedAt: t0.In(time.FixedZone("KST", 9*3600)), EndedAt: t0.Add(time.Minute), Number: "=1+1",
			Agency: "customs", Outcome: "abandoned, \"early\"", WaitSeconds: 60},
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, cdrs); err != nil {
		t.Fatal(err)
	}
	want := `call_id,started_at,answered_at,ended_at,number,agency,agent,outcome,wait_seconds,talk_seconds,identity
k1,2026-03-01T09:00:00Z,2026-03-01T09:00:20Z,2026-03-01T09:03:00Z,110,tax,1001,answered,12.500,160.000,verified
k2,2026-03-01T09:00:00Z,,2026-03-01T09:01:00Z,'=1+1,customs,,"abandoned, ""early""",60.000,0.000,unverified
`
	if buf.String() != want {
		t.Errorf("csv:\n%s\nwant:\n%s", buf.String(), want)
	}
}

func TestCallbacksSurviveReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cb := Callback{CallID: "c1", Number: "01012345678", Agency: "tax", Attempts: 1, BookedAt: time.Unix(1800000000, 0).UTC()}
	if err := s.PutCallback(ctx, cb); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCallback(ctx, Callback{Number: "x"}); err == nil {
		t.Error("a callback without call_id was stored")
	}
	s.Close()
	if s, err = Open(dir); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Callbacks(ctx)
	if err != nil || len(got) != 1 || got[0].Number != cb.Number || got[0].Attempts != 1 || !got[0].BookedAt.Equal(cb.BookedAt) {
		t.Fatalf("after reopen: %+v %v", got, err)
	}
	if err := s.DeleteCallback(ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Callbacks(ctx); len(got) != 0 {
		t.Fatalf("deleted callback still there: %+v", got)
	}
}
