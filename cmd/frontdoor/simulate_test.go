package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const simConfig = `number: "110"
identity: { mode: "off" }
agencies:
  - id: tax
    name: Tax
    digit: "1"
    queue: { wrapup_seconds: 0, service_level_seconds: 30, overflow: { to: civil, after_seconds: 60 } }
  - id: civil
    name: Civil
    digit: "2"
agents:
  - { id: "1001", password: pw1001, skills: { tax: 5 } }
  - { id: "1002", password: pw1002, skills: { tax: 5, civil: 5 } }
  - { id: "1003", password: pw1003, skills: { civil: 5 } }
`

func simFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func simulateCmd(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = runSimulate(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestSimulateJSON(t *testing.T) {
	cfg := simFile(t, "fd.yaml", simConfig)
	traffic := simFile(t, "traffic.yaml", "agencies:\n  tax: {calls_per_hour: 50, handle_seconds: 120, patience_seconds: 200}\n  civil: {calls_per_hour: 20, handle_seconds: 90, wrapup_seconds: 10}\n")
	code, out, errs := simulateCmd("-config", cfg, "-traffic", traffic, "-hours", "4", "-seed", "9", "-json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("not one JSON array: %v\n%s", err, out)
	}
	want := []string{"abandoned", "agency", "answered", "asa_seconds", "occupancy", "offered", "service_level", "waited"}
	var agencies []string
	for _, r := range rows {
		var keys []string
		for k := range r {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if !slices.Equal(keys, want) {
			t.Fatalf("keys %v, want exactly %v", keys, want)
		}
		agencies = append(agencies, r["agency"].(string))
		if off, ans := r["offered"].(float64), r["answered"].(float64); ans == 0 || ans > off {
			t.Errorf("%s: answered %v of %v offered", r["agency"], ans, off)
		}
		if sl := r["service_level"].(float64); sl < 0 || sl > 1 {
			t.Errorf("%s: service level %v", r["agency"], sl)
		}
	}
	if !slices.Equal(agencies, []string{"tax", "civil"}) {
		t.Fatalf("agencies %v, want tax then civil (config order)", agencies)
	}
	if _, again, _ := simulateCmd("-config", cfg, "-traffic", traffic, "-hours", "4", "-seed", "9", "-json"); again != out {
		t.Fatal("the same seed printed different figures")
	}
	code, text, _ := simulateCmd("-config", cfg, "-traffic", traffic, "-hours", "1")
	if code != 0 || !strings.Contains(text, "service_level") || !strings.Contains(text, "civil") {
		t.Fatalf("text output (exit %d):\n%s", code, text)
	}
}

func TestSimulateRefusals(t *testing.T) {
	cfg := simFile(t, "fd.yaml", simConfig)
	good := simFile(t, "traffic.yaml", "agencies:\n  tax: {calls_per_hour: 5, handle_seconds: 60}\n")
	badTraffic := simFile(t, "bad.yaml", "agencies:\n  tax: {calls_per_hour: 5, handle_secs: 60}\n")
	badConfig := simFile(t, "badcfg.yaml", strings.Replace(simConfig, "wrapup_seconds: 0", "wrapup_seconds: 0, strategy: fastest", 1))
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no traffic", []string{"-config", cfg}, 2, "-traffic FILE is required"},
		{"bad flag", []string{"-traffic", good, "-speed", "2"}, 2, "flag provided but not defined: -speed"},
		{"zero hours", []string{"-traffic", good, "-hours", "0"}, 2, "-hours must be more than 0"},
		{"stray argument", []string{"-traffic", good, "extra"}, 2, `unexpected argument "extra"`},
		{"missing traffic file", []string{"-config", cfg, "-traffic", good + ".nope"}, 1, "no such file"},
		{"unknown traffic key", []string{"-config", cfg, "-traffic", badTraffic}, 1, badTraffic + `: line 2: unknown key "handle_secs"`},
		{"bad config", []string{"-config", badConfig, "-traffic", good}, 1, badConfig + `:7: agencies[0].queue.strategy: unknown strategy "fastest"`},
		{"unknown agency", []string{"-config", cfg, "-traffic", simFile(t, "x.yaml", "agencies:\n  police: {calls_per_hour: 5, handle_seconds: 60}\n")}, 1, `traffic for agency "police"`},
	}
	for _, tc := range cases {
		code, out, errs := simulateCmd(tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.want) || out != "" {
			t.Errorf("%s: exit %d stderr %q stdout %q; want exit %d saying %q", tc.name, code, errs, out, tc.code, tc.want)
		}
	}
}

// The demo traffic runs against the demo config (no -config): every
// agency gets figures and every call is accounted for.
func TestSimulateDemoTraffic(t *testing.T) {
	code, out, errs := simulateCmd("-traffic", "../../routing/sim/testdata/demo-traffic.yaml", "-json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var rows []struct {
		Agency                       string
		Offered, Answered, Abandoned int
		Occupancy                    float64
	}
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 11 {
		t.Fatalf("%d agencies, want the demo's 11", len(rows))
	}
	for _, r := range rows {
		if r.Answered == 0 || r.Offered != r.Answered+r.Abandoned || r.Occupancy <= 0 || r.Occupancy >= 1 {
			t.Errorf("%+v: want answered calls, offered = answered + abandoned, occupancy in (0, 1)", r)
		}
	}
}
