package main

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/cluster/etcdtest"
	"github.com/frontdoor-project/frontdoor/internal/testua"
)

// A callback booked on a node that then dies (kill -9; a follower first, then
// the leader) is not lost: the leader (the new one, when the leader died)
// takes it over, and once an agent on a survivor is ready the trunk gets
// exactly one call-back INVITE, from that survivor; the agent and the citizen
// hear each other, and the call's one CDR says answered by the agent.
func TestClusterCallbackSurvivesItsNodesDeath(t *testing.T) {
	ctx := timeout(t, 150*time.Second)
	trunk, nodes := startCallbackCluster(t, ctx, 3, "127.0.0.2", "127.0.0.3", "127.0.0.4")
	a, b, c := nodes[0], nodes[1], nodes[2]
	if l := waitLeader(t, ctx, nodes); l != a {
		t.Fatalf("leader %s, want the first node started", l.name)
	}
	// Agent 1001's phone is on C, which outlives both kills; logged in but
	// not ready, nobody works the queue: the wait is unknown, so a
	// callback is offered.
	agent := agentPhoneOn(t, ctx, c, a)

	callBackAfterKill(t, ctx, trunk, agent, b, "01071120001", a, c) // a follower
	apiPut(t, c.http, "/api/v1/agents/1001/state", `{"state":"not_ready","reason":"break"}`)
	waitAgentState(t, ctx, c.http, "1001", "not_ready")
	callBackAfterKill(t, ctx, trunk, agent, a, "01071120002", c) // the leader
}

// startCallbackCluster starts an etcd of members and a node on each of ips
// that calls citizens back through the returned trunk phone (which answers
// as the citizen, with 1000 Hz).
func startCallbackCluster(t *testing.T, ctx context.Context, members int, ips ...string) (*testua.Phone, []*clusterNodeProc) {
	t.Helper()
	trunk := newPhone(t, "trunk")
	trunk.AutoAnswer = 1000
	etcd := etcdtest.Start(t, members)
	yaml := strings.Replace(clusterConfig, `number: "110"`, fmt.Sprintf("number: \"110\"\ncallback: { trunk: %q, offer_when_wait_seconds: 60, retries: 1, retry_after_seconds: 1, ring_seconds: 5 }", trunk.Addr()), 1)
	return trunk, startClusterNodesWith(t, ctx, buildBinary(t), etcd, yaml, ips...)
}

// callBackFrom checks trunk's next INVITE calls citizen back for call id,
// sent from node's SIP socket, which its Via names (answers follow the Via:
// from any other socket they went astray).
func callBackFrom(t *testing.T, ctx context.Context, trunk *testua.Phone, citizen, id string, node *clusterNodeProc) *testua.Incoming {
	t.Helper()
	in, err := trunk.NextIncoming(ctx)
	if err != nil {
		t.Fatalf("no call-back INVITE at the trunk for %s: %v", citizen, err)
	}
	if in.Req.Recipient.User != citizen || in.Req.GetHeader("X-Frontdoor-Call").Value() != id {
		t.Fatalf("call-back INVITE to %s for call %s, want %s for %s", in.Req.Recipient.User, in.Req.GetHeader("X-Frontdoor-Call").Value(), citizen, id)
	}
	if via := in.Req.Via(); in.Req.Source() != node.sip || via == nil || net.JoinHostPort(via.Host, fmt.Sprint(via.Port)) != node.sip {
		t.Fatalf("call-back INVITE from %s (Via %v), want %s at %s", in.Req.Source(), via, node.name, node.sip)
	}
	return in
}

