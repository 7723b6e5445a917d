package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/frontdoor-project/frontdoor/identity/wallet"
	"github.com/frontdoor-project/frontdoor/internal/testua"
)

// repoPath is a path inside the repository.
func repoPath(parts ...string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(append([]string{filepath.Dir(file), "..", ".."}, parts...)...)
}

// buildFdwallet builds the real fdwallet command for the test to run as a citizen would.
func buildFdwallet(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "fdwallet")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/fdwallet")
	cmd.Dir = repoPath()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build fdwallet: %v\n%s", err, out)
	}
	return bin
}

// identityConfig is testConfig with the digital-ID step on (mode offer or require).
func identityConfig(t *testing.T, mode string) string {
	rtpBase += 100
	return strings.Replace(fmt.Sprintf(testConfig, freeSIPPort(t), rtpBase, rtpBase+99), "identity: { mode: off }",
		fmt.Sprintf("identity: { mode: %s, verifier_id: \"https://frontdoor.example\", wait_seconds: 20, issuers: [{ iss: \"https://id.example\", jwks_file: %q }] }",
			mode, repoPath("config", "keys", "issuer.jwks.json")), 1)
}

// waitCode waits for the IVR of the one call in progress to read out a code.
func (n *testNode) waitCode(t *testing.T, ctx context.Context) string {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		for _, st := range n.sb.Calls() {
			if c, ok := n.sb.Call(st.ID); ok && c.VerificationCode() != "" {
				return c.VerificationCode()
			}
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatal("the IVR never read out a verification code")
		}
	}
}

// A citizen calls 110, presses 1 to verify, opens the wallet (fdwallet) with the
// code heard, presents the digital ID, then picks tax: the agent's INVITE says
// verified, and the CDR holds the configured claims and nothing more.
func TestPhoneCallerVerifiesWithWallet(t *testing.T) {
	n := startNode(t, identityConfig(t, "offer"))
	ctx := timeout(t, 60*time.Second)
	fdwallet := buildFdwallet(t)
	dir := t.TempDir()
	wallet := filepath.Join(dir, "minji.wallet.json")
	issue := exec.CommandContext(ctx, fdwallet, "issue", "-issuer-key", repoPath("config", "keys", "issuer.DEMO-ONLY.private.jwk.json"),
		"-iss", "https://id.example", "-claims", `{"given_name":"Minji","family_name":"Kim","birthdate":"1990-05-17","nationality":"KR","resident_no":"900517-2000000"}`,
		"-out", wallet)
	if out, err := issue.CombinedOutput(); err != nil {
		t.Fatalf("fdwallet issue: %v\n%s", err, out)
	}
	agent := n.readyAgent(t, ctx, "1001", func(p *testua.Phone) { p.AutoAnswer = 2000 })

	out := dial(t, ctx, n, "110", nil, 1000, "1") // 1: verify with my digital ID
	code := n.waitCode(t, ctx)
	present := exec.CommandContext(ctx, fdwallet, "present", "-wallet", wallet, "-server", n.HTTP, "-code", code,
		"-disclose", "given_name,family_name,birthdate,nationality,resident_no")
	answer, err := present.CombinedOutput()
	if err != nil || !strings.Contains(string(answer), `"verified":true`) {
		t.Fatalf("fdwallet present: %v\n%s", err, answer)
	}
	// A second presentation to the same session is refused: the nonce is spent.
	again, err := exec.CommandContext(ctx, fdwallet, "present", "-wallet", wallet, "-server", n.HTTP, "-code", code).CombinedOutput()
	if err == nil || strings.Contains(string(again), `"verified":true`) {
		t.Errorf("second presentation accepted: %s", again)
	}
	if err := out.RTP.SendDTMF('1'); err != nil { // the menu: tax
		t.Fatal(err)
	}
	in, err := agent.NextIncoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := in.Req.GetHeader("X-Frontdoor-Identity"); got == nil || got.Value() != "verified" {
		t.Fatalf("X-Frontdoor-Identity %v, want verified", got)
	}
	// Verified must say who: the name the wallet disclosed, as a quoted-string,
	// and frontdoor's From display name says the same.
	if got := in.Req.GetHeader("X-Frontdoor-Identity-Name"); got == nil || got.Value() != `"Minji Kim"` {
		t.Errorf("X-Frontdoor-Identity-Name %v, want \"Minji Kim\"", got)
	}
	if f := in.Req.GetHeader("From"); f == nil || !strings.HasPrefix(f.Value(), `"Verified: Minji Kim" <`) {
		t.Errorf("From %v, want the verified name", f)
	}
	out.Hangup(ctx)
	cdr := n.waitCDR(t, ctx, "")
	want := map[string]string{"given_name": "Minji", "family_name": "Kim", "birthdate": "1990-05-17"}
	if fmt.Sprint(cdr.Identity) != fmt.Sprint(want) {
		t.Fatalf("CDR identity %v, want exactly %v", cdr.Identity, want)
	}
	if m := n.scrape(t); !strings.Contains(m, `frontdoor_identity_verifications_total{method="phone-code",result="verified"} 1`) {
		t.Errorf("verification not counted:\n%s", grepLines(m, "identity"))
	}
	// The store never saw the credential: neither its issuer-signed JWT nor any
	// disclosure (each carries a claim value) is in the database file.
	n.Stop()
	db, err := os.ReadFile(filepath.Join(n.Data, "frontdoor.db"))
	if err != nil {
		t.Fatal(err)
	}
	var w struct{ Credential string }
	rawWallet, _ := os.ReadFile(wallet)
	if err := json.Unmarshal(rawWallet, &w); err != nil || !strings.Contains(w.Credential, "~") {
		t.Fatalf("wallet file: %v", err)
	}
	for i, part := range strings.Split(strings.TrimSuffix(w.Credential, "~"), "~") {
		if strings.Contains(string(db), part) {
			t.Errorf("credential part %d is in the store", i)
		}
	}
	if strings.Contains(string(db), "900517-2000000") {
		t.Error("an undisclosed-by-policy claim value is in the store")
	}
	// The audit log has the verification.
	if !strings.Contains(string(db), "identity.phone-code") {
		t.Error("no audit record of the verification")
	}
}

