package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/internal/testua"
)

// connectedCall starts a node with media timeouts (replacing the test
// config's "rtp_timeout_seconds: 10") and connects a caller of 126 to
// agent 1001's phone, tones flowing: the start of every hold test.
func connectedCall(t *testing.T, timeouts string) (*testNode, context.Context, *testua.Outgoing, *testua.Incoming) {
	t.Helper()
	rtpBase += 100
	n := startNode(t, strings.Replace(fmt.Sprintf(testConfig, freeSIPPort(t), rtpBase, rtpBase+99),
		"rtp_timeout_seconds: 10", timeouts, 1))
	ctx := timeout(t, 30*time.Second)
	agent := n.readyAgent(t, ctx, "1001", func(p *testua.Phone) { p.AutoAnswer = 2000 })
	out := dial(t, ctx, n, "126", nil, 1000, "")
	in, err := agent.NextIncoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !out.RTP.WaitTone(ctx, 2000) {
		t.Fatal("not connected")
	}
	return n, ctx, out, in
}

// The agent's phone puts the caller on hold with a re-INVITE (sendonly) and then
// sends nothing for longer than the RTP timeout: the call survives. Off hold
// (sendrecv) the audio flows both ways again.
func TestAgentHoldByReinvite(t *testing.T) {
	_, ctx, out, in := connectedCall(t, "rtp_timeout_seconds: 1")
	code, answer, err := in.Reinvite(ctx, 0, "sendonly")
	if err != nil || code != 200 || !strings.Contains(answer, "a=recvonly") {
		t.Fatalf("hold re-INVITE: %d %v\n%s", code, err, answer)
	}
	in.RTP.Pause(true)
	// What is tested is an absence (no hang-up during three RTP timeouts of
	// silence), so this one wait is on time.
	held := time.NewTimer(3 * time.Second)
	select {
	case <-in.Done:
		t.Fatal("call cut while on hold")
	case <-out.Done():
		t.Fatal("caller cut while on hold")
	case <-held.C: // silence for 3 timeouts, and the call is still up
	}
	code, answer, err = in.Reinvite(ctx, 0, "sendrecv")
	if err != nil || code != 200 || !strings.Contains(answer, "a=sendrecv") {
		t.Fatalf("unhold re-INVITE: %d %v\n%s", code, err, answer)
	}
	in.RTP.Pause(false)
	before := out.RTP.Packets()
	if !out.RTP.WaitAudio(ctx, before+25) || !out.RTP.WaitTone(ctx, 2000) {
		t.Fatal("audio did not come back after the hold")
	}
	// A re-INVITE that drops the call's codec is refused; the call goes on.
	if code, _, _ := in.Reinvite(ctx, 8, "sendrecv"); code != 488 {
		t.Fatalf("re-INVITE without the call's codec: %d, want 488", code)
	}
	if !in.RTP.WaitTone(ctx, 1000) {
		t.Fatal("call broken by the refused re-INVITE")
	}
}
