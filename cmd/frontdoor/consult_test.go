package main

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/internal/testua"
)

// Attended transfer from a desk phone: agent 1001 (tax) talks with the caller,
// calls customs from the phone (a consult call, digest-authenticated), talks with
// agent 1002, then completes with REFER/Replaces: the caller talks with 1002 and
// 1001 leaves both calls.
func TestAttendedTransferWithReplaces(t *testing.T) {
	n := startNode(t, "")
	ctx := timeout(t, 60*time.Second)
	a := n.readyAgent(t, ctx, "1001", func(p *testua.Phone) { p.AutoAnswer = 2000; p.Password = "pw1001" })
	b := n.readyAgent(t, ctx, "1002", func(p *testua.Phone) { p.AutoAnswer = 3000 })
	out := dial(t, ctx, n, "126", nil, 1000, "")
	x, err := a.NextIncoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !out.RTP.WaitTone(ctx, 2000) {
		t.Fatal("caller not connected to 1001")
	}
	// A stranger may not place consult calls.
	stranger := newPhone(t, "9999")
	stranger.Password = "guess"
	if o, err := stranger.Call(ctx, n.SIP, "customs", nil, 0); err == nil || o.Status != 403 {
		t.Fatalf("unauthenticated consult call: status %d, err %v; want 403", o.Status, err)
	}

	consult, err := a.Call(ctx, n.SIP, "customs", nil, 2500)
	if err != nil {
		t.Fatalf("consult call: %v", err)
	}
	y, err := b.NextIncoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !consult.RTP.WaitTone(ctx, 3000) || !y.RTP.WaitTone(ctx, 2500) {
		t.Fatal("1001 and 1002 do not hear each other on the consult call")
	}
	req := consult.Dialog.InviteRequest
	replaces := url.QueryEscape(req.CallID().Value() + ";to-tag=" + tag(consult.Dialog.InviteResponse.To().Params) + ";from-tag=" + tag(req.From().Params))
	if code, err := x.Refer(ctx, "sip:customs@"+n.SIP+"?Replaces="+replaces); err != nil || code != 202 {
		t.Fatalf("REFER with Replaces: %d %v", code, err)
	}
	for done := false; !done; {
		select {
		case f := <-a.Notifies:
			done = strings.Contains(f, "200 OK")
		case <-ctx.Done():
			t.Fatal("no final NOTIFY")
		}
	}
	for _, d := range []<-chan struct{}{x.Done, consult.Done()} {
		waitDone(t, ctx, d, "1001 not released from both calls")
	}
	if !out.RTP.WaitTone(ctx, 3000) || !y.RTP.WaitTone(ctx, 1000) {
		t.Fatal("the caller and 1002 do not hear each other after the transfer")
	}
	out.Hangup(ctx)
	cdrs := n.waitCDRs(t, ctx, 2)
	var first, second cdrView
	for _, c := range cdrs {
		if c.Agent == "1001" {
			first = c
		} else {
			second = c
		}
	}
	if first.Outcome != "answered" || first.TransferredTo != "customs" || second.Agent != "1002" || second.Agency != "customs" || second.Outcome != "answered" {
		t.Fatalf("CDRs %+v", cdrs)
	}
}

func tag(p interface{ Get(string) (string, bool) }) string {
	v, _ := p.Get("tag")
	return v
}