// With identity.mode require, a caller who declines verification hears why and is
// let go politely; the CDR says rejected.
func TestRequireModeEndsUnverifiedCall(t *testing.T) {
	n := startNode(t, identityConfig(t, "require"))
	ctx := timeout(t, 60*time.Second)
	out := dial(t, ctx, n, "110", nil, 0, "2") // 2: continue without
	waitDone(t, ctx, out.Done(), "unverified call not ended in require mode")
	if cdr := n.waitCDR(t, ctx, ""); cdr.Outcome != "rejected" || cdr.Identity != nil {
		t.Fatalf("CDR %+v", cdr)
	}
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// With a push webhook configured, the IVR's session reaches the wallet on the
// caller's phone by itself: the wallet app (here a webhook on 127.0.0.1 using the
// wallet library) presents without anyone typing the code.
func TestPushWakesTheWallet(t *testing.T) {
	ctx := timeout(t, 60*time.Second)
	dir := t.TempDir()
	fdwallet := buildFdwallet(t)
	walletPath := filepath.Join(dir, "w.json")
	if out, err := exec.CommandContext(ctx, fdwallet, "issue", "-issuer-key", repoPath("config", "keys", "issuer.DEMO-ONLY.private.jwk.json"),
		"-iss", "https://id.example", "-claims", `{"given_name":"Jiho","family_name":"Lee","birthdate":"1950-01-02"}`, "-out", walletPath).CombinedOutput(); err != nil {
		t.Fatalf("issue: %v\n%s", err, out)
	}
	w, err := wallet.Load(walletPath)
	if err != nil {
		t.Fatal(err)
	}
	var serverURL string
	pushed := make(chan string, 1)
	matches := make(chan string, 4)
	approve := make(chan struct{})
	hook := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		var msg struct{ Number, SessionID, Nonce, Aud string }
		dec := json.NewDecoder(r.Body)
		var raw map[string]string
		if err := dec.Decode(&raw); err != nil {
			http.Error(rw, "bad push", 400)
			return
		}
		msg.Number, msg.SessionID, msg.Nonce, msg.Aud = raw["number"], raw["session_id"], raw["nonce"], raw["aud"]
		matches <- raw["number"] + " " + raw["match"]
		pres, err := w.Present([]string{"given_name", "family_name", "birthdate"}, msg.Nonce, msg.Aud, time.Now())
		if err != nil {
			http.Error(rw, err.Error(), 500)
			return
		}
		go func() { // the app answers once the citizen compared the match number
			<-approve
			ans, err := wallet.Client{Server: serverURL}.Submit(context.Background(), msg.SessionID, pres)
			pushed <- fmt.Sprintf("%s %v %v", msg.Number, ans.Verified, err)
		}()
		rw.WriteHeader(http.StatusAccepted)
	}))
	defer hook.Close()
	cfg := strings.Replace(identityConfig(t, "offer"), "wait_seconds: 20,", fmt.Sprintf("wait_seconds: 20, push_url: %q,", hook.URL), 1)
	n := startNode(t, cfg)
	serverURL = n.HTTP
	agent := n.readyAgent(t, ctx, "1001", func(p *testua.Phone) { p.AutoAnswer = 2000 })

	// A From is whatever the caller typed: pushing on it would wake a
	// stranger's wallet for this call. No push; the IVR reads the code only.
	spoofer := dial(t, ctx, n, "110", nil, 1000, "1")
	if !spoofer.RTP.WaitReceived(ctx, promptFrame(t, "identity-wait")) {
		t.Fatal("the spoofed caller never reached the identity step")
	}
	if spoofer.RTP.Received(promptFrame(t, "identity-match")) {
		t.Fatal("a match number was said though nothing was pushed")
	}
	select {
	case m := <-matches:
		t.Fatalf("pushed on an unasserted From: %s", m)
	default:
	}
	spoofer.Hangup(ctx)

	// The trunk (127.0.0.1 is trusted by default) asserts the number: push,
	// with the match number the IVR says.
	trunk := newPhone(t, "anonymous")
	trunk.Headers = []sip.Header{sip.NewHeader("P-Asserted-Identity", "<sip:01055556666@127.0.0.1>")}
	out, err := trunk.Call(ctx, n.SIP, "110", nil, 1000)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { out.Hangup(context.Background()) })
	out.RTP.SendDTMF('1')
	var match string
	select {
	case m := <-matches:
		number, digits, _ := strings.Cut(m, " ")
		if number != "01055556666" || len(digits) != 2 {
			t.Fatalf("push %q: want the asserted number and a two-digit match", m)
		}
		match = digits
	case <-ctx.Done():
		t.Fatal("no push arrived")
	}
	if !out.RTP.WaitReceived(ctx, promptFrame(t, "identity-match")) {
		t.Fatal("the IVR did not say the match number")
	}
	for _, d := range match {
		if !out.RTP.WaitReceived(ctx, promptFrame(t, "digit-"+string(d))) {
			t.Fatalf("match digit %c not said", d)
		}
	}
	close(approve) // the wallet showed the same number: the citizen approves
	select {
	case got := <-pushed:
		if got != "01055556666 true <nil>" {
			t.Fatalf("push/presentation: %s", got)
		}
	case <-ctx.Done():
		t.Fatal("no presentation after the push")
	}
	out.RTP.SendDTMF('1')
	in, err := agent.NextIncoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := in.Req.GetHeader("X-Frontdoor-Identity"); got == nil || got.Value() != "verified" {
		t.Fatalf("X-Frontdoor-Identity %v", got)
	}
}

