package main

import (
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/internal/testua"
)

// A citizen dials 110, picks tax with an RFC 4733 key, waits, and is bridged to the
// registered agent: the agent's phone gets the X-Frontdoor-* headers, each side hears
// the other's tone, the caller hangs up, and the CDR and metrics show the call.
func TestCallReachesAgentWithAudioBothWays(t *testing.T) {
	n := startNode(t, "")
	ctx := timeout(t, 60*time.Second)

	agent := n.readyAgent(t, ctx, "1001", func(p *testua.Phone) { p.AutoAnswer = 2000 })

	caller, err := testua.NewPhone("01012345678")
	if err != nil {
		t.Fatal(err)
	}
	defer caller.Close()
	out, err := caller.Call(ctx, n.SIP, "110", []uint8{0, 8}, 1000)
	if err != nil {
		t.Fatalf("call 110: status %d: %v", out.Status, err)
	}
	// The welcome prompt is real audio: it arrives before we press anything.
	if !out.RTP.WaitAudio(ctx, 10) {
		t.Fatal("no prompt audio from the IVR")
	}
	if err := out.RTP.SendDTMF('1'); err != nil {
		t.Fatal(err)
	}
	// '1' is also the start of "10": the inter-digit timeout decides for tax.
	in, err := agent.NextIncoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for h, want := range map[string]string{"X-Frontdoor-Agency": "tax", "X-Frontdoor-Identity": "unverified"} {
		if got := in.Req.GetHeader(h); got == nil || got.Value() != want {
			t.Errorf("%s = %v, want %s", h, got, want)
		}
	}
	callID := in.Req.GetHeader("X-Frontdoor-Call")
	if callID == nil || callID.Value() == "" {
		t.Fatal("no X-Frontdoor-Call header")
	}
	if !in.RTP.WaitTone(ctx, 1000) {
		t.Fatal("agent never heard the caller's 1 kHz tone")
	}
	if !out.RTP.WaitTone(ctx, 2000) {
		t.Fatal("caller never heard the agent's 2 kHz tone")
	}
	n.waitAgent(t, ctx, "1001", "busy")
	if err := out.Hangup(ctx); err != nil {
		t.Fatalf("BYE: %v", err)
	}
	waitDone(t, ctx, in.Done, "agent leg not hung up after the caller's BYE")
	n.waitAgent(t, ctx, "1001", "ready") // wrap-up 0

	cdr := n.waitCDR(t, ctx, callID.Value())
	if cdr.Outcome != "answered" || cdr.Agency != "tax" || cdr.Agent != "1001" || cdr.Number != "110" {
		t.Errorf("CDR %+v", cdr)
	}
	if cdr.AnsweredAt == nil || cdr.TalkSeconds <= 0 || cdr.Identity != nil {
		t.Errorf("CDR times/identity %+v", cdr)
	}
	metrics := n.scrape(t)
	for _, want := range []string{
		`frontdoor_calls_total{agency="tax",outcome="answered"} 1`,
		`frontdoor_calls_total{agency="customs",outcome="abandoned"} 0`,
		`frontdoor_queue_wait_seconds_count{agency="tax"} 1`,
		`frontdoor_call_talk_seconds_count{agency="tax"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}
