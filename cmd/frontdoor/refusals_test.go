package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/frontdoor-project/frontdoor/internal/testua"
)

func newPhone(t *testing.T, user string) *testua.Phone {
	t.Helper()
	p, err := testua.NewPhone(user)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// What each refused INVITE gets back.
func TestInviteRefusals(t *testing.T) {
	n := startNode(t, "")
	ctx := timeout(t, 30*time.Second)
	p := newPhone(t, "01099990000")
	g722 := "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 9\r\na=rtpmap:9 G722/8000\r\n"
	cases := []struct {
		name, number, ctype, body string
		want                      int
	}{
		{"unknown number", "999", "application/sdp", string(testua.Offer(40000)), 404},
		{"no common codec", "110", "application/sdp", g722, 488},
		{"no SDP offer", "110", "", "", 488},
		{"malformed SDP", "110", "application/sdp", "v=0\r\nthis is not sdp\r\n", 400},
		{"audio port 0", "110", "application/sdp", strings.Replace(string(testua.Offer(40000)), "m=audio 40000", "m=audio 0", 1), 488},
	}
	for _, c := range cases {
		got, err := p.CallRaw(ctx, n.SIP, c.number, c.ctype, []byte(c.body))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s: got %d, want %d", c.name, got, c.want)
		}
	}
	// A legacy agency number is ours: answered.
	if got, err := p.CallRaw(ctx, n.SIP, "126", "application/sdp", testua.Offer(40002)); err != nil || got != 200 {
		t.Errorf("legacy number 126: %d %v", got, err)
	}
}

// An unknown user and a wrong password get the same answer; SHA-256 digest works.
func TestRegisterRefusalsLookAlike(t *testing.T) {
	rtpBase += 100
	n := startNode(t, strings.Replace(fmt.Sprintf(testConfig, freeSIPPort(t), rtpBase, rtpBase+99),
		`number: "110"`, "number: \"110\"\nsip: { digest_algorithms: [MD5, SHA-256] }", 1))
	ctx := timeout(t, 30*time.Second)

	stranger := newPhone(t, "7777")
	if code, err := stranger.Register(ctx, n.SIP, "whatever", 300); err != nil || code != 403 {
		t.Fatalf("unknown user: %d %v, want 403", code, err)
	}
	wrong := newPhone(t, "1001")
	if code, err := wrong.Register(ctx, n.SIP, "not-the-password", 300); err != nil || code != 403 {
		t.Fatalf("wrong password: %d %v, want 403", code, err)
	}
	// Without credentials: a challenge offering MD5 and SHA-256.
	res, err := wrong.RegisterWith(ctx, n.SIP, "")
	if err != nil || res.StatusCode != 401 {
		t.Fatalf("no credentials: %v %v", res, err)
	}
	chals := res.GetHeaders("WWW-Authenticate")
	if len(chals) != 2 || !strings.Contains(chals[0].Value(), "MD5") || !strings.Contains(chals[1].Value(), "SHA-256") {
		t.Fatalf("challenges %v", chals)
	}
	// Answer the SHA-256 challenge by hand.
	nonce := between(chals[1].Value(), `nonce="`, `"`)
	creds := digestSHA256("1001", "pw1001", "frontdoor", nonce, "REGISTER", "sip:"+n.SIP)
	res, err = wrong.RegisterWith(ctx, n.SIP, creds)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("SHA-256 digest: %v %v", res, err)
	}
	// A forged nonce is challenged again, not accepted.
	res, err = wrong.RegisterWith(ctx, n.SIP, digestSHA256("1001", "pw1001", "frontdoor", "Zm9yZ2Vk", "REGISTER", "sip:"+n.SIP))
	if err != nil || res.StatusCode != 401 {
		t.Fatalf("forged nonce: %v %v, want 401", res, err)
	}
	// Garbage credentials are a bad request.
	res, err = wrong.RegisterWith(ctx, n.SIP, "Digest nonsense")
	if err != nil || res.StatusCode != 400 {
		t.Fatalf("garbage Authorization: %v %v, want 400", res, err)
	}
}

// In-dialog requests that match nothing, and bad DTMF INFO bodies.
func TestDialogRefusals(t *testing.T) {
	n := startNode(t, "")
	ctx := timeout(t, 30*time.Second)
	p := newPhone(t, "01011112222")
	host, port := "127.0.0.1", 0
	fmt.Sscanf(n.SIP[strings.LastIndex(n.SIP, ":")+1:], "%d", &port)
	bye := sip.NewRequest(sip.BYE, sip.Uri{Scheme: "sip", User: "110", Host: host, Port: port})
	bye.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: "110", Host: host}, Params: sip.NewParams()})
	res, err := p.Request(ctx, bye)
	if err != nil || res.StatusCode != 481 {
		t.Fatalf("BYE outside a dialog: %v %v, want 481", res, err)
	}

	out, err := p.Call(ctx, n.SIP, "110", []uint8{8}, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Hangup(context.Background())
	if code, _ := out.Info(ctx, "application/dtmf-relay", "Signal=Z\r\n"); code != 400 {
		t.Errorf("INFO with a bad key: %d, want 400", code)
	}
	if code, _ := out.Info(ctx, "text/plain", "5"); code != 415 {
		t.Errorf("INFO text/plain: %d, want 415", code)
	}
	if code, _ := out.Info(ctx, "application/dtmf", "5"); code != 200 {
		t.Errorf("INFO application/dtmf: %d, want 200", code)
	}
}

func between(s, a, b string) string {
	i := strings.Index(s, a)
	if i < 0 {
		return ""
	}
	s = s[i+len(a):]
	if j := strings.Index(s, b); j >= 0 {
		return s[:j]
	}
	return s
}
