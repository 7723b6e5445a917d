package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/internal/testua"
)

// A citizen calls 110 and presses 1; the wallet answers the IVR's session
// over OpenID4VP (fdwallet present -link, direct_post.jwt) instead of with
// the code: the agent's INVITE says verified and the metric counts
// openid4vp-sdjwt.
func TestPhoneCallerVerifiesWithOpenID4VP(t *testing.T) {
	ctx := timeout(t, 60*time.Second)
	fdwallet := buildFdwallet(t)
	dir := t.TempDir()
	cert, key, root := filepath.Join(dir, "verifier.pem"), filepath.Join(dir, "verifier.key"), filepath.Join(dir, "root.pem")
	clientID, err := exec.CommandContext(ctx, fdwallet, "verifier-cert", "-out-cert", cert, "-out-key", key, "-out-root", root).Output()
	if err != nil {
		t.Fatalf("fdwallet verifier-cert: %v", err)
	}
	wallet := filepath.Join(dir, "minji.wallet.json")
	issue := exec.CommandContext(ctx, fdwallet, "issue", "-issuer-key", repoPath("config", "keys", "issuer.DEMO-ONLY.private.jwk.json"),
		"-iss", "https://id.example", "-claims", `{"given_name":"Minji","family_name":"Kim","birthdate":"1990-05-17"}`, "-out", wallet)
	if out, err := issue.CombinedOutput(); err != nil {
		t.Fatalf("fdwallet issue: %v\n%s", err, out)
	}
	httpPort := freeSIPPort(t)
	public := fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	cfg := strings.Replace(identityConfig(t, "offer"), `http: "127.0.0.1:0"`, fmt.Sprintf(`http: "127.0.0.1:%d"`, httpPort), 1)
	cfg = strings.Replace(cfg, "wait_seconds: 20,", fmt.Sprintf("wait_seconds: 20, public_url: %q, verifier_cert_file: %q, verifier_key_file: %q,",
		public, cert, key), 1)
	n := startNode(t, cfg)
	agent := n.readyAgent(t, ctx, "1001", func(p *testua.Phone) { p.AutoAnswer = 2000 })

	out := dial(t, ctx, n, "110", nil, 1000, "1")
	code := n.waitCode(t, ctx)
	resp, err := http.Get(n.HTTP + "/api/v1/identity/codes/" + code)
	if err != nil {
		t.Fatal(err)
	}
	var sess struct{ ID string }
	json.NewDecoder(resp.Body).Decode(&sess)
	resp.Body.Close()
	link := "openid4vp://?client_id=" + url.QueryEscape(strings.TrimSpace(string(clientID))) +
		"&request_uri=" + url.QueryEscape(public+"/api/v1/identity/sessions/"+sess.ID+"/request")
	answer, err := exec.CommandContext(ctx, fdwallet, "present", "-wallet", wallet, "-link", link, "-trust-root", root).CombinedOutput()
	if err != nil || strings.TrimSpace(string(answer)) != "{}" {
		t.Fatalf("fdwallet present -link: %v\n%s", err, answer)
	}
	if err := out.RTP.SendDTMF('1'); err != nil {
		t.Fatal(err)
	}
	in, err := agent.NextIncoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := in.Req.GetHeader("X-Frontdoor-Identity"); got == nil || got.Value() != "verified" {
		t.Fatalf("X-Frontdoor-Identity %v, want verified", got)
	}
	m := n.scrape(t)
	if !strings.Contains(m, `frontdoor_identity_verifications_total{method="openid4vp-sdjwt",result="verified"} 1`) ||
		!strings.Contains(m, `frontdoor_identity_verifications_total{method="openid4vp-mdoc",result="unsupported_format"} 0`) {
		t.Errorf("metrics:\n%s", grepLines(m, "identity"))
	}
	out.Hangup(ctx)
}
