package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/internal/testua"
	"github.com/frontdoor-project/frontdoor/webrtc/webrtctest"
)

// login signs an agent in through the API and returns its token.
func (n *testNode) login(t *testing.T, id string) string { return loginAt(t, n.HTTP, id) }

// loginAt signs agent id in through base's API and returns its token.
func loginAt(t *testing.T, base, id string) string {
	t.Helper()
	var out struct{ Token string }
	req, _ := http.NewRequest("POST", base+"/api/v1/login", strings.NewReader(`{"id":"`+id+`","password":"pw`+id+`"}`))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || json.NewDecoder(res.Body).Decode(&out) != nil || out.Token == "" {
		t.Fatalf("login %s: HTTP %d", id, res.StatusCode)
	}
	return out.Token
}

// softphone opens agent id's softphone socket (a page in Go) sending freq
// as its microphone, and makes the agent ready.
func (n *testNode) softphone(t *testing.T, ctx context.Context, id string, freq float64) *webrtctest.Page {
	t.Helper()
	page := openSoftphone(t, ctx, n.HTTP, id, freq)
	n.waitAgent(t, ctx, id, "not_ready")
	n.setReady(t, id)
	return page
}

// openSoftphone logs agent id in on base and opens its softphone socket,
// sending freq, until the server's hello.
func openSoftphone(t *testing.T, ctx context.Context, base, id string, freq float64) *webrtctest.Page {
	t.Helper()
	page, err := webrtctest.Dial(ctx, base, "/api/v1/ws/agent", loginAt(t, base, id))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(page.Close)
	page.Tone = freq
	if _, err := page.Next(ctx, "hello"); err != nil {
		t.Fatal(err)
	}
	return page
}

// A phone calls an agency's number; the agent works in the browser: the
// softphone rings with the call's agency and wait, the agent answers, each
// side hears the other's tone, hold gives the caller music instead of the
// agent, and the agent's hang-up ends the SIP dialog.
func TestSIPCallerReachesBrowserAgent(t *testing.T) {
	n := startNode(t, "")
	ctx := timeout(t, 60*time.Second)
	page := n.softphone(t, ctx, "1001", 2000)

	out := dial(t, ctx, n, "126", nil, 1000, "") // tax, no menu
	inc, err := page.Next(ctx, "incoming")
	if err != nil {
		t.Fatal(err)
	}
	if inc.Agency != "tax" || inc.CallID == "" || inc.Waited == nil || inc.Verified == nil || *inc.Verified {
		t.Fatalf("incoming call %+v", inc)
	}
	if err := page.Send(ctx, map[string]string{"type": "accept", "call_id": inc.CallID}); err != nil {
		t.Fatal(err)
	}
	if _, err := page.Next(ctx, "connected"); err != nil {
		t.Fatal(err)
	}
	if !page.WaitTone(ctx, 1000) {
		t.Fatal("the browser agent never heard the caller's 1 kHz tone")
	}
	if !out.RTP.WaitTone(ctx, 2000) {
		t.Fatal("the caller never heard the browser agent's 2 kHz tone")
	}
	n.waitAgent(t, ctx, "1001", "busy")

	// Hold: the caller stops hearing the agent (music instead), then hears it again.
	on, off := true, false
	page.Send(ctx, map[string]any{"type": "hold", "on": on})
	if _, err := page.Next(ctx, "hold"); err != nil {
		t.Fatal(err)
	}
	for out.RTP.Hears(2000) {
		if !out.RTP.WaitAudio(ctx, out.RTP.Packets()+1) {
			t.Fatal("the caller still hears the agent on hold")
		}
	}
	page.Send(ctx, map[string]any{"type": "hold", "on": off})
	if !out.RTP.WaitTone(ctx, 2000) {
		t.Fatal("the caller does not hear the agent after hold")
	}

	page.Send(ctx, map[string]string{"type": "hangup"})
	if _, err := page.Next(ctx, "ended"); err != nil {
		t.Fatal(err)
	}
	waitDone(t, ctx, out.Done(), "the caller's dialog outlived the agent's hang-up")
	if cdr := n.waitCDR(t, ctx, inc.CallID); cdr.Outcome != "answered" || cdr.Agent != "1001" || cdr.Agency != "tax" {
		t.Fatalf("CDR %+v", cdr)
	}
}

