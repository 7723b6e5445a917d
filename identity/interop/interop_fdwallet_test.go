package interop

import (
	"bufio"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/identity/mdoc"
	"github.com/frontdoor-project/frontdoor/identity/wallet"
)

// verifierVerdict is what openid4vp-verifier.mjs prints, line by line.
type verifierVerdict struct {
	Link      string            `json:"link"`
	ClientID  string            `json:"client_id"`
	Verified  bool              `json:"verified"`
	Error     string            `json:"error"`
	QueryID   string            `json:"query_id"`
	Claims    map[string]string `json:"claims"`
	Typ       string            `json:"typ"`
	Doctype   string            `json:"doctype"`
	KB        map[string]string `json:"kb"`
	JWEHeader map[string]any    `json:"jwe_header"`
}

// frontdoor's own wallet (fdwallet present -link) answers a verifier built
// on @openid4vc/openid4vp, @sd-jwt/sd-jwt-vc and @animo-id/mdoc: the
// library's request (JAR by reference, x509_hash, DCQL, direct_post.jwt)
// passes fdwallet's checks, and fdwallet's response passes the library's
// own validation (JWE decryption, state, DCQL vp_token) and the credential
// libraries' verification, for an SD-JWT VC and an mDL.
func TestFdwalletAnswersNPMVerifier(t *testing.T) {
	node := needNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	fdwallet := filepath.Join(dir, "fdwallet")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", fdwallet, "../../cmd/fdwallet").CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/fdwallet: %v\n%s", err, out)
	}
	pki := newVerifierPKI(t)
	iacaPath, dsCert, dsKey := newDocumentSigner(t, dir)
	pid, mdl := filepath.Join(dir, "pid.json"), filepath.Join(dir, "mdl.json")
	for _, args := range [][]string{
		{"issue", "-issuer-key", repoFile("config", "keys", "issuer.DEMO-ONLY.private.jwk.json"), "-iss", "https://id.example",
			"-claims", `{"given_name":"Minji","family_name":"Kim","birthdate":"1990-05-17","nationality":"KR"}`, "-out", pid},
		{"issue", "-format", "mso_mdoc", "-issuer-key", dsKey, "-issuer-cert", dsCert,
			"-claims", `{"given_name":"Minji","family_name":"Kim","birth_date":"1990-05-17"}`, "-out", mdl},
	} {
		if out, err := exec.CommandContext(ctx, fdwallet, args...).CombinedOutput(); err != nil {
			t.Fatalf("fdwallet %v: %v\n%s", args, err, out)
		}
	}

	trusting := func(jwks, iaca string) []string {
		return []string{"--cert=" + pki.Chain, "--key=" + pki.Key, "--issuer-jwks=" + jwks, "--iaca=" + iaca}
	}
	demoJWKS := repoFile("config", "keys", "issuer.jwks.json")
	for _, c := range []struct {
		name, wallet, query string
	}{
		{"SD-JWT VC", pid, "pid"},
		{"mDL", mdl, "mdl"},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := startNPMVerifier(t, ctx, node, trusting(demoJWKS, iacaPath)...)
			first := v.next(t)
			if first.Link == "" {
				t.Fatalf("the npm verifier printed %+v, want its link", first)
			}
			out, err := exec.CommandContext(ctx, fdwallet, "present", "-wallet", c.wallet, "-link", first.Link, "-trust-root", pki.Root).CombinedOutput()
			verdict := v.next(t)
			if err != nil || !verdict.Verified {
				t.Fatalf("fdwallet present -link: %v (%s); the npm verifier says %+v", err, out, verdict)
			}
			want := map[string]string{"given_name": "Minji", "family_name": "Kim", "birthdate": "1990-05-17"}
			if c.query == "mdl" {
				want = map[string]string{"given_name": "Minji", "family_name": "Kim", "birth_date": "1990-05-17"}
			}
			claims, _ := json.Marshal(verdict.Claims)
			wantJSON, _ := json.Marshal(want)
			if verdict.QueryID != c.query || string(claims) != string(wantJSON) {
				t.Fatalf("the npm verifier saw %s answering %q, want %s answering %q", claims, verdict.QueryID, wantJSON, c.query)
			}
			if c.query == "pid" && (verdict.Typ != "dc+sd-jwt" || verdict.KB["aud"] != first.ClientID) {
				t.Fatalf("SD-JWT typ %q, KB-JWT aud %q: want dc+sd-jwt and %q", verdict.Typ, verdict.KB["aud"], first.ClientID)
			}
			if verdict.JWEHeader["alg"] != "ECDH-ES" {
				t.Fatalf("JWE header %v, want ECDH-ES", verdict.JWEHeader)
			}
		})
	}

	// The libraries are no rubber stamp: a verifier that trusts another
	// SD-JWT issuer and another IACA refuses the same wallets, and
	// fdwallet hears 400.
	otherJWKS, otherIACA := otherIssuers(t, dir)
	for _, c := range []struct{ name, wallet, want string }{
		{"SD-JWT VC from an untrusted issuer", pid, "signature"},
		{"mDL from an untrusted IACA", mdl, "trusted root"},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := startNPMVerifier(t, ctx, node, trusting(otherJWKS, otherIACA)...)
			link := v.next(t).Link
			out, err := exec.CommandContext(ctx, fdwallet, "present", "-wallet", c.wallet, "-link", link, "-trust-root", pki.Root).CombinedOutput()
			verdict := v.next(t)
			if err == nil || verdict.Verified || !strings.Contains(strings.ToLower(verdict.Error), c.want) {
				t.Fatalf("fdwallet: %v (%s); the npm verifier says %+v, want a refusal naming %q", err, out, verdict, c.want)
			}
			t.Logf("the npm verifier refuses: %s", verdict.Error)
		})
	}
}

// otherIssuers writes a JWKS of a fresh SD-JWT issuer key and a fresh IACA:
// trust material that does not vouch for the wallets under test.
func otherIssuers(t *testing.T, dir string) (jwks, iaca string) {
	t.Helper()
	k, err := wallet.NewKey("ES256")
	if err != nil {
		t.Fatal(err)
	}
	jwks, iaca = filepath.Join(dir, "other.jwks.json"), filepath.Join(dir, "other-iaca.pem")
	if err := wallet.WriteJSON(jwks, wallet.PublicSet(k.Public()), 0o600); err != nil {
		t.Fatal(err)
	}
	other, err := mdoc.NewDemoIACA()
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Save(iaca, filepath.Join(dir, "other-iaca.key")); err != nil {
		t.Fatal(err)
	}
	return jwks, iaca
}

// npmVerifier is openid4vp-verifier.mjs running, one JSON line at a time.
type npmVerifier struct {
	lines *bufio.Scanner
}

func startNPMVerifier(t *testing.T, ctx context.Context, node string, args ...string) *npmVerifier {
	t.Helper()
	cmd := exec.CommandContext(ctx, node, append([]string{"openid4vp-verifier.mjs", "--allow-http"}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})
	return &npmVerifier{lines: bufio.NewScanner(stdout)}
}

// next reads the verifier's next line (the link, then the verdict); it
// returns when the process prints or exits.
func (v *npmVerifier) next(t *testing.T) verifierVerdict {
	t.Helper()
	if !v.lines.Scan() {
		t.Fatalf("the npm verifier ended without a line: %v", v.lines.Err())
	}
	var out verifierVerdict
	if err := json.Unmarshal(v.lines.Bytes(), &out); err != nil {
		t.Fatalf("npm verifier line %q: %v", v.lines.Text(), err)
	}
	return out
}
