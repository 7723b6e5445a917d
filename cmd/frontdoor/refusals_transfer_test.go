package main

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/frontdoor-project/frontdoor/internal/testua"
)

// What transfers, consult calls, re-INVITEs, coaching and the transfer API
// refuse, and how.
func TestTransferAndCoachRefusals(t *testing.T) {
	n := startNode(t, "")
	ctx := timeout(t, 60*time.Second)
	host, portStr, _ := strings.Cut(n.SIP, ":")
	port, _ := strconv.Atoi(portStr)
	front := sip.Uri{Scheme: "sip", User: "110", Host: host, Port: port}
	p := newPhone(t, "01033334444")

	// Out of any dialog: REFER and a re-INVITE (To tag) are 481.
	refer := sip.NewRequest(sip.REFER, front)
	refer.AppendHeader(sip.NewHeader("Refer-To", "<sip:customs@"+n.SIP+">"))
	if res, err := p.Request(ctx, refer); err != nil || res.StatusCode != 481 {
		t.Fatalf("REFER outside a call: %v %v, want 481", res, err)
	}
	reinvite := sip.NewRequest(sip.INVITE, front)
	to := &sip.ToHeader{Address: front, Params: sip.NewParams()}
	to.Params.Add("tag", "nosuchdialog")
	reinvite.AppendHeader(to)
	reinvite.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	reinvite.SetBody(testua.Offer(40020))
	if res, err := p.Request(ctx, reinvite); err != nil || res.StatusCode != 481 {
		t.Fatalf("re-INVITE for no dialog: %v %v, want 481", res, err)
	}

	// Consult calls need an agent's credentials: none gets a 407 challenge,
	// unreadable ones 400.
	if code, err := p.CallRaw(ctx, n.SIP, "customs", "application/sdp", testua.Offer(40022)); err != nil || code != 407 {
		t.Fatalf("consult INVITE without credentials: %d %v, want 407", code, err)
	}
	bad := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "customs", Host: host, Port: port})
	bad.AppendHeader(sip.NewHeader("Proxy-Authorization", "Digest nonsense"))
	bad.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	bad.SetBody(testua.Offer(40024))
	if res, err := p.Request(ctx, bad); err != nil || res.StatusCode != 400 {
		t.Fatalf("consult INVITE with garbage credentials: %v %v, want 400", res, err)
	}

	// In an agent's call: REFER without Refer-To, or naming no target (a URI
	// without a user), is 400; a Replaces naming no call is 481; the call goes
	// on. (A Refer-To that is no URI at all never reaches us: sipgo's parser
	// drops the message, which RFC 4475 allows for unparsable requests.)
	agent := n.readyAgent(t, ctx, "1001", func(p *testua.Phone) { p.AutoAnswer = 2000 })
	out := dial(t, ctx, n, "126", nil, 1000, "")
	x, err := agent.NextIncoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !out.RTP.WaitTone(ctx, 2000) {
		t.Fatal("not connected")
	}
	noTarget := sip.NewRequest(sip.REFER, x.Req.Contact().Address)
	if res, err := x.Dialog.Do(ctx, noTarget); err != nil || res.StatusCode != 400 {
		t.Fatalf("REFER without Refer-To: %v %v, want 400", res, err)
	}
	if code, err := x.Refer(ctx, "sip:"+n.SIP); code != 400 {
		t.Fatalf("REFER naming no target: %d %v, want 400", code, err)
	}
	if code, _ := x.Refer(ctx, "sip:customs@"+n.SIP+"?Replaces=nosuchcall%3Bto-tag%3D1%3Bfrom-tag%3D2"); code != 481 {
		t.Fatalf("REFER with Replaces naming no call: %d, want 481", code)
	}
	if !out.RTP.WaitTone(ctx, 2000) || !x.RTP.WaitTone(ctx, 1000) {
		t.Fatal("the call broke after refused REFERs")
	}

	// The API: a call that waits cannot be transferred or coached (409); the
	// admin token has no phone to ring for coaching (403).
	waiting := dial(t, ctx, n, "125", nil, 0, "") // customs: nobody there
	c := n.waitCallState(t, ctx, "queued")
	post := func(path, body, auth string, want int) {
		t.Helper()
		req, _ := http.NewRequest("POST", n.HTTP+path, strings.NewReader(body))
		req.Header.Set("Authorization", auth)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Fatalf("POST %s: %d, want %d", path, res.StatusCode, want)
		}
	}
	post("/api/v1/calls/"+c.ID+"/transfer", `{"to":"tax","mode":"listen"}`, "Bearer test-admin-token", 400) // unknown field
	post("/api/v1/calls/"+c.ID+"/transfer", `{"to":"tax"}`, "Bearer test-admin-token", 409)
	post("/api/v1/calls/"+c.ID+"/coach", `{"mode":"listen"}`, "Bearer test-admin-token", 403)
	post("/api/v1/calls/"+c.ID+"/coach", `{"mode":"listen"}`, "Bearer "+n.login(t, "2001"), 409)
	waiting.Hangup(ctx)
}