// A citizen calls from the web page, picks tax on the keypad (RFC 4733
// events over WebRTC) and talks to an agent on a SIP phone.
func TestBrowserCallerReachesSIPAgent(t *testing.T) {
	n := startNode(t, "")
	ctx := timeout(t, 60*time.Second)
	agent := n.readyAgent(t, ctx, "1001", func(p *testua.Phone) { p.AutoAnswer = 2000 })

	page, err := webrtctest.Dial(ctx, n.HTTP, "/api/v1/ws/call", "")
	if err != nil {
		t.Fatal(err)
	}
	defer page.Close()
	page.Tone = 1000
	if _, err := page.Next(ctx, "hello"); err != nil {
		t.Fatal(err)
	}
	page.Send(ctx, map[string]string{"type": "call"})
	st, err := page.Next(ctx, "call")
	if err != nil {
		t.Fatal(err)
	}
	if st.State != "ivr" {
		t.Fatalf("first call state %+v", st)
	}
	if !page.WaitTone(ctx, 0) {
		t.Fatal("no IVR audio in the browser")
	}
	if err := page.PressKey('1'); err != nil {
		t.Fatal(err)
	}
	in, err := agent.NextIncoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := in.Req.GetHeader("X-Frontdoor-Agency"); got == nil || got.Value() != "tax" {
		t.Fatalf("agency header %v", got)
	}
	if !in.RTP.WaitTone(ctx, 1000) {
		t.Fatal("the SIP agent never heard the browser caller's tone")
	}
	if !page.WaitTone(ctx, 2000) {
		t.Fatal("the browser caller never heard the SIP agent's tone")
	}
	page.Send(ctx, map[string]string{"type": "hangup"})
	if ended, err := page.Next(ctx, "ended"); err != nil || ended.Reason != "answered" {
		t.Fatalf("ended %+v: %v", ended, err)
	}
	waitDone(t, ctx, in.Done, "the SIP agent was not hung up")
}

// What the signalling sockets refuse, and how each refusal reads.
func TestBrowserEdgeRefusals(t *testing.T) {
	n := startNode(t, "")
	ctx := timeout(t, 30*time.Second)

	// The softphone socket needs a signed-in agent: no token is 401, the
	// admin token (nobody's phone) 403.
	for token, want := range map[string]string{"": "HTTP 401", "test-admin-token": "HTTP 403"} {
		if _, err := webrtctest.Dial(ctx, n.HTTP, "/api/v1/ws/agent", token); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("softphone socket with token %q: %v, want %s", token, err, want)
		}
	}

	page, err := webrtctest.Dial(ctx, n.HTTP, "/api/v1/ws/call", "")
	if err != nil {
		t.Fatal(err)
	}
	defer page.Close()
	if _, err := page.Next(ctx, "hello"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		send any
		code string
	}{
		{"not json", "bad_message"},
		{map[string]string{"type": "dance"}, "unknown_type"},
		{map[string]string{"type": "call", "agency": "nope"}, "unknown_agency"},
		{map[string]string{"type": "verify"}, "identity_off"}, // identity: { mode: off }
		{map[string]string{"type": "answer", "sdp": "v=0"}, "no_call"},
	} {
		if s, ok := c.send.(string); ok {
			page.SendRaw(ctx, s)
		} else {
			page.Send(ctx, c.send)
		}
		m, _ := page.Next(ctx, "error")
		if m.Error != c.code || m.Detail == "" {
			t.Errorf("sent %v: error %q (%q), want %q with a detail", c.send, m.Error, m.Detail, c.code)
		}
	}
}

