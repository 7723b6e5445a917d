package main

import (
	"context"
	"crypto/md5"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/frontdoor-project/frontdoor/identity/openid4vp"
	"github.com/frontdoor-project/frontdoor/internal/testua"
	fdsip "github.com/frontdoor-project/frontdoor/sip"
)

// smsConfig is openID4VPConfig with identity.sms as given (a flow mapping's body).
func smsConfig(t *testing.T, sms string) (string, *x509.CertPool) {
	t.Helper()
	yaml, roots := openID4VPConfig(t)
	// The prompts play in real time: give the wallet a minute, not 20 s.
	out := strings.Replace(yaml, "identity: { mode: offer,", "identity: { mode: offer, sms: { "+sms+" },", 1)
	out = strings.Replace(out, "wait_seconds: 20,", "wait_seconds: 60,", 1)
	if !strings.Contains(out, "sms: {") || !strings.Contains(out, "wait_seconds: 60,") {
		t.Fatal("config not rewritten")
	}
	return out, roots
}

// smsGateway is a site's SMS gateway: a real HTTP server that hands each
// text it is sent to the test and answers status.
func smsGateway(t *testing.T, status int) (*httptest.Server, <-chan map[string]string) {
	texts := make(chan map[string]string, 8)
	gw := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		var body map[string]string
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || r.Header.Get("Content-Type") != "application/json" {
			http.Error(rw, "bad text", 400)
			return
		}
		texts <- body
		rw.WriteHeader(status)
	}))
	t.Cleanup(gw.Close)
	return gw, texts
}

// trunkCaller calls 110 as a trusted trunk would: from 127.0.0.1 (trusted by
// default) with the caller's number in P-Asserted-Identity; it presses 1 to
// verify.
func trunkCaller(t *testing.T, ctx context.Context, n *testNode, number string) *testua.Outgoing {
	t.Helper()
	trunk := newPhone(t, "anonymous")
	trunk.Headers = []sip.Header{sip.NewHeader("P-Asserted-Identity", "<sip:"+number+"@127.0.0.1>")}
	out, err := trunk.Call(ctx, n.SIP, "110", nil, 1000)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { out.Hangup(context.Background()) })
	if err := out.RTP.SendDTMF('1'); err != nil {
		t.Fatal(err)
	}
	return out
}

var linkRE = regexp.MustCompile(`openid4vp://\S+`)

// noText fails the test if the gateway has been sent a text by now.
func noText(t *testing.T, texts <-chan map[string]string, why string) {
	t.Helper()
	if len(texts) > 0 {
		t.Fatalf("%s: %v", why, <-texts)
	}
}

// offeredIdentity is the X-Frontdoor-Identity of the next call offered to agent.
func offeredIdentity(t *testing.T, ctx context.Context, agent *testua.Phone) string {
	t.Helper()
	in, err := agent.NextIncoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if h := in.Req.GetHeader("X-Frontdoor-Identity"); h != nil {
		return h.Value()
	}
	return ""
}

