package store

import (
	"bytes"
	"context"
	"encoding/json"
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

// The exact wording of bbolt's refusals (storetest checks what every store shares).
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
	if err := s.PutCDR(ctx, cdr("y", t0)); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCDR(ctx, cdr("y", t0.Add(time.Second))); err == nil || err.Error() != "store: CDR y: "+ErrCDRExists.Error() {
		t.Errorf("second final CDR: %v", err)
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
