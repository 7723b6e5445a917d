package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestQueueLogInjectionRefused: a pause reason carrying a newline (which
// would forge a queue_log line) or a '|' (which would add fields) is refused
// with 400 bad_reason; a caller id carrying '|' is written as one field, so
// every queue_log line keeps its Asterisk shape.
func TestQueueLogInjectionRefused(t *testing.T) {
	n := startNode(t, "")
	ctx := timeout(t, 30*time.Second)
	n.readyAgent(t, ctx, "1001", nil)

	for _, reason := range []string{
		"lunch\n1700000000|NONE|tax|1001|UNPAUSE|",
		"lunch\r\nFORGED",
		"lunch|FORGED|field",
		"tab\there",
	} {
		var e struct{ Error, Detail string }
		code := n.api(t, "PUT", "/api/v1/agents/1001/state", map[string]string{"state": "not_ready", "reason": reason}, &e)
		if code != 400 || e.Error != "bad_reason" {
			t.Errorf("reason %q: %d %+v, want 400 bad_reason", reason, code, e)
		}
	}
	if code := n.api(t, "PUT", "/api/v1/agents/1001/state", map[string]string{"state": "not_ready", "reason": "lunch break"}, nil); code != 200 {
		t.Fatalf("a plain reason: HTTP %d", code)
	}

	// The agent is paused, so the call waits in the queue: ENTERQUEUE is
	// written with the caller id as its data2.
	caller := newPhone(t, "0105|5556666|CONNECT|x")
	out, err := caller.Call(ctx, n.SIP, "126", nil, 0)
	if err != nil {
		t.Fatalf("call: %v", err)
	}
	n.waitCallState(t, ctx, "queued")
	out.Hangup(ctx)
	n.waitCDR(t, ctx, "")

	raw, err := os.ReadFile(filepath.Join(n.Data, "queue_log"))
	if err != nil {
		t.Fatal(err)
	}
	// Fields per event as frontdoor writes them (epoch|callid|queue|agent|event|data...).
	want := map[string]int{"ENTERQUEUE": 7, "ABANDON": 8, "PAUSE": 6, "UNPAUSE": 6, "ADDMEMBER": 6, "REMOVEMEMBER": 6}
	sawEnter := false
	for _, line := range strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n") {
		f := strings.Split(line, "|")
		if len(f) < 5 {
			t.Errorf("forged or broken line %q", line)
			continue
		}
		if n, ok := want[f[4]]; ok && len(f) != n {
			t.Errorf("%s line has %d fields, want %d: %q", f[4], len(f), n, line)
		}
		if f[4] == "ENTERQUEUE" {
			sawEnter = true
			if !strings.HasPrefix(f[6], "0105_5556666_CONNECT_x") {
				t.Errorf("caller id field %q", f[6])
			}
		}
		if strings.Contains(line, "FORGED") || strings.Contains(line, "1700000000") {
			t.Errorf("injected text in queue_log: %q", line)
		}
	}
	if !sawEnter {
		t.Fatalf("no ENTERQUEUE in queue_log:\n%s", raw)
	}
}