// A citizen calls through a trusted trunk, presses 1 to verify and 1 again
// for a text: the SMS gateway gets the wallet link and the match number,
// the IVR says the same number, the wallet answers the link, and the agent's
// INVITE says verified. A typed From is offered no text; a second press
// sends nothing more.
func TestTextMessageBringsTheWalletLink(t *testing.T) {
	ctx := timeout(t, 120*time.Second)
	gw, texts := smsGateway(t, http.StatusAccepted)
	cfg, roots := smsConfig(t, fmt.Sprintf(`webhook_url: %q, allowed_prefixes: ["010"]`, gw.URL))
	n := startNode(t, cfg)
	agent := n.readyAgent(t, ctx, "1001", func(p *testua.Phone) { p.AutoAnswer = 2000 })

	// A From is whatever the caller typed: texting it would let anyone make
	// us text a stranger. No offer, and 1 does nothing.
	spoofer := dial(t, ctx, n, "110", nil, 1000, "1")
	if !spoofer.RTP.WaitReceived(ctx, promptFrame(t, "identity-wait")) {
		t.Fatal("the spoofed caller never reached the identity step")
	}
	spoofer.RTP.SendDTMF('1')
	// The key was taken: the code is read again.
	if !spoofer.RTP.WaitCount(ctx, promptFrame(t, "identity-code"), 2) {
		t.Fatal("the code was not read again after a key")
	}
	if spoofer.RTP.Received(promptFrame(t, "identity-sms-offer")) || spoofer.RTP.Received(promptFrame(t, "identity-sms-sent")) {
		t.Fatal("a text was offered on an unasserted From")
	}
	noText(t, texts, "texted an unasserted From")
	spoofer.Hangup(ctx)

	// An asserted number outside identity.sms.allowed_prefixes (an
	// international premium range: SMS pumping) is not offered a text either.
	premium := trunkCaller(t, ctx, n, "+88212345678")
	if !premium.RTP.WaitReceived(ctx, promptFrame(t, "identity-wait")) {
		t.Fatal("the premium caller never reached the identity step")
	}
	if premium.RTP.Received(promptFrame(t, "identity-sms-offer")) {
		t.Fatal("a text was offered to a number outside allowed_prefixes")
	}
	premium.Hangup(ctx)

	out := trunkCaller(t, ctx, n, "01055556666")
	if !out.RTP.WaitReceived(ctx, promptFrame(t, "identity-sms-offer")) {
		t.Fatal("no text offer to the asserted caller")
	}
	out.RTP.SendDTMF('1')
	var text map[string]string
	select {
	case text = <-texts:
	case <-ctx.Done():
		t.Fatal("the SMS gateway got no text")
	}
	link, match := text["link"], text["match"]
	if text["to"] != "01055556666" || !strings.HasPrefix(link, "openid4vp://?client_id=") || len(match) != 2 || text["call_id"] == "" ||
		linkRE.FindString(text["text"]) != link || !strings.Contains(text["text"], "the number "+match) {
		t.Fatalf("text %v: want the asserted number, the wallet link and a two-digit match in the text", text)
	}
	// The IVR says the number the text shows.
	if !out.RTP.WaitReceived(ctx, promptFrame(t, "identity-sms-sent")) {
		t.Fatal("the IVR did not say the text was sent")
	}
	for _, d := range match {
		if !out.RTP.WaitReceived(ctx, promptFrame(t, "digit-"+string(d))) {
			t.Fatalf("match digit %c not said", d)
		}
	}
	// A second press says the number again and sends nothing.
	out.RTP.SendDTMF('1')
	if !out.RTP.WaitCount(ctx, promptFrame(t, "identity-sms-sent"), 2) {
		t.Fatal("the second press was not answered with the number")
	}
	noText(t, texts, "a second text in one call")

	// The citizen heard the number the text shows: the wallet answers the link.
	res, err := openid4vp.PresentLink(ctx, http.DefaultClient, link, demoWallet(t), openid4vp.Trust{Roots: roots}, openid4vp.AnswerOptions{})
	if err != nil || res.Status != http.StatusOK {
		t.Fatalf("wallet answer: %v %d %s", err, res.Status, res.Body)
	}
	if !out.RTP.WaitReceived(ctx, promptFrame(t, "identity-ok")) {
		t.Fatal("the IVR did not say verified")
	}
	out.RTP.SendDTMF('1') // the menu: tax
	if got := offeredIdentity(t, ctx, agent); got != "verified" {
		t.Fatalf("X-Frontdoor-Identity %q, want verified", got)
	}
	m := n.scrape(t)
	for _, want := range []string{
		`frontdoor_identity_sms_total{channel="webhook",result="sent"} 1`,
		`frontdoor_identity_sms_total{channel="webhook",result="error"} 0`,
		`frontdoor_identity_sms_total{channel="sip",result="sent"} 0`,
		`frontdoor_identity_verifications_total{method="openid4vp-sdjwt",result="verified"} 1`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("missing %s in:\n%s", want, grepLines(m, "frontdoor_identity"))
		}
	}
}

