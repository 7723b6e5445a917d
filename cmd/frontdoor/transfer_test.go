package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/internal/testua"
)

// A tax agent blind-transfers a caller to customs by REFER: 202, NOTIFY 200 before the agent's leg ends, the caller hears hold music
// and then the customs agent, whose INVITE says where the call came from; each
// leg has its CDR.
func TestBlindTransferByREFER(t *testing.T) {
	n := startNode(t, "")
	ctx := timeout(t, 60*time.Second)
	taxAgent := n.readyAgent(t, ctx, "1001", func(p *testua.Phone) { p.AutoAnswer = 2000 })
	out := dial(t, ctx, n, "126", nil, 1000, "")
	first, err := taxAgent.NextIncoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !out.RTP.WaitTone(ctx, 2000) {
		t.Fatal("caller not connected to the tax agent")
	}
	customsAgent := n.readyAgent(t, ctx, "1002", func(p *testua.Phone) { p.AutoAnswer = 3000 })

	host := n.SIP
	if code, err := first.Refer(ctx, "sip:nowhere@"+host); err != nil || code != 404 {
		t.Fatalf("REFER to an unknown agency: %d %v, want 404", code, err)
	}
	if code, err := first.Refer(ctx, "sip:customs@"+host); err != nil || code != 202 {
		t.Fatalf("REFER: %d %v, want 202", code, err)
	}
	var frags []string
	for len(frags) == 0 || !strings.Contains(frags[len(frags)-1], "200 OK") {
		select {
		case f := <-taxAgent.Notifies:
			frags = append(frags, f)
		case <-ctx.Done():
			t.Fatalf("no final NOTIFY; got %q", frags)
		}
	}
	waitDone(t, ctx, first.Done, "tax agent's leg not ended after the transfer")
	second, err := customsAgent.NextIncoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := second.Req.GetHeader("X-Frontdoor-Transferred-From"); got == nil || got.Value() != "tax/1001" {
		t.Errorf("X-Frontdoor-Transferred-From = %v, want tax/1001", got)
	}
	if got := second.Req.GetHeader("X-Frontdoor-Agency"); got == nil || got.Value() != "customs" {
		t.Errorf("agency %v", got)
	}
	if !out.RTP.WaitTone(ctx, 3000) {
		t.Fatal("caller never reached the customs agent")
	}
	out.Hangup(ctx)
	n.waitAgent(t, ctx, "1002", "ready")
	legs := n.waitCDRs(t, ctx, 2)
	if legs[0].Agency != "tax" || legs[0].Agent != "1001" || legs[0].Outcome != "answered" || legs[0].TransferredTo != "customs" {
		t.Errorf("first leg %+v", legs[0])
	}
	if legs[1].Agency != "customs" || legs[1].Agent != "1002" || legs[1].Outcome != "answered" || legs[1].CallID != legs[0].CallID {
		t.Errorf("second leg %+v", legs[1])
	}
}

// The same blind transfer through the API (the softphone's transfer button):
// another agent may not transfer the call; its own agent may.
func TestBlindTransferByAPI(t *testing.T) {
	n := startNode(t, "")
	ctx := timeout(t, 60*time.Second)
	tax := n.readyAgent(t, ctx, "1001", func(p *testua.Phone) { p.AutoAnswer = 2000 })
	out := dial(t, ctx, n, "126", nil, 1000, "")
	in, err := tax.NextIncoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !out.RTP.WaitTone(ctx, 2000) {
		t.Fatal("not connected")
	}
	customs := n.readyAgent(t, ctx, "1002", func(p *testua.Phone) { p.AutoAnswer = 3000 })
	callID := in.Req.GetHeader("X-Frontdoor-Call").Value()
	post := func(who, to string, want int) {
		t.Helper()
		req, _ := http.NewRequest("POST", n.HTTP+"/api/v1/calls/"+callID+"/transfer", strings.NewReader(`{"to":"`+to+`"}`))
		req.Header.Set("Authorization", "Bearer "+n.login(t, who))
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Fatalf("%s transfers to %s: HTTP %d, want %d", who, to, res.StatusCode, want)
		}
	}
	post("1002", "customs", 403) // not 1002's call
	post("1001", "nowhere", 404)
	post("1001", "125", 202) // customs by its legacy number
	if _, err := customs.NextIncoming(ctx); err != nil {
		t.Fatal(err)
	}
	if !out.RTP.WaitTone(ctx, 3000) {
		t.Fatal("caller not connected to customs")
	}
}