// Verified claims feed routing policy: with a rule "callers 65 and over get
// priority 5", a verified 76-year-old who joins the tax queue after an unverified
// caller is offered to the agent first.
func TestVerifiedSeniorGetsPriority(t *testing.T) {
	ctx := timeout(t, 90*time.Second)
	cfg := strings.Replace(identityConfig(t, "offer"),
		`numbers: ["126"], queue: { ring_timeout_seconds: 3, wrapup_seconds: 0 }`,
		`numbers: ["126"], queue: { ring_timeout_seconds: 3, wrapup_seconds: 0, priority: [{ min_age: 65, priority: 5 }] }`, 1)
	n := startNode(t, cfg)
	fdwallet := buildFdwallet(t)
	walletPath := filepath.Join(t.TempDir(), "senior.json")
	if out, err := exec.CommandContext(ctx, fdwallet, "issue", "-issuer-key", repoPath("config", "keys", "issuer.DEMO-ONLY.private.jwk.json"),
		"-iss", "https://id.example", "-claims", `{"given_name":"Sunja","family_name":"Oh","birthdate":"1950-02-03"}`, "-out", walletPath).CombinedOutput(); err != nil {
		t.Fatalf("issue: %v\n%s", err, out)
	}
	// First an unverified caller, queued in tax (legacy number: straight to the queue after skipping ID).
	dial(t, ctx, n, "126", nil, 1000, "2")
	n.waitCallState(t, ctx, "queued")
	// Then the senior verifies and joins the same queue.
	dial(t, ctx, n, "126", nil, 1000, "1")
	code := n.waitCode(t, ctx)
	if out, err := exec.CommandContext(ctx, fdwallet, "present", "-wallet", walletPath, "-server", n.HTTP, "-code", code).CombinedOutput(); err != nil {
		t.Fatalf("present: %v\n%s", err, out)
	}
	sub := n.sb.Subscribe(ctx)
	for queued := 0; queued < 2; {
		queued = 0
		for _, c := range n.sb.Calls() {
			if c.State == "queued" {
				queued++
			}
		}
		if queued < 2 {
			select {
			case <-sub:
			case <-ctx.Done():
				t.Fatal("both callers never queued")
			}
		}
	}
	agent := n.readyAgent(t, ctx, "1001", func(p *testua.Phone) { p.AutoAnswer = 2000 })
	in, err := agent.NextIncoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := in.Req.GetHeader("X-Frontdoor-Identity"); got == nil || got.Value() != "verified" {
		t.Fatalf("the agent got the unverified early caller first (identity %v)", got)
	}
}
