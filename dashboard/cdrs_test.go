package dashboard

import (
	"context"
	"encoding/csv"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// cdrList is a test double of the store's CDR listing.
type cdrList struct {
	mu    sync.Mutex
	list  []CDR
	since time.Time // last asked
	fail  bool
}

func (l *cdrList) CDRs(ctx context.Context, since time.Time) ([]CDR, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.since = since
	if l.fail {
		return nil, errors.New("bolt: database not open (/data/frontdoor.db)")
	}
	var out []CDR
	for _, c := range l.list {
		if !c.EndedAt.Before(since) {
			out = append(out, c)
		}
	}
	return out, nil
}

func sampleCDRs() []CDR {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	ans := t0.Add(20 * time.Second)
	return []CDR{
		{CallID: "c-1", StartedAt: t0, AnsweredAt: &ans, EndedAt: t0.Add(200 * time.Second), Number: "110",
			Agency: "tax", Agent: "1001", Outcome: "answered", WaitSeconds: 12.5, TalkSeconds: 180,
			Identity: map[string]string{"given_name": "Minho"}},
		{CallID: "c-2", StartedAt: t0.Add(time.Minute), EndedAt: t0.Add(2 * time.Minute), Number: "=HYPERLINK(\"x\")",
			Agency: "police", Outcome: "abandoned", WaitSeconds: 60},
	}
}

func TestCDRsAreForSupervisorsAndAdmins(t *testing.T) {
	e := newEnv(t)
	e.cdrs.list = sampleCDRs()
	resp, body := e.do("GET", "/api/v1/cdrs", e.login("1001"), "")
	wantError(t, resp, body, http.StatusForbidden, "forbidden")
	resp, body = e.do("GET", "/api/v1/cdrs", "", "")
	wantError(t, resp, body, http.StatusUnauthorized, "unauthorized")

	for _, token := range []string{e.login("2001"), testAdminToken} {
		resp, body = e.do("GET", "/api/v1/cdrs?since=2026-03-02T00:00:00Z", token, "")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("cdrs: %d %s", resp.StatusCode, body)
		}
		got := decode[[]map[string]any](t, body)
		if len(got) != 2 || got[0]["call_id"] != "c-1" || got[1]["answered_at"] != nil {
			t.Errorf("cdrs JSON: %s", body)
		}
		for _, k := range cdrColumns {
			if _, ok := got[0][k]; !ok {
				t.Errorf("JSON CDR lacks %q", k)
			}
		}
	}
	if !e.cdrs.since.Equal(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("store asked since %v", e.cdrs.since)
	}
	// Without since: the last 24 hours by the server's clock.
	e.do("GET", "/api/v1/cdrs", testAdminToken, "")
	if want := e.clock.Now().Add(-24 * time.Hour); !e.cdrs.since.Equal(want) {
		t.Errorf("default since %v, want %v", e.cdrs.since, want)
	}
}

func TestCDRsAsCSV(t *testing.T) {
	e := newEnv(t)
	e.cdrs.list = sampleCDRs()
	resp, body := e.do("GET", "/api/v1/cdrs?since=2026-03-01T00:00:00%2B09:00&format=csv", testAdminToken, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("csv: %d %s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("content type %q", ct)
	}
	rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if err != nil {
		t.Fatalf("csv does not parse: %v\n%s", err, body)
	}
	if len(rows) != 3 {
		t.Fatalf("%d rows, want header + 2:\n%s", len(rows), body)
	}
	if got := strings.Join(rows[0], ","); got != "call_id,started_at,answered_at,ended_at,number,agency,agent,outcome,wait_seconds,talk_seconds,identity" {
		t.Errorf("header %s", got)
	}
	want := [][]string{
		{"c-1", "2026-03-02T09:00:00Z", "2026-03-02T09:00:20Z", "2026-03-02T09:03:20Z", "110", "tax", "1001", "answered", "12.500", "180.000", "verified"},
		{"c-2", "2026-03-02T09:01:00Z", "", "2026-03-02T09:02:00Z", "'=HYPERLINK(\"x\")", "police", "", "abandoned", "60.000", "0.000", "unverified"},
	}
	for i, w := range want {
		if got := strings.Join(rows[i+1], "|"); got != strings.Join(w, "|") {
			t.Errorf("row %d:\n got %s\nwant %s", i+1, got, strings.Join(w, "|"))
		}
	}
}

func TestCDRRefusals(t *testing.T) {
	e := newEnv(t)
	resp, body := e.do("GET", "/api/v1/cdrs?since=yesterday", testAdminToken, "")
	wantError(t, resp, body, http.StatusBadRequest, "bad_since")
	resp, body = e.do("GET", "/api/v1/cdrs?format=xml", testAdminToken, "")
	wantError(t, resp, body, http.StatusBadRequest, "bad_format")
	e.cdrs.fail = true
	resp, body = e.do("GET", "/api/v1/cdrs", testAdminToken, "")
	wantError(t, resp, body, http.StatusInternalServerError, "internal")
	if strings.Contains(string(body), "frontdoor.db") {
		t.Errorf("store error leaks to the client: %s", body)
	}
	e2 := newEnv(t, func(c *Config) { c.CDRs = nil })
	resp, body = e2.do("GET", "/api/v1/cdrs", testAdminToken, "")
	wantError(t, resp, body, http.StatusServiceUnavailable, "cdrs_unavailable")
}
