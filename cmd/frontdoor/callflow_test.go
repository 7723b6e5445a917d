package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/internal/testua"
)

type callView struct {
	ID     string `json:"call_id"`
	State  string `json:"state"`
	Agency string `json:"agency"`
	Agent  string `json:"agent"`
}

// waitCallState waits until some call in progress is in state (watching events).
func (n *testNode) waitCallState(t *testing.T, ctx context.Context, state string) callView {
	t.Helper()
	sub := n.sb.Subscribe(ctx)
	tick := time.NewTicker(100 * time.Millisecond) // calls change state without events while in the IVR
	defer tick.Stop()
	for {
		var list []callView
		n.api(t, "GET", "/api/v1/calls", nil, &list)
		for _, c := range list {
			if c.State == state {
				return c
			}
		}
		select {
		case <-sub:
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("no call reached %s: %+v", state, list)
		}
	}
}

// readyAgent registers a test phone for id and makes it ready.
func (n *testNode) readyAgent(t *testing.T, ctx context.Context, id string, configure func(*testua.Phone)) *testua.Phone {
	t.Helper()
	p := newPhone(t, id)
	if configure != nil {
		configure(p)
	}
	if code, err := p.Register(ctx, n.SIP, "pw"+id, 300); err != nil || code != 200 {
		t.Fatalf("register %s: %d %v", id, code, err)
	}
	n.waitAgent(t, ctx, id, "not_ready")
	n.setReady(t, id)
	return p
}

