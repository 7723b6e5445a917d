package interop

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/identity"
	"github.com/frontdoor-project/frontdoor/identity/wallet"
)

const (
	iss = "https://id.example"
	aud = "https://frontdoor.example"
)

// needNode skips (or, under CI=true, fails) when the independent
// implementation cannot run.
func needNode(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	missing := ""
	switch {
	case err != nil:
		missing = "node (Debian package nodejs)"
	default:
		for _, pkg := range []string{"@sd-jwt/sd-jwt-vc", "@openid4vc/openid4vp", "@animo-id/mdoc", "jose"} {
			if _, err := os.Stat(filepath.Join("node_modules", pkg, "package.json")); err != nil {
				missing = "identity/interop/node_modules (run identity/interop/setup.sh)"
			}
		}
	}
	if missing != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("needs %s", missing)
		}
		t.Skipf("SKIP: needs %s", missing)
	}
	return node
}

// runNode runs interop.mjs and decodes its JSON output; ok is its exit
// status. Options are passed as --name=value: a base64url nonce may start
// with "-", which node's parseArgs would take for an option.
func runNode(t *testing.T, node string, out any, args ...string) (ok bool) {
	t.Helper()
	return runScript(t, node, "interop.mjs", out, args...)
}

// runScript runs one of this directory's node scripts, which print one
// JSON value on stdout whatever the outcome.
func runScript(t *testing.T, node, script string, out any, args ...string) (ok bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, append([]string{script}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if _, exit := err.(*exec.ExitError); err != nil && !exit {
		t.Fatalf("node: %v", err)
	}
	if jerr := json.Unmarshal(stdout.Bytes(), out); jerr != nil {
		t.Fatalf("node output %q (stderr %q): %v", stdout.String(), stderr.String(), jerr)
	}
	return err == nil
}

// Credentials issued and presented by sd-jwt-js are accepted by our verifier.
func TestOurVerifierAcceptsTheirPresentation(t *testing.T) {
	node := needNode(t)
	for _, alg := range []string{"ES256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			nonce := newNonce(t)
			var issued struct {
				Presentation string          `json:"presentation"`
				JWKS         json.RawMessage `json:"jwks"`
			}
			if !runNode(t, node, &issued, "issue-present", "--alg="+alg, "--iss="+iss, "--nonce="+nonce, "--aud="+aud) {
				t.Fatal("node issue-present failed")
			}
			keys, err := identity.ParseJWKS(issued.JWKS)
			if err != nil {
				t.Fatalf("their JWKS: %v", err)
			}
			verifier := func(audience string) *identity.Verifier {
				v, err := identity.NewVerifier(identity.VerifierConfig{Audience: audience, Issuers: []identity.IssuerKeys{{Issuer: iss, Keys: keys}}})
				if err != nil {
					t.Fatal(err)
				}
				return v
			}
			got, err := verifier(aud).Verify(context.Background(), []byte(issued.Presentation), nonce)
			if err != nil {
				t.Fatalf("our verifier refused sd-jwt-js's presentation: %v", err)
			}
			if got.Claims["given_name"] != "Minji" || got.Claims["birthdate"] != "1990-05-17" || got.Claims["nationality"] != nil {
				t.Fatalf("claims %v: want the three disclosed, nationality withheld", got.Claims)
			}
			// The same presentation under another nonce or audience is refused:
			// the checks really ran on the foreign input.
			_, err = verifier(aud).Verify(context.Background(), []byte(issued.Presentation), newNonce(t))
			wantCode(t, err, identity.CodeWrongNonce)
			_, err = verifier("https://other.example").Verify(context.Background(), []byte(issued.Presentation), nonce)
			wantCode(t, err, identity.CodeWrongAudience)
		})
	}
}

func newNonce(t *testing.T) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if r, ok := identity.AsRefusal(err); !ok || r.Code != code {
		t.Fatalf("got %v, want refusal %s", err, code)
	}
}

// Presentations made by our wallet are accepted by sd-jwt-js.
func TestTheirVerifierAcceptsOurPresentation(t *testing.T) {
	node := needNode(t)
	for _, alg := range []string{"ES256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			issuerKey, err := wallet.NewKey(alg)
			if err != nil {
				t.Fatal(err)
			}
			w, err := wallet.Issue(issuerKey, wallet.IssueParams{Issuer: iss, IssuedAt: time.Now(), HolderAlg: alg,
				Claims: map[string]any{"given_name": "Minji", "family_name": "Kim", "birthdate": "1990-05-17", "nationality": "KR"}})
			if err != nil {
				t.Fatal(err)
			}
			pres, err := w.Present([]string{"given_name", "birthdate"}, "n-42", aud, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			jwks, _ := json.Marshal(wallet.PublicSet(issuerKey))
			var res struct {
				Verified bool           `json:"verified"`
				Error    string         `json:"error"`
				Claims   map[string]any `json:"claims"`
				Header   map[string]any `json:"header"`
			}
			if !runNode(t, node, &res, "verify", "--jwks="+string(jwks), "--nonce="+"n-42", "--aud="+aud, "--presentation="+pres) || !res.Verified {
				t.Fatalf("sd-jwt-js refused our presentation: %s", res.Error)
			}
			if res.Claims["given_name"] != "Minji" || res.Claims["birthdate"] != "1990-05-17" {
				t.Fatalf("their claims %v", res.Claims)
			}
			if _, ok := res.Claims["family_name"]; ok {
				t.Fatal("family_name was not disclosed but sd-jwt-js sees it")
			}
			if res.Header["typ"] != "dc+sd-jwt" {
				t.Fatalf("typ %v", res.Header["typ"])
			}
			// Their verifier is no rubber stamp: another nonce is refused.
			if runNode(t, node, &res, "verify", "--jwks="+string(jwks), "--nonce="+"other", "--aud="+aud, "--presentation="+pres) {
				t.Fatal("sd-jwt-js accepted our presentation for another nonce")
			}
		})
	}
}
