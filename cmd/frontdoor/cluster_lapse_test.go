package main

import (
	"strings"
	"syscall"
	"testing"
	"time"
)

// A live node frozen (SIGSTOP) for longer than its presence lease, then let
// go on (SIGCONT), is declared lost by the leader meanwhile and falls in with
// it: its connected call ends on the caller's and the agent's side with one
// CDR, cut_off; its agent comes back not_ready and, once ready, takes calls
// again; the callback it had booked is taken over by the leader and the
// citizen is called back once, by the leader.
func TestClusterLeaseLapse(t *testing.T) {
	ctx := timeout(t, 150*time.Second)
	trunk, nodes := startCallbackCluster(t, ctx, 1, "127.0.0.2", "127.0.0.3")
	a, b := nodes[0], nodes[1]

	// On B: agent 1001's phone, a call it answered, and a callback booked
	// while 1001 is busy (nobody else works tax: the wait is unknown).
	agent := clusterAgent(t, ctx, "1001", 2000, b, a)
	talking := dialCluster(t, ctx, "01055510001", 1200, b, "126", "queued|ringing|connected", a)
	agentLeg := answered(t, ctx, agent, talking)
	waitCall(t, ctx, a, talking.user, "connected", b.name)
	const citizen = "01055510002"
	bookCallbackAt(t, ctx, b.sip, citizen)
	callback := waitCall(t, ctx, b, citizen, "queued", b.name)

	// A long pause: B's lease runs out while it is stopped.
	if err := b.proc.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	resumed := false
	cont := func() {
		if !resumed {
			resumed = true
			b.proc.cmd.Process.Signal(syscall.SIGCONT)
		}
	}
	t.Cleanup(cont)
	waitAgentState(t, ctx, a.http, "1001", "logged_out")
	waitCDROutcome(t, ctx, a, talking.id, "cut_off")
	if got := waitCall(t, ctx, a, citizen, "queued", a.name); got != callback {
		t.Fatalf("%s holds call %s from %s, want the taken-over callback %s", a.name, got, citizen, callback)
	}
	cont()

	// B ends the call the center ended: BYE to the caller and to the agent.
	waitDone(t, ctx, talking.out.Done(), "caller's leg not hung up by the node declared lost")
	waitDone(t, ctx, agentLeg.Dialog.Context().Done(), "agent's leg not hung up by the node declared lost")
	waitCallGone(t, ctx, talking.id, a, b)
	// Back in, not ready, in every node's view.
	waitAgentState(t, ctx, b.http, "1001", "not_ready")
	waitAgentState(t, ctx, a.http, "1001", "not_ready")

	// Ready again: the longest waiting call first, the callback the leader
	// holds; the leader calls the citizen, once.
	apiPut(t, b.http, "/api/v1/agents/1001/state", `{"state":"ready"}`)
	agentIn, err := agent.NextIncoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := agentIn.Req.GetHeader("X-Frontdoor-Call").Value(); got != callback {
		t.Fatalf("agent offered call %s, want the callback %s", got, callback)
	}
	in := callBackFrom(t, ctx, trunk, citizen, callback, a) // the leader
	if !agentIn.RTP.WaitTone(ctx, 1000) || !in.RTP.WaitTone(ctx, 2000) {
		t.Fatal("the agent and the citizen called back do not hear each other")
	}
	in.Dialog.Bye(ctx)
	waitCDROutcome(t, ctx, a, callback, "answered")

	// B takes new calls again, and its agent gets them.
	next := dialUntilQueued(t, ctx, "01055510003", b)
	answered(t, ctx, agent, next)
	next.out.Hangup(ctx)
	waitCDROutcome(t, ctx, a, next.id, "answered")

	if list := clusterCDRs(t, a)[talking.id]; len(list) != 1 || list[0].Outcome != "cut_off" || list[0].Agent != "1001" {
		t.Fatalf("CDRs of the call cut off: %+v, want one cut_off naming agent 1001", list)
	}
	if n := trunk.Pending(); n != 0 {
		t.Fatalf("the trunk got %d more call-back INVITEs", n)
	}
	if n := agent.Pending(); n != 0 {
		t.Fatalf("the agent got %d more offers", n)
	}
	log := b.proc.logText()
	for _, want := range []string{"declared lost while alive", "registered again after being declared lost"} {
		if !strings.Contains(log, want) {
			t.Errorf("node B's log has no %q", want)
		}
	}
	if strings.Contains(log, "store CDR") {
		t.Errorf("node B tried to write a conflicting CDR:\n%s", log)
	}
}