// A gateway that answers 500: the error is counted, the caller hears that
// the text failed and gets the code read out instead; the call goes on.
func TestTextMessageGatewayDown(t *testing.T) {
	ctx := timeout(t, 60*time.Second)
	gw, texts := smsGateway(t, http.StatusInternalServerError)
	cfg, _ := smsConfig(t, fmt.Sprintf("webhook_url: %q", gw.URL))
	n := startNode(t, cfg)
	out := trunkCaller(t, ctx, n, "01055556666")
	if !out.RTP.WaitReceived(ctx, promptFrame(t, "identity-sms-offer")) {
		t.Fatal("no text offer")
	}
	out.RTP.SendDTMF('1')
	select {
	case <-texts:
	case <-ctx.Done():
		t.Fatal("the gateway was never asked")
	}
	if !out.RTP.WaitReceived(ctx, promptFrame(t, "identity-sms-failed")) {
		t.Fatal("the caller was not told the text failed")
	}
	// The code follows the failure notice (the offer was interrupted by the
	// key, so the code may not have been heard before).
	before := out.RTP.Count(promptFrame(t, "identity-code"))
	if !out.RTP.WaitCount(ctx, promptFrame(t, "identity-code"), before+1) {
		t.Fatal("the code was not read out as the fallback")
	}
	if out.RTP.Received(promptFrame(t, "identity-sms-sent")) {
		t.Fatal("the IVR said a failed text was sent")
	}
	if m := n.scrape(t); !strings.Contains(m, `frontdoor_identity_sms_total{channel="webhook",result="error"} 1`) {
		t.Errorf("the failure is not counted:\n%s", grepLines(m, "frontdoor_identity_sms"))
	}
	select {
	case <-out.Done():
		t.Fatal("the call ended")
	default:
	}
}

// testTrunk is a carrier's SIP side on a real UDP socket (sipgo): it
// challenges a MESSAGE without credentials (407), checks the digest of the
// retry, answers 202, and hands each accepted MESSAGE to the test.
type testTrunk struct {
	addr     string
	messages chan *sip.Request
}

const trunkRealm, trunkUser, trunkPassword = "carrier", "frontdoor", "s3cret"

