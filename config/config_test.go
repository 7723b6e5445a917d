package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/frontdoor-project/frontdoor/agents"
)

func TestDemoLoads(t *testing.T) {
	t.Chdir("..") // the demo resolves keys/ against config/, as `make run` does from the repo root
	cfg, err := Demo()
	jwks := filepath.Join("config", "keys", "issuer.jwks.json")
	if _, statErr := os.Stat(jwks); statErr != nil {
		// The identity work provides the demo issuer's keys; until it lands
		// the only acceptable problem is that file's absence.
		want := "config/demo.yaml:21: identity.issuers[0].jwks_file: cannot read config/keys/issuer.jwks.json: no such file or directory"
		if err == nil || err.Error() != want {
			t.Fatalf("demo without %s: got %v, want exactly %q", jwks, err, want)
		}
		t.Logf("SKIP rest: %s missing", jwks)
		return
	}
	if err != nil {
		t.Fatalf("demo: %v", err)
	}
	checkDemo(t, cfg)
}

func checkDemo(t *testing.T, cfg *Config) {
	t.Helper()
	if len(cfg.Agencies) != 11 {
		t.Fatalf("demo has %d agencies, want 11", len(cfg.Agencies))
	}
	digits := cfg.Digits()
	for _, d := range []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"} {
		if _, ok := digits[d]; !ok {
			t.Errorf("no agency on menu choice %q", d)
		}
	}
	covered := map[string]bool{}
	roles := map[string]int{}
	for _, a := range cfg.Agents {
		roles[a.Role]++
		for s := range a.Skills {
			covered[s] = true
		}
	}
	for _, ag := range cfg.Agencies {
		if !covered[ag.ID] {
			t.Errorf("agency %s has no skilled agent", ag.ID)
		}
		if ag.Queue.Strategy != "longest-idle" || ag.Queue.RingTimeoutSeconds != 15 || ag.Queue.WrapupSeconds != 5 {
			t.Errorf("agency %s queue = %+v", ag.ID, ag.Queue)
		}
	}
	if roles["supervisor"] == 0 || roles["admin"] == 0 {
		t.Errorf("demo roles %v lack a supervisor or admin", roles)
	}
	if a, ok := cfg.AgencyByNumber("126"); !ok || a.ID != "tax" {
		t.Errorf("126 -> %v %v, want tax", a, ok)
	}
	if lo, hi := cfg.RTPPortRange(); lo != 20000 || hi != 29999 {
		t.Errorf("RTP ports %d-%d", lo, hi)
	}
	if cfg.Number != "110" || cfg.Identity.Mode != ModeOffer || cfg.Path != DemoPath {
		t.Errorf("number %q mode %q path %q", cfg.Number, cfg.Identity.Mode, cfg.Path)
	}
}

const (
	minimalHead     = "number: \"110\"\nidentity: { mode: \"off\" }\n"
	minimalAgencies = "agencies:\n  - { id: tax, name: Tax, digit: \"1\", numbers: [\"126\"] }\n"
	minimalAgents   = "agents:\n  - { id: \"1001\", password: pw, skills: { tax: 5 } }\n"
	// minimal is the smallest valid config; agents come last so a test can
	// append agents (see withAgencies to append agencies). Lines 1..6.
	minimal = minimalHead + minimalAgencies + minimalAgents
)

// withAgencies is minimal with the agencies list last and extra appended to
// it, from line 7 on.
func withAgencies(extra string) string { return minimalHead + minimalAgents + minimalAgencies + extra }

func TestDefaults(t *testing.T) {
	cfg, err := Parse("testdata/min.yaml", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"listen.sip", cfg.Listen.SIP, DefaultSIPListen},
		{"listen.http", cfg.Listen.HTTP, DefaultHTTPListen},
		{"media.rtp_ports", cfg.Media.RTPPorts, DefaultRTPPorts},
		{"media.advertise_ip from listen.sip", cfg.Media.AdvertiseIP, "127.0.0.1"},
		{"media.rtp_timeout_seconds", cfg.Media.RTPTimeoutSeconds, 30},
		{"sip.realm", cfg.SIP.Realm, "frontdoor"},
		{"sip.max_calls", cfg.SIP.MaxCalls, 2000},
		{"identity.claims", strings.Join(cfg.Identity.Claims, ","), "given_name,family_name,birthdate"},
		{"identity.wait_seconds", cfg.Identity.WaitSeconds, 60},
		{"identity.status_list_ttl_seconds", cfg.Identity.StatusListTTLSeconds, 300},
		{"ivr.interdigit_timeout_ms", cfg.IVR.InterdigitTimeoutMS, 2000},
		{"ivr.menu_timeout_seconds", cfg.IVR.MenuTimeoutSeconds, 8},
		{"ivr.menu_retries", cfg.IVR.MenuRetries, 3},
		{"agents[0].role", cfg.Agents[0].Role, "agent"},
		{"agents[0].name", cfg.Agents[0].Name, "1001"},
		{"agencies[0].queue.strategy", cfg.Agencies[0].Queue.Strategy, "longest-idle"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if got := cfg.Resolve("keys/x.json"); got != filepath.Join("testdata", "keys", "x.json") {
		t.Errorf("Resolve = %q", got)
	}
	if _, ok := cfg.AgencyByID("nope"); ok {
		t.Error("AgencyByID(nope) found something")
	}
}

func TestPrefixDigitsAndHashedPasswordAccepted(t *testing.T) {
	hashed := agents.HashPassword("1002", "frontdoor", "s3cret")
	src := `number: "110"
identity:
  mode: require
  verifier_id: https://fd.example
  issuers: [{ iss: "https://id.example", jwks_file: keys/issuer.jwks.json }]
agencies:
  - { id: tax, name: Tax, digit: "1" }
  - { id: consumer, name: Consumer, digit: "10" }
  - { id: civil, name: Civil, digit: "*1" }
agents:
  - { id: "1002", password: "` + hashed + `", role: supervisor }
`
	cfg, err := Parse("testdata/ok.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := cfg.AgencyByDigit("10"); !ok || a.ID != "consumer" {
		t.Errorf("digit 10 -> %v", a)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "none.yaml"))
	if err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("got %v", err)
	}
	var ps Problems
	if errors.As(err, &ps) {
		t.Error("a missing file is not a Problems list")
	}
}

func TestLoadReportsUnderGivenPath(t *testing.T) {
	p := filepath.Join(t.TempDir(), "fd.yaml")
	if err := os.WriteFile(p, []byte(minimal+"bogus: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(p)
	want := p + `:7: unknown key "bogus" (known: agencies, agents, api, callback, cluster, identity, ivr, listen, media, number, recording, security, sip, tls)`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
}
