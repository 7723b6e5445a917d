package dashboard

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestCDRsByAgencyAndPeriod(t *testing.T) {
	e := newEnv(t)
	e.cdrs.list = sampleCDRs()
	e.cdrs.list = append(e.cdrs.list, CDR{CallID: "c-3", StartedAt: e.cdrs.list[0].StartedAt, EndedAt: e.cdrs.list[0].StartedAt.Add(30e9),
		Number: "110", Outcome: "rejected"}) // hung up in the menu: no agency
	sup := e.login("2001")
	ids := func(path string) string {
		t.Helper()
		resp, body := e.do("GET", path, sup, "")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
		}
		var got []string
		for _, c := range decode[[]CDR](t, body) {
			got = append(got, c.CallID)
		}
		return strings.Join(got, ",")
	}
	for path, want := range map[string]string{
		"/api/v1/cdrs?since=2026-03-02T00:00:00Z":                                          "c-1,c-2,c-3",
		"/api/v1/cdrs?since=2026-03-02T00:00:00Z&agency=tax":                               "c-1",
		"/api/v1/cdrs?since=2026-03-02T00:00:00Z&agency=tax,police":                        "c-1,c-2",
		"/api/v1/cdrs?since=2026-03-02T00:00:00Z&agency=police&agency=none":                "c-2,c-3",
		"/api/v1/cdrs?since=2026-03-02T00:00:00Z&until=2026-03-02T09:01:00Z":               "c-3",
		"/api/v1/cdrs?since=2026-03-02T09:00:00Z&until=2026-03-02T09:03:30Z":               "c-3,c-1,c-2",
		"/api/v1/cdrs?since=2026-03-02T00:00:00Z&until=2026-03-02T09:03:30Z&agency=police": "c-2",
	} {
		if got := ids(path); got != want && !(sameSet(got, want)) {
			t.Errorf("%s: %s, want %s", path, got, want)
		}
	}
	// The CSV report takes the same filters.
	resp, body := e.do("GET", "/api/v1/cdrs?since=2026-03-02T00:00:00Z&agency=police&format=csv", sup, "")
	if resp.StatusCode != http.StatusOK || strings.Count(string(body), "\n") != 2 || !strings.Contains(string(body), ",police,") {
		t.Errorf("police CSV: %d\n%s", resp.StatusCode, body)
	}

	for _, c := range []struct{ query, code string }{
		{"agency=nope", "unknown_agency"},
		{"agency=tax,", "unknown_agency"},
		{"until=yesterday", "bad_until"},
		{"since=2026-03-02T10:00:00Z&until=2026-03-02T09:00:00Z", "bad_period"},
	} {
		resp, body := e.do("GET", "/api/v1/cdrs?"+c.query, sup, "")
		wantError(t, resp, body, http.StatusBadRequest, c.code)
	}
}

func sameSet(a, b string) bool {
	x, y := strings.Split(a, ","), strings.Split(b, ",")
	if len(x) != len(y) {
		return false
	}
	seen := map[string]int{}
	for _, v := range x {
		seen[v]++
	}
	for _, v := range y {
		seen[v]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}

const sampleQueueLog = `1772442000|c-1|tax|NONE|ENTERQUEUE||01012345678|1
1772442010|c-1|tax|1001|CONNECT|10|c-1|3
1772445600|c-2|police|NONE|ENTERQUEUE||01099998888|1
1772445660|c-2|police|NONE|ABANDON|1|1|60
`

func TestQueueLogDownload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "queue_log")
	e := newEnv(t, func(c *Config) { c.QueueLogPath = path })
	sup := e.login("2001")

	resp, body := e.do("GET", "/api/v1/queue_log", sup, "")
	wantError(t, resp, body, http.StatusNotFound, "no_queue_log")

	if err := os.WriteFile(path, []byte(sampleQueueLog), 0o600); err != nil {
		t.Fatal(err)
	}
	resp, body = e.do("GET", "/api/v1/queue_log", sup, "")
	if resp.StatusCode != http.StatusOK || string(body) != sampleQueueLog || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("whole queue_log: %d %q\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	// From a time on: 2026-03-02T10:00:00Z is 1772445600.
	resp, body = e.do("GET", "/api/v1/queue_log?since=2026-03-02T10:00:00Z", testAdminToken, "")
	if resp.StatusCode != http.StatusOK || string(body) != strings.Join(strings.Split(sampleQueueLog, "\n")[2:], "\n") {
		t.Errorf("queue_log since 10:00: %d\n%s", resp.StatusCode, body)
	}
	// A tool fetching only what is new asks for a range.
	resp, body = e.do("GET", "/api/v1/queue_log", sup, "", "Range", "bytes=0-9")
	if resp.StatusCode != http.StatusPartialContent || string(body) != "1772442000" {
		t.Errorf("range: %d %q", resp.StatusCode, body)
	}

	resp, body = e.do("GET", "/api/v1/queue_log", e.login("1001"), "")
	wantError(t, resp, body, http.StatusForbidden, "forbidden")
	resp, body = e.do("GET", "/api/v1/queue_log", "", "")
	wantError(t, resp, body, http.StatusUnauthorized, "unauthorized")
	resp, body = e.do("GET", "/api/v1/queue_log?since=noon", sup, "")
	wantError(t, resp, body, http.StatusBadRequest, "bad_since")

	off := newEnv(t)
	resp, body = off.do("GET", "/api/v1/queue_log", off.login("2001"), "")
	wantError(t, resp, body, http.StatusServiceUnavailable, "queue_log_unavailable")
}