func newTestTrunk(t *testing.T) *testTrunk {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("test-carrier"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tr := &testTrunk{addr: conn.LocalAddr().String(), messages: make(chan *sip.Request, 4)}
	ha1 := md5.Sum([]byte(trunkUser + ":" + trunkRealm + ":" + trunkPassword))
	srv.OnMessage(func(req *sip.Request, tx sip.ServerTransaction) {
		challenge := func() {
			res := sip.NewResponseFromRequest(req, sip.StatusProxyAuthRequired, "Proxy Authentication Required", nil)
			res.AppendHeader(sip.NewHeader("Proxy-Authenticate", fdsip.Challenges(trunkRealm, "trunk-nonce-1", nil)[0]))
			tx.Respond(res)
		}
		h := req.GetHeader("Proxy-Authorization")
		if h == nil {
			challenge()
			return
		}
		c, err := fdsip.ParseCredentials(h.Value())
		want, _ := fdsip.ExpectedResponse(c, "MESSAGE", hex.EncodeToString(ha1[:]))
		if err != nil || c.Username != trunkUser || c.Nonce != "trunk-nonce-1" || !fdsip.ResponseMatches(c.Response, want) {
			tx.Respond(sip.NewResponseFromRequest(req, sip.StatusForbidden, "Forbidden", nil))
			return
		}
		tr.messages <- req
		tx.Respond(sip.NewResponseFromRequest(req, sip.StatusAccepted, "Accepted", nil))
	})
	go srv.ServeUDP(conn)
	t.Cleanup(func() { srv.Close(); conn.Close(); ua.Close() })
	return tr
}

// With the gateway down and a SIP trunk configured, the text goes as a SIP
// MESSAGE (RFC 3428) through the trunk, digest-authenticated: To is the
// caller's number at the trunk, the body holds the link and the match, and
// the wallet answering that link verifies the call.
func TestTextMessageOverSIPTrunk(t *testing.T) {
	ctx := timeout(t, 60*time.Second)
	gw, _ := smsGateway(t, http.StatusInternalServerError)
	trunk := newTestTrunk(t)
	cfg, roots := smsConfig(t, fmt.Sprintf(`webhook_url: %q, trunk: { uri: "sip:{number}@%s", from: "sip:110@frontdoor.example", username: %s, password: %s }`,
		gw.URL, trunk.addr, trunkUser, trunkPassword))
	n := startNode(t, cfg)
	out := trunkCaller(t, ctx, n, "+821055556666")
	if !out.RTP.WaitReceived(ctx, promptFrame(t, "identity-sms-offer")) {
		t.Fatal("no text offer")
	}
	out.RTP.SendDTMF('1')
	var msg *sip.Request
	select {
	case msg = <-trunk.messages:
	case <-ctx.Done():
		t.Fatal("the trunk got no MESSAGE")
	}
	host := strings.Split(trunk.addr, ":")[0]
	if msg.Recipient.User != "+821055556666" || msg.Recipient.Host != host {
		t.Errorf("Request-URI %s", msg.Recipient.String())
	}
	if to := msg.To(); to == nil || to.Address.User != "+821055556666" || to.Address.Host != host {
		t.Errorf("To %v, want the caller's number at the trunk", to)
	}
	if from := msg.From(); from == nil || from.Address.User != "110" || from.Address.Host != "frontdoor.example" {
		t.Errorf("From %v, want the configured sip:110@frontdoor.example", from)
	}
	if ct := msg.ContentType(); ct == nil || !strings.HasPrefix(ct.Value(), "text/plain") {
		t.Errorf("Content-Type %v", ct)
	}
	body := string(msg.Body())
	link := linkRE.FindString(body)
	m := regexp.MustCompile(`the number (\d\d)\.`).FindStringSubmatch(body)
	if link == "" || m == nil {
		t.Fatalf("MESSAGE body %q: want the wallet link and the match number", body)
	}
	if !out.RTP.WaitReceived(ctx, promptFrame(t, "identity-sms-sent")) {
		t.Fatal("the IVR did not say the text was sent")
	}
	for _, d := range m[1] {
		if !out.RTP.WaitReceived(ctx, promptFrame(t, "digit-"+string(d))) {
			t.Fatalf("match digit %c not said", d)
		}
	}
	res, err := openid4vp.PresentLink(ctx, http.DefaultClient, link, demoWallet(t), openid4vp.Trust{Roots: roots}, openid4vp.AnswerOptions{})
	if err != nil || res.Status != http.StatusOK {
		t.Fatalf("wallet answer: %v %d %s", err, res.Status, res.Body)
	}
	if !out.RTP.WaitReceived(ctx, promptFrame(t, "identity-ok")) {
		t.Fatal("the IVR did not say verified")
	}
	metrics := n.scrape(t)
	for _, want := range []string{
		`frontdoor_identity_sms_total{channel="webhook",result="error"} 1`,
		`frontdoor_identity_sms_total{channel="sip",result="sent"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("missing %s in:\n%s", want, grepLines(metrics, "frontdoor_identity_sms"))
		}
	}
}

// frontdoor check-config refuses a bad identity.sms with the file and line
// of each problem, and accepts a good one.
func TestCheckConfigSMS(t *testing.T) {
	good, _ := smsConfig(t, `webhook_url: "https://sms.example/send", trunk: { uri: "sip:{number}@127.0.0.1:5070" }`)
	bad := strings.Replace(good, `webhook_url: "https://sms.example/send", trunk: { uri: "sip:{number}@127.0.0.1:5070" }`,
		"\n    webhook_url: \"mailto:sms\",\n    text: \"no link here\"", 1)
	dir := t.TempDir()
	for name, c := range map[string]struct {
		yaml string
		code int
		want []string
	}{
		"good": {good, 0, []string{"ok"}},
		"bad": {bad, 1, []string{
			`:7: identity.sms.webhook_url: "mailto:sms" must be an http(s) URL`,
			`:8: identity.sms.text: must contain {link}: the text is there to carry the wallet link`}},
	} {
		path := filepath.Join(dir, name+".yaml")
		if err := os.WriteFile(path, []byte(c.yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		var out, errb strings.Builder
		code := run([]string{"check-config", path}, &out, &errb)
		if code != c.code {
			t.Errorf("%s: exit %d, want %d\n%s", name, code, c.code, out.String())
		}
		for _, w := range c.want {
			want := w
			if strings.HasPrefix(w, ":") {
				want = path + w
			}
			if !strings.Contains(out.String(), want) {
				t.Errorf("%s: output lacks %q:\n%s", name, want, out.String())
			}
		}
	}
}
