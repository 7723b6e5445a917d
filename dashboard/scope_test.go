package dashboard

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/frontdoor-project/frontdoor/calls"
)

// scopedDirectory is the test directory with agencies (dashboard.Scoper).
type scopedDirectory struct {
	directory
	agencies map[string][]string
}

func (d scopedDirectory) Agencies(id string) []string { return d.agencies[id] }

// TestAgentFeedScopedToItsAgencies: agent 1001 (tax) gets the tax call in
// the snapshot and GET /api/v1/calls, never the police call; a police
// call event is not sent; when the tax call it was shown moves to police
// (a transfer) it gets one out_of_scope stub naming only the call id, and
// nothing of the call after.
func TestAgentFeedScopedToItsAgencies(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.Directory = scopedDirectory{testDirectory, map[string][]string{"1001": {"tax"}, "1002": {"police"}}}
	})
	tok := e.login("1001")
	resp, body := e.do("GET", "/api/v1/calls", tok, "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"c-1"`) || strings.Contains(string(body), `"c-2"`) {
		t.Fatalf("calls for the tax agent: %d %s", resp.StatusCode, body)
	}
	st := openStream(t, e.srv.URL, "Authorization", "Bearer "+tok)
	var snap snapshotEvent
	if err := json.Unmarshal([]byte(st.nextEvent().Data), &snap); err != nil {
		t.Fatal(err)
	}
	if len(snap.Calls) != 1 || snap.Calls[0].ID != "c-1" {
		t.Fatalf("snapshot calls %+v, want only c-1", snap.Calls)
	}
	e.core.publish(calls.Event{Type: "call", Data: calls.CallStatus{ID: "c-3", Number: "0107777", Agency: "police", State: "queued"}})
	e.core.publish(calls.Event{Type: "call", Data: calls.CallStatus{ID: "c-1", Number: "0105555", Agency: "police", State: "queued"}})
	e.core.publish(calls.Event{Type: "call", Data: calls.CallStatus{ID: "c-1", Number: "0105555", Agency: "police", State: "connected", Agent: "1002"}})
	e.core.publish(calls.Event{Type: "call", Data: calls.CallStatus{ID: "c-4", Number: "0106666", Agency: "tax", State: "queued"}})
	var got []string
	for len(got) < 2 {
		got = append(got, st.nextEvent().Data)
	}
	var stub calls.CallStatus
	if err := json.Unmarshal([]byte(got[0]), &stub); err != nil || stub.ID != "c-1" || stub.State != "out_of_scope" || stub.Number != "" || stub.Agency != "" {
		t.Errorf("first event %s, want the out_of_scope stub of c-1", got[0])
	}
	if !strings.Contains(got[1], `"c-4"`) {
		t.Errorf("second event %s, want the tax call c-4 (c-3 and c-1's later change withheld)", got[1])
	}
	// The supervisor still sees everything.
	if _, body := e.do("GET", "/api/v1/calls", e.login("2001"), ""); !strings.Contains(string(body), `"c-2"`) {
		t.Errorf("supervisor calls: %s", body)
	}
}