// auditLog collects audit entries as the store would.
type auditLog struct {
	mu      sync.Mutex
	entries []AuditEntry
	fail    bool
}

func (l *auditLog) append(ctx context.Context, e AuditEntry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail {
		return errors.New("bolt: database not open")
	}
	l.entries = append(l.entries, e)
	return nil
}

func (l *auditLog) all() []AuditEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]AuditEntry(nil), l.entries...)
}

func TestSupervisorActionsAreAudited(t *testing.T) {
	log := &auditLog{}
	e := newEnv(t, func(c *Config) { c.Audit = log.append })
	sup := e.login("2001")

	// An agent changing its own state is not a supervisor action.
	if resp, body := e.do("PUT", "/api/v1/agents/1001/state", e.login("1001"), `{"state":"ready"}`); resp.StatusCode != http.StatusOK {
		t.Fatalf("agent ready: %d %s", resp.StatusCode, body)
	}
	// An agent cannot act on another, and that refusal never reaches the core.
	resp, body := e.do("PUT", "/api/v1/agents/1002/state", e.login("1001"), `{"state":"logged_out"}`)
	wantError(t, resp, body, http.StatusForbidden, "forbidden")
	if n := len(log.all()); n != 0 {
		t.Fatalf("%d audit entries for agents' own actions", n)
	}

	if resp, body := e.do("PUT", "/api/v1/agents/1001/state", sup, `{"state":"not_ready","reason":"coaching"}`); resp.StatusCode != http.StatusOK {
		t.Fatalf("supervisor not ready: %d %s", resp.StatusCode, body)
	}
	resp, body = e.do("PUT", "/api/v1/agents/1002/state", sup, `{"state":"ready"}`) // busy
	wantError(t, resp, body, http.StatusConflict, "state_conflict")
	resp, body = e.do("PUT", "/api/v1/agents/7777/state", testAdminToken, `{"state":"logged_out"}`)
	wantError(t, resp, body, http.StatusNotFound, "unknown_agent")
	if resp, body := e.do("PUT", "/api/v1/agents/1002/state", sup, `{"state":"logged_out"}`); resp.StatusCode != http.StatusOK {
		t.Fatalf("supervisor log out: %d %s", resp.StatusCode, body)
	}

	got := log.all()
	want := []AuditEntry{
		{Actor: "2001", Agent: "1001", State: "not_ready", Reason: "coaching", Result: "ok"},
		{Actor: "2001", Agent: "1002", State: "ready", Result: "state_conflict"},
		{Actor: "admin-token", Agent: "7777", State: "logged_out", Result: "unknown_agent"},
		{Actor: "2001", Agent: "1002", State: "logged_out", Result: "ok"},
	}
	if len(got) != len(want) {
		t.Fatalf("audit entries %+v, want %d", got, len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Kind != AuditKindAgentState || !g.Time.Equal(e.clock.Now()) || g.Actor != w.Actor || g.Agent != w.Agent ||
			g.State != w.State || g.Reason != w.Reason || g.Result != w.Result {
			t.Errorf("entry %d: %+v, want %+v", i, g, w)
		}
	}
	if !strings.Contains(got[1].Detail, "busy") {
		t.Errorf("refusal detail %q does not say why", got[1].Detail)
	}

	// A broken audit log does not undo or refuse the change, but it is logged.
	log.fail = true
	if resp, body := e.do("PUT", "/api/v1/agents/1001/state", sup, `{"state":"ready"}`); resp.StatusCode != http.StatusOK {
		t.Fatalf("with a broken audit log: %d %s", resp.StatusCode, body)
	}
}
