package main

import (
	"strings"
	"testing"
	"time"
)

// A REGISTER Authorization captured on the wire and sent again from another
// phone (a new Contact: the agent's calls would ring the attacker) is refused;
// so are credentials without qop and credentials for another Request-URI. The
// agent's own phone, counting nc up on the same nonce, keeps registering.
func TestDigestReplayRefused(t *testing.T) {
	n := startNode(t, "")
	ctx := timeout(t, 30*time.Second)
	agent := newPhone(t, "1001")
	thief := newPhone(t, "1001") // another port: another Contact
	res, err := agent.RegisterWith(ctx, n.SIP, "")
	if err != nil || res.StatusCode != 401 {
		t.Fatalf("no credentials: %v %v", res, err)
	}
	chal := res.GetHeader("WWW-Authenticate").Value()
	if !strings.Contains(chal, `qop="auth"`) {
		t.Fatalf("challenge %q does not offer qop=auth", chal)
	}
	nonce := between(chal, `nonce="`, `"`)
	uri := "sip:" + n.SIP
	captured := digestMD5("1001", "pw1001", "frontdoor", nonce, "REGISTER", uri, "auth", "00000001")
	if res, err := agent.RegisterWith(ctx, n.SIP, captured); err != nil || res.StatusCode != 200 {
		t.Fatalf("agent's own REGISTER: %v %v", res, err)
	}
	for _, c := range []struct{ name, authz string }{
		{"replay, same nonce and nc", captured},
		{"replay, lower nc", digestMD5("1001", "pw1001", "frontdoor", nonce, "REGISTER", uri, "auth", "00000000")},
	} {
		res, err := thief.RegisterWith(ctx, n.SIP, c.authz)
		if err != nil || res.StatusCode != 401 {
			t.Errorf("%s: %v %v, want 401", c.name, res, err)
		}
	}
	// The agent's phone counts up on the same nonce: accepted.
	if res, err := agent.RegisterWith(ctx, n.SIP, digestMD5("1001", "pw1001", "frontdoor", nonce, "REGISTER", uri, "auth", "00000002")); err != nil || res.StatusCode != 200 {
		t.Fatalf("nc 2 on the same nonce: %v %v", res, err)
	}
	// Without qop (no nonce count to check) and for another Request-URI: refused.
	fresh := func() string {
		res, err := thief.RegisterWith(ctx, n.SIP, "")
		if err != nil || res.StatusCode != 401 {
			t.Fatalf("challenge: %v %v", res, err)
		}
		return between(res.GetHeader("WWW-Authenticate").Value(), `nonce="`, `"`)
	}
	for _, c := range []struct{ name, authz string }{
		{"no qop", digestMD5("1001", "pw1001", "frontdoor", fresh(), "REGISTER", uri, "", "")},
		{"uri of another request", digestMD5("1001", "pw1001", "frontdoor", fresh(), "REGISTER", "sip:elsewhere.example", "auth", "00000001")},
	} {
		res, err := thief.RegisterWith(ctx, n.SIP, c.authz)
		if err != nil || res.StatusCode != 403 {
			t.Errorf("%s: %v %v, want 403", c.name, res, err)
		}
	}
}
