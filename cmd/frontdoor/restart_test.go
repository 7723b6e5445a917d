package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/config"
	"github.com/frontdoor-project/frontdoor/internal/testua"
)

// A restart loses nothing finished: the CDR of a call made before it is still
// served, the queue_log holds the call, and the agent whose phone registered
// before the restart is logged in again without re-registering.
func TestRestartKeepsCDRsAndRegistrations(t *testing.T) {
	rtpBase += 100
	yaml := fmt.Sprintf(testConfig, freeSIPPort(t), rtpBase, rtpBase+99)
	dir := t.TempDir()
	path := filepath.Join(dir, "frontdoor.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	ctx := timeout(t, 60*time.Second)

	n := startNodeWith(t, cfg, data)
	agent := n.readyAgent(t, ctx, "1001", func(p *testua.Phone) { p.AutoAnswer = 2000 })
	out := dial(t, ctx, n, "126", nil, 1000, "")
	if _, err := agent.NextIncoming(ctx); err != nil {
		t.Fatal(err)
	}
	if !out.RTP.WaitTone(ctx, 2000) {
		t.Fatal("not connected to the agent")
	}
	out.Hangup(ctx)
	before := n.waitCDR(t, ctx, "")
	n.Stop()

	n2 := startNodeWith(t, cfg, data)
	found := false
	for _, c := range n2.cdrs(t) {
		found = found || (c.CallID == before.CallID && c.Outcome == "answered")
	}
	if !found {
		t.Fatalf("CDR %s lost across the restart; after it: %+v", before.CallID, n2.cdrs(t))
	}
	// Registration restored: logged in again, and ready as it was before the restart.
	n2.waitAgent(t, ctx, "1001", "ready")
	qlog, err := os.ReadFile(filepath.Join(data, "queue_log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range []string{"|" + before.CallID + "|tax|", "ENTERQUEUE", "CONNECT", "COMPLETECALLER"} {
		if !strings.Contains(string(qlog), ev) {
			t.Errorf("queue_log lacks %q:\n%s", ev, qlog)
		}
	}
}

// Beyond sip.max_calls new calls get 503 with Retry-After; calls in progress go on.
func TestOverloadGets503(t *testing.T) {
	rtpBase += 100
	n := startNode(t, strings.Replace(fmt.Sprintf(testConfig, freeSIPPort(t), rtpBase, rtpBase+99),
		`number: "110"`, "number: \"110\"\nsip: { max_calls: 1 }", 1))
	ctx := timeout(t, 30*time.Second)
	first := dial(t, ctx, n, "125", nil, 0, "")
	n.waitCallState(t, ctx, "queued")
	p := newPhone(t, "01077778888")
	if code, err := p.CallRaw(ctx, n.SIP, "110", "application/sdp", testua.Offer(40010)); err != nil || code != 503 {
		t.Fatalf("second call: %d %v, want 503", code, err)
	}
	first.Hangup(ctx)
	n.waitCDR(t, ctx, "")
	if code, err := p.CallRaw(ctx, n.SIP, "110", "application/sdp", testua.Offer(40012)); err != nil || code != 200 {
		t.Fatalf("after the first call ended: %d %v, want 200", code, err)
	}
}
