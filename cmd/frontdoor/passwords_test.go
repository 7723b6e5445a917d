package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/agents"
)

func postLogin(t *testing.T, base, id, pw string) (*http.Response, map[string]string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"id": id, "password": pw})
	res, err := http.Post(base+"/api/v1/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]string
	json.NewDecoder(res.Body).Decode(&out)
	return res, out
}

// TestBcryptPasswordsAndLoginBackoff: an agent whose config password is a
// bcrypt hash logs into the web with its password and registers its SIP
// phone through sip_ha1; a guesser of its password gets 401 three times,
// then 429 login_backoff with Retry-After, even for the right password.
func TestBcryptPasswordsAndLoginBackoff(t *testing.T) {
	hash, err := agents.HashPasswordBcrypt("pw1001")
	if err != nil {
		t.Fatal(err)
	}
	ha1 := agents.HashPassword("1001", "frontdoor", "pw1001")
	rtpBase += 100
	yaml := strings.Replace(fmt.Sprintf(testConfig, freeSIPPort(t), rtpBase, rtpBase+99),
		`password: "pw1001"`, fmt.Sprintf(`password: %q, sip_ha1: %q`, hash, ha1), 1)
	n := startNode(t, yaml)
	ctx := timeout(t, 30*time.Second)

	if res, out := postLogin(t, n.HTTP, "1001", "pw1001"); res.StatusCode != 200 || out["token"] == "" {
		t.Fatalf("bcrypt login: %d %v", res.StatusCode, out)
	}
	p := newPhone(t, "1001")
	if code, err := p.Register(ctx, n.SIP, "pw1001", 300); err != nil || code != 200 {
		t.Fatalf("SIP register with sip_ha1: %d %v", code, err)
	}
	for i := range 3 {
		if res, out := postLogin(t, n.HTTP, "1001", "guess"); res.StatusCode != 401 || out["error"] != "unauthorized" {
			t.Fatalf("guess %d: %d %v", i+1, res.StatusCode, out)
		}
	}
	res, _ := postLogin(t, n.HTTP, "1001", "guess")
	if res.StatusCode != 401 {
		t.Fatalf("fourth guess: %d", res.StatusCode)
	}
	res, out := postLogin(t, n.HTTP, "1001", "pw1001")
	if res.StatusCode != http.StatusTooManyRequests || out["error"] != "login_backoff" || res.Header.Get("Retry-After") == "" {
		t.Fatalf("inside the back-off: %d %v Retry-After %q, want 429 login_backoff", res.StatusCode, out, res.Header.Get("Retry-After"))
	}
	// Another agent logs in meanwhile.
	if res, _ := postLogin(t, n.HTTP, "1002", "pw1002"); res.StatusCode != 200 {
		t.Fatalf("another agent: %d", res.StatusCode)
	}
}

// TestCheckConfigWarnsOfPlainPasswordsAndDemoKeys: plain-text passwords and
// the demo issuer's keys are warnings on stderr (FILE:LINE: warning: ...);
// the file is still ok (exit 0). A bcrypt or ha1 password is not warned of;
// a malformed bcrypt hash or a misplaced sip_ha1 is a problem (exit 1).
func TestCheckConfigWarnsOfPlainPasswordsAndDemoKeys(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"check-config", repoPath("config", "demo.yaml")}, &out, &errb); code != 0 || out.String() != "ok\n" {
		t.Fatalf("demo: exit %d, %q", code, out.String())
	}
	raw, err := os.ReadFile(repoPath("config", "demo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// The line of the first agent's password, wherever the demo file has it.
	line := 1 + strings.Count(string(raw[:strings.Index(string(raw), "password:")]), "\n")
	for _, want := range []string{fmt.Sprintf("demo.yaml:%d: warning: agents[0].password: plain text", line), "warning: identity.issuers[0].jwks_file: the demo issuer's keys"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errb.String())
		}
	}

	hash, _ := agents.HashPasswordBcrypt("x")
	dir := t.TempDir()
	base := fmt.Sprintf(testConfig, 5060, 20000, 20099)
	for name, c := range map[string]struct {
		from, to string
		code     int
		want     string
	}{
		"hashed":             {`password: "pw1001"`, fmt.Sprintf("password: %q", hash), 0, ""},
		"bad bcrypt":         {`password: "pw1001"`, `password: "$2a$04$short"`, 1, "agents[0].password: bcrypt"},
		"sip_ha1 with plain": {`password: "pw1001"`, `password: "pw1001", sip_ha1: "ha1:x"`, 1, "agents[0].sip_ha1: only for a bcrypt password"},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".yaml")
		os.WriteFile(path, []byte(strings.Replace(base, c.from, c.to, 1)), 0o600)
		out.Reset()
		errb.Reset()
		code := run([]string{"check-config", path}, &out, &errb)
		if code != c.code || !strings.Contains(out.String(), c.want) {
			t.Errorf("%s: exit %d %q, want %d with %q", name, code, out.String(), c.code, c.want)
		}
		if name == "hashed" && strings.Contains(errb.String(), "agents[0].password") {
			t.Errorf("a bcrypt password warned of: %s", errb.String())
		}
	}
}
