package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

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
	select {
	case <-out.Done():
	case <-ctx.Done():
		t.Fatal("unverified call not ended in require mode")
	}
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
