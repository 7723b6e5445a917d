package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/cluster/etcdtest"
)

// actionAnswer is an API answer to an action on a call.
type actionAnswer struct {
	status     int
	code       string // the error body's code
	retryAfter string
}

// callAction POSTs body to /api/v1/calls/{id}/{action} on base with token.
func callAction(t *testing.T, base, callID, action, body, token string) actionAnswer {
	t.Helper()
	got, err := postAction(base, callID, action, body, token)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// postAction is callAction for a goroutine of the test.
func postAction(base, callID, action, body, token string) (actionAnswer, error) {
	req, _ := http.NewRequest("POST", base+"/api/v1/calls/"+callID+"/"+action, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return actionAnswer{}, fmt.Errorf("POST %s %s: %w", action, callID, err)
	}
	defer res.Body.Close()
	var e struct{ Error string }
	json.NewDecoder(res.Body).Decode(&e)
	return actionAnswer{status: res.StatusCode, code: e.Error, retryAfter: res.Header.Get("Retry-After")}, nil
}

// A caller on node A talks to agent 1003, whose browser softphone is on node
// B. Holding is B's alone (the softphone's leg). The agent presses transfer on
// B (its session is B's): B forwards it to A through etcd, the caller reaches
// customs agent 1002 and they hear each other, the browser leg on B ends.
// Another agent may not transfer the call from B (403); an unknown agency is
// 404, as on one node. The customs agent's phone REFERs the call back to tax
// (its dialog is with node A). Once node A is killed, a transfer asked on B
// says the call's node is unavailable (503, owner_unavailable, Retry-After),
// and once the cluster has ended A's calls, the call is unknown (404).
func TestClusterTransferFromAnotherNode(t *testing.T) {
	ctx := timeout(t, 90*time.Second)
	etcd := etcdtest.Start(t, 3)
	nodes := startClusterNodes(t, ctx, buildBinary(t), etcd, "127.0.0.2", "127.0.0.3")
	a, b := nodes[0], nodes[1]

	customs := clusterAgent(t, ctx, "1002", 3000, b, a)
	page := clusterSoftphone(t, ctx, "1003", 2000, b, a)

	x := dialCluster(t, ctx, "01071120001", 1000, a, "126", "ringing", a)
	acceptOn(t, ctx, page, x.id)
	if !page.WaitTone(ctx, 1000) || !x.out.RTP.WaitTone(ctx, 2000) {
		t.Fatal("no two-way audio between the caller on node A and the softphone on node B")
	}
	waitCall(t, ctx, b, x.user, "connected", a.name)

	// Hold is the softphone's own leg on node B: nothing to forward.
	page.Send(ctx, map[string]any{"type": "hold", "on": true})
	if _, err := page.Next(ctx, "hold"); err != nil {
		t.Fatal(err)
	}
	for x.out.RTP.Hears(2000) {
		if !x.out.RTP.WaitAudio(ctx, x.out.RTP.Packets()+1) {
			t.Fatal("the caller on node A still hears the agent on hold on node B")
		}
	}
	page.Send(ctx, map[string]any{"type": "hold", "on": false})
	if !x.out.RTP.WaitTone(ctx, 2000) {
		t.Fatal("the caller does not hear the agent after hold")
	}

	agentB := loginAt(t, b.http, "1003")
	if got := callAction(t, b.http, x.id, "transfer", `{"to":"customs"}`, loginAt(t, b.http, "1002")); got.status != 403 {
		t.Fatalf("agent 1002 transfers 1003's call on node B: %+v, want 403", got)
	}
	if got := callAction(t, b.http, x.id, "transfer", `{"to":"nowhere"}`, agentB); got.status != 404 || got.code != "unknown_agency" {
		t.Fatalf("transfer to no agency on node B: %+v, want 404 unknown_agency", got)
	}
	if got := callAction(t, b.http, x.id, "transfer", `{"to":"customs"}`, agentB); got.status != 202 {
		t.Fatalf("agent 1003 transfers its call on node B: %+v, want 202", got)
	}
	if _, err := page.Next(ctx, "ended"); err != nil {
		t.Fatalf("the softphone's leg on node B outlived the transfer: %v", err)
	}
	in, err := customs.NextIncoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := in.Req.GetHeader("X-Frontdoor-Transferred-From"); got == nil || got.Value() != "tax/1003" {
		t.Errorf("X-Frontdoor-Transferred-From = %v, want tax/1003", got)
	}
	hearBoth(t, ctx, in, x, 3000)

	// A desk phone's REFER is in its dialog with node A, which holds the call:
	// nothing to forward. Back to tax, to the softphone on node B.
	if code, err := in.Refer(ctx, "sip:tax@"+a.sip); err != nil || code != 202 {
		t.Fatalf("REFER from customs agent 1002's phone to node A: %d %v, want 202", code, err)
	}
	acceptOn(t, ctx, page, x.id)
	if !page.WaitTone(ctx, 1000) || !x.out.RTP.WaitTone(ctx, 2000) {
		t.Fatal("after the REFER back to tax: no two-way audio between the caller and the softphone on node B")
	}
	waitCall(t, ctx, b, x.user, "connected", a.name)

	a.kill()
	got := callAction(t, b.http, x.id, "transfer", `{"to":"customs"}`, agentB)
	if got.status != 503 || got.code != "owner_unavailable" || got.retryAfter == "" {
		t.Fatalf("transfer on node B of a call on killed node A: %+v, want 503 owner_unavailable with Retry-After", got)
	}
	for {
		got = callAction(t, b.http, x.id, "transfer", `{"to":"tax"}`, "test-admin-token")
		if got.status == 404 && got.code == "unknown_call" {
			break
		}
		if got.status != 503 {
			t.Fatalf("transfer of a call whose node died: %+v, want 503 until the cluster ends it, then 404", got)
		}
		select {
		case <-ctx.Done():
			t.Fatal("the call of killed node A never ended in node B's view")
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// A supervisor logged in on node C coaches a call held on node A (caller 1
// kHz, agent 2 kHz, supervisor 3 kHz): node A rings the supervisor's SIP
// phone, which hears both sides; whispering, the agent hears it and the
// caller does not. An agent may not coach (403); an unknown call is 404.
// Then the same supervisor's browser softphone on node B whispers.
func TestClusterCoachFromAnotherNode(t *testing.T) {
	ctx := timeout(t, 90*time.Second)
	etcd := etcdtest.Start(t, 3)
	nodes := startClusterNodes(t, ctx, buildBinary(t), etcd, "127.0.0.2", "127.0.0.3", "127.0.0.4")
	a, b, c := nodes[0], nodes[1], nodes[2]

	agent := clusterAgent(t, ctx, "1001", 2000, a, c)
	sup := newPhone(t, "2001")
	sup.AutoAnswer = 3000
	if code, err := sup.Register(ctx, c.sip, "pw2001", 300); err != nil || code != 200 {
		t.Fatalf("supervisor phone on node C: %d %v", code, err)
	}
	x := dialCluster(t, ctx, "01071120002", 1000, a, "126", "ringing|connected", a)
	in := answered(t, ctx, agent, x)
	waitCall(t, ctx, c, x.user, "connected", a.name)

	if got := callAction(t, c.http, x.id, "coach", `{"mode":"listen"}`, loginAt(t, c.http, "1001")); got.status != 403 {
		t.Fatalf("agent coaches on node C: %+v, want 403", got)
	}
	token := loginAt(t, c.http, "2001")
	if got := callAction(t, c.http, "no-such-call", "coach", `{"mode":"listen"}`, token); got.status != 404 || got.code != "unknown_call" {
		t.Fatalf("coach an unknown call on node C: %+v, want 404 unknown_call", got)
	}
	if got := callAction(t, c.http, x.id, "coach", `{"mode":"shout"}`, token); got.status != 400 || got.code != "bad_mode" {
		t.Fatalf("coach mode shout on node C: %+v, want 400 bad_mode (node A's answer)", got)
	}
	if got := callAction(t, c.http, x.id, "coach", `{"mode":"listen"}`, token); got.status != 202 {
		t.Fatalf("coach listen on node C: %+v, want 202", got)
	}
	s, err := sup.NextIncoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !s.RTP.WaitShare(ctx, 1000, 0.2) || !s.RTP.WaitShare(ctx, 2000, 0.2) {
		t.Fatalf("listening supervisor hears 1 kHz %.2f, 2 kHz %.2f", s.RTP.Share(1000), s.RTP.Share(2000))
	}
	if in.RTP.Share(3000) > 0.02 || x.out.RTP.Share(3000) > 0.02 {
		t.Fatal("someone hears a listening supervisor")
	}
	if got := callAction(t, c.http, x.id, "coach", `{"mode":"whisper"}`, token); got.status != 202 {
		t.Fatalf("coach whisper on node C: %+v, want 202", got)
	}
	if !in.RTP.WaitShare(ctx, 3000, 0.2) {
		t.Fatal("the agent does not hear the whisper")
	}
	for range 25 { // a second of the caller's audio, packet by packet
		if x.out.RTP.Share(3000) > 0.02 {
			t.Fatal("the caller hears the whisper")
		}
		x.out.RTP.WaitAudio(ctx, x.out.RTP.Packets()+2)
	}
	s.Dialog.Bye(ctx)
	if !x.out.RTP.WaitTone(ctx, 2000) || !in.RTP.WaitTone(ctx, 1000) {
		t.Fatal("caller and agent not re-bridged after the supervisor left")
	}

	// The supervisor now works in the browser, on node B (the SIP phone is
	// gone): node A reaches its softphone node to node, as it reaches agents'.
	if code, err := sup.Register(ctx, c.sip, "pw2001", 0); err != nil || code != 200 {
		t.Fatalf("supervisor phone unregisters: %d %v", code, err)
	}
	page := openSoftphone(t, ctx, b.http, "2001", 3000)
	waitAgentState(t, ctx, a.http, "2001", "not_ready")
	supB := loginAt(t, b.http, "2001")
	coached := make(chan actionAnswer, 1)
	go func() { // coaching answers once the supervisor has answered
		got, err := postAction(b.http, x.id, "coach", `{"mode":"whisper"}`, supB)
		if err != nil {
			got.code = err.Error()
		}
		coached <- got
	}()
	acceptOn(t, ctx, page, x.id)
	if got := <-coached; got.status != 202 {
		t.Fatalf("browser supervisor on node B coaches: %+v, want 202", got)
	}
	if !in.RTP.WaitShare(ctx, 3000, 0.2) || !page.WaitTone(ctx, 0) {
		t.Fatalf("browser supervisor's whisper: the agent hears 3 kHz %.2f", in.RTP.Share(3000))
	}
	if x.out.RTP.Share(3000) > 0.02 {
		t.Fatal("the caller hears the browser supervisor's whisper")
	}
}
