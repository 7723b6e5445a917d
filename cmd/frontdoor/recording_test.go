package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/internal/testua"
	"github.com/frontdoor-project/frontdoor/media/record"
	"github.com/frontdoor-project/frontdoor/media/tones"
)

// A recorded agency: the caller hears the notice, the call is recorded in two
// channels (caller left, agent right), the CDR names the file, a supervisor
// downloads it, and an agent may not.
func TestRecordedCallBothChannels(t *testing.T) {
	n := startNode(t, strings.Replace(acdConfig(t, "join_empty: always"), `numbers: ["125"], queue:`, `numbers: ["125"], record: true, queue:`, 1))
	ctx := timeout(t, 40*time.Second)
	agent := n.readyAgent(t, ctx, "1002", func(p *testua.Phone) { p.AutoAnswer = 2000 })
	out := dial(t, ctx, n, "125", []uint8{0}, 1000, "")
	in, err := agent.NextIncoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !in.RTP.WaitTone(ctx, 1000) || !out.RTP.WaitTone(ctx, 2000) {
		t.Fatal("not connected")
	}
	if !out.RTP.Received(promptFrame(t, "recording-notice")) {
		t.Error("the caller was not told the call may be recorded")
	}
	time.Sleep(time.Second) // one second of conversation to record (content, not synchronisation)
	out.Hangup(ctx)
	var cdr struct {
		Recording string `json:"recording"`
	}
	c := n.waitCDR(t, ctx, "")
	var list []map[string]any
	n.api(t, "GET", "/api/v1/cdrs?since=2000-01-01T00:00:00Z", nil, &list)
	for _, row := range list {
		if row["call_id"] == c.CallID {
			cdr.Recording, _ = row["recording"].(string)
		}
	}
	if !strings.HasPrefix(cdr.Recording, "customs/") {
		t.Fatalf("CDR recording %q", cdr.Recording)
	}
	wav := n.download(t, "/api/v1/recordings/"+cdr.Recording, "Bearer test-admin-token", 200)
	left, right, err := record.ReadWAV(wav)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) < 8000 || len(right) != len(left) {
		t.Fatalf("channels %d and %d samples", len(left), len(right))
	}
	mid := len(left) / 2
	if !tones.Dominates(left[mid-800:mid+800], 1000) || !tones.Dominates(right[mid-800:mid+800], 2000) {
		t.Fatal("left should hold the caller's 1 kHz and right the agent's 2 kHz")
	}
	// Agents may not download recordings; bad names are refused.
	n.download(t, "/api/v1/recordings/"+cdr.Recording, "Bearer "+n.login(t, "1002"), 403)
	n.download(t, "/api/v1/recordings/customs/..%2f..%2fetc%2fpasswd.wav", "Bearer test-admin-token", 400)
	n.download(t, "/api/v1/recordings/customs/nope.wav", "Bearer test-admin-token", 404)
}

// download GETs path with an Authorization header and checks the status.
func (n *testNode) download(t *testing.T, path, auth string, want int) []byte {
	t.Helper()
	req, _ := http.NewRequest("GET", n.HTTP+path, nil)
	req.Header.Set("Authorization", auth)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		t.Fatalf("GET %s: %d, want %d: %s", path, res.StatusCode, want, b)
	}
	return b
}