// dial calls number and presses keys (RFC 4733) once the IVR answers.
func dial(t *testing.T, ctx context.Context, n *testNode, number string, pts []uint8, freq float64, keys string) *testua.Outgoing {
	t.Helper()
	caller := newPhone(t, "01055556666")
	out, err := caller.Call(ctx, n.SIP, number, pts, freq)
	if err != nil {
		t.Fatalf("call %s: %v", number, err)
	}
	t.Cleanup(func() { out.Hangup(context.Background()) })
	for _, k := range keys {
		if err := out.RTP.SendDTMF(k); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestCallerHangsUpWhileQueued(t *testing.T) {
	n := startNode(t, "")
	ctx := timeout(t, 30*time.Second)
	out := dial(t, ctx, n, "110", nil, 1000, "2#") // customs: nobody logged in
	c := n.waitCallState(t, ctx, "queued")
	if !out.RTP.WaitAudio(ctx, 100) { // hold music keeps coming
		t.Fatal("no hold audio")
	}
	out.Hangup(ctx)
	cdr := n.waitCDR(t, ctx, c.ID)
	if cdr.Outcome != "abandoned" || cdr.Agency != "customs" || cdr.AnsweredAt != nil || cdr.WaitSeconds <= 0 {
		t.Fatalf("CDR %+v", cdr)
	}
	if m := n.scrape(t); !strings.Contains(m, `frontdoor_calls_total{agency="customs",outcome="abandoned"} 1`) {
		t.Error("abandoned call not counted")
	}
}

// The caller gives up while the agent's phone rings: frontdoor cancels the
// agent's INVITE and the agent is ready again (it did nothing wrong).
func TestCallerHangsUpWhileAgentRings(t *testing.T) {
	n := startNode(t, "")
	ctx := timeout(t, 30*time.Second)
	agent := n.readyAgent(t, ctx, "1002", func(p *testua.Phone) { p.NoAnswer = true })
	out := dial(t, ctx, n, "125", nil, 1000, "") // legacy customs number: no menu
	in, err := agent.NextIncoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out.Hangup(ctx)
	waitDone(t, ctx, in.Done, "agent's INVITE never cancelled")
	n.waitAgent(t, ctx, "1002", "ready")
	if cdr := n.waitCDR(t, ctx, ""); cdr.Outcome != "abandoned" || cdr.Number != "125" {
		t.Fatalf("CDR %+v", cdr)
	}
}

// The agent hangs up first: the caller gets a BYE and the CDR says answered.
func TestAgentHangsUp(t *testing.T) {
	n := startNode(t, "")
	ctx := timeout(t, 30*time.Second)
	agent := n.readyAgent(t, ctx, "1001", func(p *testua.Phone) { p.AutoAnswer = 2000 })
	out := dial(t, ctx, n, "126", nil, 1000, "") // legacy tax number
	in, err := agent.NextIncoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !out.RTP.WaitTone(ctx, 2000) {
		t.Fatal("caller never heard the agent")
	}
	in.Dialog.Bye(ctx)
	waitDone(t, ctx, out.Done(), "caller not hung up after the agent's BYE")
	if cdr := n.waitCDR(t, ctx, ""); cdr.Outcome != "answered" || cdr.Agent != "1001" {
		t.Fatalf("CDR %+v", cdr)
	}
}

// Ring-no-answer: the first agent does not pick up within the ring timeout; it
// goes not_ready (rona) and the call goes to the other tax agent.
func TestRingNoAnswer(t *testing.T) {
	n := startNode(t, "")
	ctx := timeout(t, 40*time.Second)
	sleepy := n.readyAgent(t, ctx, "1001", func(p *testua.Phone) { p.NoAnswer = true })
	out := dial(t, ctx, n, "126", nil, 1000, "")
	first, err := sleepy.NextIncoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Only now the second agent: the call must first have been offered to 1001.
	awake := n.readyAgent(t, ctx, "1003", func(p *testua.Phone) { p.AutoAnswer = 2000 })
	waitDone(t, ctx, first.Done, "unanswered INVITE never cancelled")
	a := n.waitAgent(t, ctx, "1001", "not_ready")
	if a.Reason != "rona" {
		t.Errorf("reason %q, want rona", a.Reason)
	}
	if _, err := awake.NextIncoming(ctx); err != nil {
		t.Fatal(err)
	}
	if !out.RTP.WaitTone(ctx, 2000) {
		t.Fatal("caller never reached the second agent")
	}
}

// A PCMA-only caller and a PCMU agent: the bridge converts, the tone survives.
func TestPCMACallerToPCMUAgent(t *testing.T) {
	n := startNode(t, "")
	ctx := timeout(t, 30*time.Second)
	agent := n.readyAgent(t, ctx, "1001", func(p *testua.Phone) { p.AutoAnswer = 2000 })
	out := dial(t, ctx, n, "110", []uint8{8}, 1000, "1#")
	in, err := agent.NextIncoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !in.RTP.WaitTone(ctx, 1000) || !out.RTP.WaitTone(ctx, 2000) {
		t.Fatal("tone lost across PCMA<->PCMU")
	}
}

// "10" is a two-key choice: it picks civil without waiting.
func TestTwoKeyChoice(t *testing.T) {
	n := startNode(t, "")
	ctx := timeout(t, 30*time.Second)
	agent := n.readyAgent(t, ctx, "1002", func(p *testua.Phone) { p.AutoAnswer = 2000 })
	dial(t, ctx, n, "110", nil, 1000, "10")
	in, err := agent.NextIncoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := in.Req.GetHeader("X-Frontdoor-Agency"); got == nil || got.Value() != "civil" {
		t.Fatalf("agency %v, want civil", got)
	}
}

// An invalid choice replays the menu; after the retries the call ends politely.
func TestInvalidChoiceEndsAfterRetries(t *testing.T) {
	n := startNode(t, "")
	ctx := timeout(t, 40*time.Second)
	out := dial(t, ctx, n, "110", nil, 0, "9")
	time.AfterFunc(2*time.Second, func() { out.RTP.SendDTMF('9') }) // second try, also invalid
	waitDone(t, ctx, out.Done(), "call not ended after invalid choices")
	if cdr := n.waitCDR(t, ctx, ""); cdr.Outcome != "rejected" || cdr.Agency != "" {
		t.Fatalf("CDR %+v", cdr)
	}
	// Counted although it never reached an agency.
	if m := n.scrape(t); !strings.Contains(m, `frontdoor_calls_total{agency="none",outcome="rejected"} 1`) {
		t.Errorf("IVR-ended call not counted:\n%s", grepLines(m, "calls_total{agency=\"none\""))
	}
}

// A caller whose RTP stops is cut off after media.rtp_timeout_seconds.
func TestDeadCallerIsCutOff(t *testing.T) {
	rtpBase += 100
	yaml := strings.Replace(fmt.Sprintf(testConfig, freeSIPPort(t), rtpBase, rtpBase+99), "rtp_timeout_seconds: 10", "rtp_timeout_seconds: 1", 1)
	n := startNode(t, yaml)
	ctx := timeout(t, 30*time.Second)
	out := dial(t, ctx, n, "125", nil, 1000, "")
	n.waitCallState(t, ctx, "queued")
	out.RTP.Conn.Close() // the phone vanishes without a BYE
	waitDone(t, ctx, out.Done(), "dead call not ended")
	if cdr := n.waitCDR(t, ctx, ""); cdr.Outcome != "abandoned" {
		t.Fatalf("CDR %+v", cdr)
	}
}
