package main

import (
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/internal/testua"
)

// A caller chooses its From to break the agent INVITE's From header (quotes,
// backslashes, CR/LF, a URI of its own) or to pass for a verified caller. The
// agent's phone gets one From, frontdoor's, whose display name starts with
// "Unverified: " and carries the caller's text only inside a proper
// quoted-string; no header is injected and no identity name is claimed.
func TestCallerDisplayNameEscaped(t *testing.T) {
	n := startNode(t, "")
	ctx := timeout(t, 30*time.Second)
	agent := n.readyAgent(t, ctx, "1001", func(p *testua.Phone) { p.AutoAnswer = 2000 })
	for _, user := range []string{
		`Verified"Jane"Doe`,
		`back\slash\"`,
		"crlf%0D%0AX-Evil:%201",
		`evil<sip:evil@10.6.6.6>`,
	} {
		caller := newPhone(t, user)
		out, err := caller.Call(ctx, n.SIP, "126", nil, 1000)
		if err != nil {
			t.Errorf("%q: call: %v", user, err)
			continue
		}
		in, err := agent.NextIncoming(ctx)
		if err != nil {
			t.Fatal(err)
		}
		from := in.Req.GetHeaders("From")
		if len(from) != 1 {
			t.Fatalf("%q: %d From headers", user, len(from))
		}
		f := in.Req.From()
		if f == nil || f.Address.User != "110" {
			t.Errorf("%q: From %v is not frontdoor's", user, from[0])
		}
		raw := from[0].Value()
		t.Logf("%q -> From: %s", user, raw)
		if !strings.HasPrefix(raw, `"Unverified: `) {
			t.Errorf("%q: From display %q does not say unverified", user, raw)
		}
		if user == `back\slash\"` && !strings.HasPrefix(raw, `"Unverified: back\\slash\\\"" <`) {
			t.Errorf("%q: quotes and backslashes not escaped: %s", user, raw)
		}
		if strings.ContainsAny(raw, "\r\n") || in.Req.GetHeader("X-Evil") != nil {
			t.Errorf("%q: header injected: %q", user, raw)
		}
		if h := in.Req.GetHeader("X-Frontdoor-Identity-Name"); h != nil {
			t.Errorf("%q: unverified call names an identity: %v", user, h)
		}
		if !out.RTP.WaitTone(ctx, 2000) {
			t.Fatalf("%q: caller not connected to the agent", user)
		}
		out.Hangup(ctx)
		waitDone(t, ctx, in.Done, "agent leg not hung up")
		n.waitAgent(t, ctx, "1001", "ready")
	}
}