// A reload keeps the agent logged in and its state; a second page takes
// over from the first; a softphone gone for longer than the grace period
// logs its agent out.
func TestSoftphoneReloadAndLogout(t *testing.T) {
	n := startNode(t, "")
	ctx := timeout(t, 40*time.Second)
	page := n.softphone(t, ctx, "1001", 0)
	page.Close() // reload: the old page goes, the new one comes
	again, err := webrtctest.Dial(ctx, n.HTTP, "/api/v1/ws/agent", n.login(t, "1001"))
	if err != nil {
		t.Fatal(err)
	}
	if m, err := again.Next(ctx, "agent"); err != nil || m.Agent == nil || m.Agent.State != "ready" {
		t.Fatalf("after a reload the agent is %+v (%v), want still ready", m.Agent, err)
	}
	// A second page takes over; the first is told it was replaced (its socket closes).
	third, err := webrtctest.Dial(ctx, n.HTTP, "/api/v1/ws/agent", n.login(t, "1001"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := again.Next(ctx, "never"); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("the replaced page: %v", err)
	}
	third.Close()
	n.waitAgent(t, ctx, "1001", "logged_out") // after the grace period
}

// Rejecting on the softphone counts as a refused offer: the agent goes
// not ready (rona) and the call stays queued.
func TestSoftphoneRejectIsRONA(t *testing.T) {
	n := startNode(t, "")
	ctx := timeout(t, 30*time.Second)
	page := n.softphone(t, ctx, "1001", 0)
	dial(t, ctx, n, "126", nil, 1000, "")
	inc, err := page.Next(ctx, "incoming")
	if err != nil {
		t.Fatal(err)
	}
	page.Send(ctx, map[string]string{"type": "reject", "call_id": inc.CallID})
	if _, err := page.Next(ctx, "withdrawn"); err != nil {
		t.Fatal(err)
	}
	if a := n.waitAgent(t, ctx, "1001", "not_ready"); a.Reason != "rona" {
		t.Fatalf("after a reject the agent is not ready for %q, want rona", a.Reason)
	}
}

// The caller page's digital-ID check: each verify opens a session whose
// code a wallet can look up; a page may open five, the sixth is refused.
func TestWebVerificationSessions(t *testing.T) {
	n := startNode(t, identityConfig(t, "offer"))
	ctx := timeout(t, 30*time.Second)
	page, err := webrtctest.Dial(ctx, n.HTTP, "/api/v1/ws/call", "")
	if err != nil {
		t.Fatal(err)
	}
	defer page.Close()
	if _, err := page.Next(ctx, "hello"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		page.Send(ctx, map[string]string{"type": "verify"})
		v, err := page.Next(ctx, "verification")
		if err != nil {
			t.Fatal(err)
		}
		var sess struct{ ID, Nonce string }
		if code := n.api(t, "GET", "/api/v1/identity/codes/"+v.Code, nil, &sess); code != 200 || sess.Nonce == "" {
			t.Fatalf("code %q shown on the page: HTTP %d %+v", v.Code, code, sess)
		}
		if v.WalletURL != "" || v.QR != "" {
			t.Fatalf("OpenID4VP is off but the page got a wallet link: %+v", v)
		}
	}
	page.Send(ctx, map[string]string{"type": "verify"})
	if m, _ := page.Next(ctx, "error"); m.Error != "too_many_verifications" {
		t.Fatalf("sixth verify: %+v", m)
	}
}

// The softphone's page drops mid-call (network, crash): the caller is hung
// up rather than left talking to nobody, and the page that comes back finds
// its agent in wrap-up with the time it ends, for the countdown.
func TestSoftphoneDropEndsCallThenWrapup(t *testing.T) {
	rtpBase += 100
	yaml := strings.Replace(fmt.Sprintf(testConfig, freeSIPPort(t), rtpBase, rtpBase+99),
		`numbers: ["126"], queue: { ring_timeout_seconds: 3, wrapup_seconds: 0 }`,
		`numbers: ["126"], queue: { ring_timeout_seconds: 3, wrapup_seconds: 30 }`, 1)
	n := startNode(t, yaml)
	ctx := timeout(t, 30*time.Second)
	page := n.softphone(t, ctx, "1001", 2000)
	out := dial(t, ctx, n, "126", nil, 1000, "")
	inc, err := page.Next(ctx, "incoming")
	if err != nil {
		t.Fatal(err)
	}
	page.Send(ctx, map[string]string{"type": "accept", "call_id": inc.CallID})
	if !out.RTP.WaitTone(ctx, 2000) {
		t.Fatal("not connected")
	}
	page.Close() // the line drops
	waitDone(t, ctx, out.Done(), "the caller was left on a call with a dropped softphone")
	back, err := webrtctest.Dial(ctx, n.HTTP, "/api/v1/ws/agent", n.login(t, "1001"))
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	for {
		m, err := back.Next(ctx, "agent")
		if err != nil {
			t.Fatal(err)
		}
		if m.Agent.State != "wrap_up" {
			continue
		}
		if m.WrapupEndsAt == nil || m.WrapupEndsAt.Sub(m.Agent.Since) != 30*time.Second {
			t.Fatalf("wrap-up since %v ends %v, want 30 s later", m.Agent.Since, m.WrapupEndsAt)
		}
		break
	}
	if cdr := n.waitCDR(t, ctx, inc.CallID); cdr.Outcome != "answered" || cdr.Agent != "1001" {
		t.Fatalf("CDR %+v", cdr)
	}
}

// Web callers waiting in a queue see their position, and it moves up when
// someone ahead leaves.
func TestWebCallerSeesQueuePosition(t *testing.T) {
	n := startNode(t, "")
	ctx := timeout(t, 30*time.Second)
	queued := func(p *webrtctest.Page, position int) {
		t.Helper()
		for {
			m, err := p.Next(ctx, "call")
			if err != nil {
				t.Fatalf("waiting for position %d: %v", position, err)
			}
			if m.State == "queued" && m.Position == position && m.Agency == "customs" {
				return
			}
		}
	}
	var pages []*webrtctest.Page
	for i := 1; i <= 2; i++ { // nobody staffs customs
		p, err := webrtctest.Dial(ctx, n.HTTP, "/api/v1/ws/call", "")
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		p.Send(ctx, map[string]string{"type": "call", "agency": "customs"})
		queued(p, i)
		pages = append(pages, p)
	}
	pages[0].Send(ctx, map[string]string{"type": "hangup"})
	if m, err := pages[0].Next(ctx, "ended"); err != nil || m.Reason != "abandoned" {
		t.Fatalf("first caller's end %+v: %v", m, err)
	}
	queued(pages[1], 1)
}