// callBackAfterKill books a callback by citizen on node booked, kills booked
// and checks a survivor (the leader among survivors) calls the citizen back
// once agent is ready, and records it.
func callBackAfterKill(t *testing.T, ctx context.Context, trunk, agent *testua.Phone, booked *clusterNodeProc, citizen string, survivors ...*clusterNodeProc) {
	t.Helper()
	bookCallbackAt(t, ctx, booked.sip, citizen)
	id := waitCall(t, ctx, booked, citizen, "queued", booked.name)
	booked.kill()
	leader := waitLeader(t, ctx, survivors)
	// The lost node's callback waits in the queue again, held by the leader.
	if got := waitCall(t, ctx, leader, citizen, "queued", leader.name); got != id {
		t.Fatalf("%s holds call %s from %s, want the booked callback %s", leader.name, got, citizen, id)
	}
	apiPut(t, survivors[len(survivors)-1].http, "/api/v1/agents/1001/state", `{"state":"ready"}`)
	agentIn, err := agent.NextIncoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := agentIn.Req.GetHeader("X-Frontdoor-Call").Value(); got != id {
		t.Fatalf("agent offered call %s, want the callback %s", got, id)
	}
	in := callBackFrom(t, ctx, trunk, citizen, id, leader)
	if !agentIn.RTP.WaitTone(ctx, 1000) || !in.RTP.WaitTone(ctx, 2000) {
		t.Fatal("the agent and the citizen called back do not hear each other")
	}
	in.Dialog.Bye(ctx)
	waitCDROutcome(t, ctx, leader, id, "answered")
	if cdr := clusterCDRs(t, leader)[id][0]; cdr.Agent != "1001" || cdr.Agency != "tax" {
		t.Fatalf("callback CDR %+v, want tax answered by 1001", cdr)
	}
	// Done everywhere: no node holds the call or its callback any more.
	waitCallGone(t, ctx, id, survivors...)
	if n := trunk.Pending(); n != 0 {
		t.Fatalf("the trunk got %d more call-back INVITEs", n)
	}
	if n := agent.Pending(); n != 0 {
		t.Fatalf("the agent got %d more offers", n)
	}
}

// waitCallGone polls the nodes' calls views until none shows callID.
func waitCallGone(t *testing.T, ctx context.Context, callID string, nodes ...*clusterNodeProc) {
	t.Helper()
	for _, n := range nodes {
		for {
			var list []clusterCallView
			apiGet(t, n.http, "/api/v1/calls", &list)
			found := false
			for _, c := range list {
				found = found || c.ID == callID
			}
			if !found {
				break
			}
			select {
			case <-ctx.Done():
				t.Fatalf("call %s still in %s's view: %+v", callID, n.name, list)
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
}

// A node killed while the citizen it called back hears the intro (the
// callback record is done with, the agent not yet bridged) still leaves the
// call to be recorded: the leader writes its CDR, cut off, and nobody calls
// the citizen again.
func TestClusterCallbackCutOffDuringIntro(t *testing.T) {
	ctx := timeout(t, 120*time.Second)
	trunk, nodes := startCallbackCluster(t, ctx, 1, "127.0.0.2", "127.0.0.3")
	a, b := nodes[0], nodes[1]
	if l := waitLeader(t, ctx, nodes); l != a {
		t.Fatalf("leader %s, want the first node started", l.name)
	}
	agent := agentPhoneOn(t, ctx, a, a)
	const citizen = "01071120003"
	bookCallbackAt(t, ctx, b.sip, citizen)
	id := waitCall(t, ctx, b, citizen, "queued", b.name)
	apiPut(t, a.http, "/api/v1/agents/1001/state", `{"state":"ready"}`)
	if _, err := agent.NextIncoming(ctx); err != nil {
		t.Fatal(err)
	}
	in := callBackFrom(t, ctx, trunk, citizen, id, b)
	if !in.RTP.WaitReceived(ctx, promptFrame(t, "callback-intro")) {
		t.Fatal("the citizen called back does not hear the intro")
	}
	b.kill()
	waitCDROutcome(t, ctx, a, id, "cut_off")
	if n := trunk.Pending(); n != 0 {
		t.Fatalf("the trunk got %d more call-back INVITEs", n)
	}
}

// agentPhoneOn registers agent 1001's phone (answering with 2000 Hz) on node
// and waits until seen shows the agent logged in, not ready.
func agentPhoneOn(t *testing.T, ctx context.Context, node, seen *clusterNodeProc) *testua.Phone {
	t.Helper()
	agent := newPhone(t, "1001")
	agent.AutoAnswer = 2000
	if code, err := agent.Register(ctx, node.sip, "pw1001", 3600); err != nil || code != 200 {
		t.Fatalf("register 1001 on %s: %d %v", node.name, code, err)
	}
	waitAgentState(t, ctx, seen.http, "1001", "not_ready")
	return agent
}
