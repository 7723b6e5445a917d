package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/config"
	"github.com/frontdoor-project/frontdoor/internal/testua"
)

// callbackConfig is testConfig with callbacks through trunk (a test phone).
func callbackConfig(t *testing.T, trunk string, retries int) string {
	rtpBase += 100
	return strings.Replace(fmt.Sprintf(testConfig, freeSIPPort(t), rtpBase, rtpBase+99), `number: "110"`,
		fmt.Sprintf("number: \"110\"\ncallback: { trunk: %q, offer_when_wait_seconds: 60, retries: %d, retry_after_seconds: 1, ring_seconds: 3 }", trunk, retries), 1)
}

// bookCallback dials the tax number while nobody works the queue (so the wait is
// unknown, which counts as long), accepts the callback offer and confirms the
// caller's own number; frontdoor then hangs up.
func bookCallback(t *testing.T, ctx context.Context, n *testNode) {
	t.Helper()
	bookCallbackAt(t, ctx, n.SIP, "01055556666")
}

// bookCallbackAt is bookCallback by caller user on the node at sipAddr.
func bookCallbackAt(t *testing.T, ctx context.Context, sipAddr, user string) {
	t.Helper()
	out, err := newPhone(t, user).Call(ctx, sipAddr, "126", []uint8{0}, 0)
	if err != nil {
		t.Fatalf("%s calls 126 on %s: %v", user, sipAddr, err)
	}
	t.Cleanup(func() { out.Hangup(context.Background()) })
	if !out.RTP.WaitReceived(ctx, promptFrame(t, "callback-offer")) {
		t.Fatal("no callback offer")
	}
	out.RTP.SendDTMF('1')
	if !out.RTP.WaitReceived(ctx, promptFrame(t, "callback-number")) {
		t.Fatal("the number to call back was not read out")
	}
	out.RTP.SendDTMF('1')
	waitDone(t, ctx, out.Done(), "caller not released after booking the callback")
	if !out.RTP.Received(promptFrame(t, "callback-booked")) {
		t.Error("no confirmation before the hang-up")
	}
}

// A caller books a callback and hangs up keeping their place; when an agent is
// ready, the agent is connected first, then frontdoor calls the citizen through
// the trunk and bridges them: each hears the other.
func TestCallbackConnectsAgentAndCitizen(t *testing.T) {
	ctx := timeout(t, 60*time.Second)
	trunk := newPhone(t, "trunk")
	trunk.AutoAnswer = 1000 // the citizen's phone behind the trunk
	n := startNode(t, callbackConfig(t, trunk.Addr(), 1))
	agentPhone := newPhone(t, "1001")
	agentPhone.AutoAnswer = 2000
	if code, err := agentPhone.Register(ctx, n.SIP, "pw1001", 300); err != nil || code != 200 {
		t.Fatalf("register: %d %v", code, err)
	}
	n.waitAgent(t, ctx, "1001", "not_ready") // logged in, not working the queue
	bookCallback(t, ctx, n)

	n.setReady(t, "1001")
	agentIn, err := agentPhone.NextIncoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := agentIn.Req.GetHeader("X-Frontdoor-Callback"); got == nil || got.Value() != "01055556666" {
		t.Errorf("X-Frontdoor-Callback %v", got)
	}
	citizen, err := trunk.NextIncoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if citizen.Req.Recipient.User != "01055556666" {
		t.Errorf("callback went to %q", citizen.Req.Recipient.User)
	}
	if !agentIn.RTP.WaitTone(ctx, 1000) || !citizen.RTP.WaitTone(ctx, 2000) {
		t.Fatal("agent and citizen do not hear each other")
	}
	if !citizen.RTP.Received(promptFrame(t, "callback-intro")) {
		t.Error("the citizen was not told who is calling")
	}
	citizen.Dialog.Bye(ctx)
	cdr := n.waitCDR(t, ctx, "")
	if cdr.Outcome != "answered" || cdr.Agent != "1001" || cdr.Agency != "tax" {
		t.Fatalf("CDR %+v", cdr)
	}
}

// The citizen does not answer: the agent hears why and is released, the attempt
// is recorded, one retry follows, and then the callback is given up (abandoned).
func TestCallbackUnansweredIsRetriedThenGivenUp(t *testing.T) {
	ctx := timeout(t, 60*time.Second)
	trunk := newPhone(t, "trunk")
	trunk.Busy = true
	n := startNode(t, callbackConfig(t, trunk.Addr(), 1))
	agentPhone := newPhone(t, "1001")
	agentPhone.AutoAnswer = 2000
	if code, err := agentPhone.Register(ctx, n.SIP, "pw1001", 300); err != nil || code != 200 {
		t.Fatalf("register: %d %v", code, err)
	}
	n.waitAgent(t, ctx, "1001", "not_ready")
	bookCallback(t, ctx, n)
	n.setReady(t, "1001")
	for attempt := 1; attempt <= 2; attempt++ {
		in, err := agentPhone.NextIncoming(ctx)
		if err != nil {
			t.Fatalf("attempt %d: %v", attempt, err)
		}
		if !in.RTP.WaitReceived(ctx, promptFrame(t, "callback-unreached")) {
			t.Fatalf("attempt %d: agent not told the citizen did not answer", attempt)
		}
	}
	cdrs := n.waitCDRs(t, ctx, 2)
	for _, c := range cdrs {
		if c.Outcome != "abandoned" || c.Agent != "1001" {
			t.Errorf("CDR %+v, want abandoned attempts handled by 1001", c)
		}
	}
	if m := n.scrape(t); !strings.Contains(m, `frontdoor_calls_total{agency="tax",outcome="answered"} 0`) {
		t.Error("an unreached callback counted as answered")
	}
}

// A booked callback survives a restart: the new node calls the citizen back.
func TestCallbackSurvivesRestart(t *testing.T) {
	ctx := timeout(t, 60*time.Second)
	trunk := newPhone(t, "trunk")
	trunk.AutoAnswer = 1000
	dir := t.TempDir()
	path := filepath.Join(dir, "frontdoor.yaml")
	if err := os.WriteFile(path, []byte(callbackConfig(t, trunk.Addr(), 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	n := startNodeWith(t, cfg, filepath.Join(dir, "data"))
	bookCallback(t, ctx, n)
	n.Stop()

	n2 := startNodeWith(t, cfg, filepath.Join(dir, "data"))
	agent := n2.readyAgent(t, ctx, "1001", func(p *testua.Phone) { p.AutoAnswer = 2000 })
	if _, err := agent.NextIncoming(ctx); err != nil {
		t.Fatal(err)
	}
	citizen, err := trunk.NextIncoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !citizen.RTP.WaitTone(ctx, 2000) {
		t.Fatal("the resumed callback did not connect the citizen to the agent")
	}
	citizen.Dialog.Bye(ctx)
	if cdr := n2.waitCDR(t, ctx, ""); cdr.Outcome != "answered" {
		t.Fatalf("CDR %+v", cdr)
	}
}
