package main

import (
	"context"
	"errors"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	sipmsg "github.com/emiago/sipgo/sip"

	"github.com/frontdoor-project/frontdoor/cluster/etcdtest"
	"github.com/frontdoor-project/frontdoor/webrtc/webrtctest"
)

// A SIP caller on node A reaches agent 1003, whose browser softphone (a
// Go WebRTC page) is connected to node B: A INVITEs B node to node
// (X-Frontdoor-Deliver), B rings the softphone with the screen pop, the
// agent answers, tones flow both ways over caller-A-B-browser, the caller's
// hang-up ends the browser leg, and the CDR says answered by 1003. A
// delivery INVITE from a source that is no node gets 403.
func TestClusterBrowserAgentOnAnotherNode(t *testing.T) {
	ctx := timeout(t, 60*time.Second)
	etcd := etcdtest.Start(t, 3)
	bin := buildBinary(t)
	nodes := startClusterNodes(t, ctx, bin, etcd, "127.0.0.2", "127.0.0.3")
	a, b := nodes[0], nodes[1]

	page := clusterSoftphone(t, ctx, "1003", 2000, b, a)

	x := dialCluster(t, ctx, "01071110031", 1000, a, "126", "ringing", a)
	inc := acceptOn(t, ctx, page, x.id)
	if inc.Agency != "tax" || inc.Waited == nil || inc.Verified == nil || *inc.Verified {
		t.Fatalf("screen pop on node B: %+v, want call %s for tax, unverified, with its wait", inc, x.id)
	}
	if !page.WaitTone(ctx, 1000) {
		t.Fatal("the browser agent on node B never heard the caller's 1 kHz tone from node A")
	}
	if !x.out.RTP.WaitTone(ctx, 2000) {
		t.Fatal("the caller on node A never heard the browser agent's 2 kHz tone")
	}
	waitCall(t, ctx, b, x.user, "connected", a.name)

	x.out.Hangup(ctx)
	if _, err := page.Next(ctx, "ended"); err != nil {
		t.Fatalf("the browser leg outlived the caller's hang-up: %v", err)
	}
	waitCDROutcome(t, ctx, b, x.id, "answered")
	if cdr := clusterCDRs(t, a)[x.id][0]; cdr.Agent != "1003" || cdr.Agency != "tax" {
		t.Fatalf("CDR %+v, want tax answered by 1003", cdr)
	}

	// The agent's hang-up on node B ends the caller's dialog on node A.
	waitAgentState(t, ctx, a.http, "1003", "ready") // wrap-up is 0 s
	y := dialCluster(t, ctx, "01071110033", 1100, a, "126", "ringing", a)
	inc = acceptOn(t, ctx, page, y.id)
	if !y.out.RTP.WaitTone(ctx, 2000) || !page.WaitTone(ctx, 1100) {
		t.Fatal("second call: no two-way audio between node A's caller and node B's softphone")
	}
	page.Send(ctx, map[string]string{"type": "hangup"})
	if _, err := page.Next(ctx, "ended"); err != nil {
		t.Fatal(err)
	}
	waitDone(t, ctx, y.out.Done(), "the caller's dialog on node A outlived the agent's hang-up on node B")
	waitCDROutcome(t, ctx, a, y.id, "answered")

	// A reject on node B is node A's ring-no-answer: the agent is made not ready (rona).
	waitAgentState(t, ctx, a.http, "1003", "ready")
	dialCluster(t, ctx, "01071110034", 1200, a, "126", "ringing", a)
	inc, err := page.Next(ctx, "incoming")
	if err != nil {
		t.Fatal(err)
	}
	page.Send(ctx, map[string]string{"type": "reject", "call_id": inc.CallID})
	if _, err := page.Next(ctx, "withdrawn"); err != nil {
		t.Fatal(err)
	}
	waitAgentState(t, ctx, a.http, "1003", "not_ready")
	var agentsOnA []agentView
	apiGet(t, a.http, "/api/v1/agents", &agentsOnA)
	for _, ag := range agentsOnA {
		if ag.ID == "1003" && ag.Reason != "rona" {
			t.Fatalf("after a reject on node B, node A has 1003 not ready for %q, want rona", ag.Reason)
		}
	}

	// Only nodes deliver: the same INVITE from 127.0.0.1 is refused.
	p := newPhone(t, "01071110032")
	req := sipmsg.NewRequest(sipmsg.INVITE, sipmsg.Uri{Scheme: "sip", User: "1003", Host: b.ip, Port: b.sipPort(t)})
	req.AppendHeader(sipmsg.NewHeader("X-Frontdoor-Deliver", "1003"))
	req.AppendHeader(sipmsg.NewHeader("X-Frontdoor-Call", "forged"))
	req.AppendHeader(sipmsg.NewHeader("Content-Type", "application/sdp"))
	req.SetBody([]byte("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"))
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	res, err := p.Request(rctx, req)
	var re *sipgo.ErrDialogResponse
	if errors.As(err, &re) {
		res, err = re.Res, nil
	}
	if err != nil || res.StatusCode != 403 {
		t.Fatalf("delivery INVITE from 127.0.0.1: %v %v, want 403", res, err)
	}
}

// clusterSoftphone connects agent id's softphone (a Go WebRTC page sending
// tone freq) to node on, and makes the agent ready as seen from node via.
func clusterSoftphone(t *testing.T, ctx context.Context, id string, freq float64, on, via *clusterNodeProc) *webrtctest.Page {
	t.Helper()
	page := openSoftphone(t, ctx, on.http, id, freq)
	waitAgentState(t, ctx, via.http, id, "not_ready") // via sees the softphone on node on
	apiPut(t, via.http, "/api/v1/agents/"+id+"/state", `{"state":"ready"}`)
	waitAgentState(t, ctx, on.http, id, "ready")
	return page
}

// sipPort is the node's SIP port.
func (n *clusterNodeProc) sipPort(t *testing.T) int {
	_, port, err := net.SplitHostPort(n.sip)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	return p
}

// acceptOn waits for the softphone's next offer, checks it is callID's,
// accepts it and waits until it is connected.
func acceptOn(t *testing.T, ctx context.Context, page *webrtctest.Page, callID string) webrtctest.Msg {
	t.Helper()
	inc, err := page.Next(ctx, "incoming")
	if err != nil {
		t.Fatal(err)
	}
	if inc.CallID != callID {
		t.Fatalf("softphone offered %s, want %s", inc.CallID, callID)
	}
	if err := page.Send(ctx, map[string]string{"type": "accept", "call_id": inc.CallID}); err != nil {
		t.Fatal(err)
	}
	if _, err := page.Next(ctx, "connected"); err != nil {
		t.Fatal(err)
	}
	return inc
}
