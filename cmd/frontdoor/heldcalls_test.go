package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/internal/testua"
)

// The agent's phone puts the caller on hold and sends nothing, for ever: once
// the hold has lasted media.hold_timeout_seconds the call is ended (both legs
// get BYE) and recorded, no sooner.
func TestHoldTimeoutEndsHeldCall(t *testing.T) {
	n, ctx, out, in := connectedCall(t, "rtp_timeout_seconds: 1, hold_timeout_seconds: 2")
	heldAt := time.Now()
	if code, _, err := in.Reinvite(ctx, 0, "inactive"); err != nil || code != 200 {
		t.Fatalf("hold re-INVITE: %d %v", code, err)
	}
	in.RTP.Pause(true)
	waitDone(t, ctx, in.Done, "held agent leg never ended")
	waitDone(t, ctx, out.Done(), "caller of a held call never hung up")
	held := time.Since(heldAt)
	if held < 2*time.Second {
		t.Fatalf("call ended after %v on hold, before the 2 s hold timeout", held)
	}
	cdr := n.waitCDR(t, ctx, "")
	if cdr.Outcome != "answered" || cdr.Agent != "1001" {
		t.Fatalf("CDR %+v, want answered by 1001", cdr)
	}
	t.Logf("held call ended after %v on hold (limit 2 s), CDR %s", held.Round(10*time.Millisecond), cdr.Outcome)
}

// One untrusted source places calls and keeps them up: beyond
// security.max_calls_per_source its next INVITE gets 503 with Retry-After;
// once one of its calls ends it may call again.
func TestCallsPerSourceCapped(t *testing.T) {
	n := securityNode(t, "max_calls_per_source: 2")
	ctx := timeout(t, 30*time.Second)
	var up []*testua.Outgoing
	for i := 0; i < 2; i++ {
		p := newPhone(t, fmt.Sprintf("0105555000%d", i))
		out, err := p.Call(ctx, n.SIP, "126", nil, 1000) // tax: nobody logged in, queued
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		t.Cleanup(func() { out.Hangup(ctx) })
		up = append(up, out)
	}
	third := newPhone(t, "01055550009")
	if code, err := third.CallRaw(ctx, n.SIP, "126", "application/sdp", testua.Offer(rtpBase+90)); err != nil || code != 503 {
		t.Fatalf("third call from the same source: %d %v, want 503", code, err)
	}
	if err := up[0].Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	n.waitCDR(t, ctx, "")
	if code, err := third.CallRaw(ctx, n.SIP, "126", "application/sdp", testua.Offer(rtpBase+92)); err != nil || code != 200 {
		t.Fatalf("after one call ended: %d %v, want 200", code, err)
	}
}
