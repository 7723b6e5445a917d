package metrics

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// needPromtool finds promtool, or skips (fails under CI=true).
func needPromtool(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool not found (Debian package prometheus) and CI=true")
		}
		t.Skip("SKIP: needs prometheus")
	}
	return path
}

// TestAlertRulesPassPromtool checks deploy/prometheus/alerts.yml and runs its
// unit tests: each alert fires on the figures it is for and not on healthy ones.
func TestAlertRulesPassPromtool(t *testing.T) {
	promtool := needPromtool(t)
	dir := filepath.Join("..", "deploy", "prometheus")
	for _, args := range [][]string{{"check", "rules", "alerts.yml"}, {"test", "rules", "alerts_test.yml"}} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "SUCCESS") {
			t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// metricRef finds frontdoor series names in PromQL.
var metricRef = regexp.MustCompile(`frontdoor_[a-z_]+`)

// clusterSeries are exported by clustered nodes only.
var clusterSeries = []string{"frontdoor_cluster_leader"}

// knownSeries is every series name a scrape offers, with the histogram
// suffixes PromQL uses.
func knownSeries(t *testing.T) map[string]bool {
	t.Helper()
	known := map[string]bool{}
	m := New(testAgencies)
	// Identity series appear with the first verification (their labels are not known before).
	m.IdentityVerification("web", "verified")
	m.IdentitySMS("webhook", "sent")
	// Cluster mode's own series (docs: deploy/README.md) exist only on a clustered node.
	for _, name := range clusterSeries {
		known[name] = true
	}
	for name, fam := range parse(t, scrape(t, m)) {
		known[name] = true
		if fam.GetType().String() == "HISTOGRAM" {
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				known[name+s] = true
			}
		}
	}
	return known
}

// TestDeployFilesNameOnlyRealSeries keeps the Grafana dashboard and the alert
// rules in step with the registry: a renamed metric fails here, not on a TV.
func TestDeployFilesNameOnlyRealSeries(t *testing.T) {
	known := knownSeries(t)
	raw, err := os.ReadFile(filepath.Join("..", "deploy", "grafana", "frontdoor.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		UID    string `json:"uid"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("grafana dashboard is not JSON: %v", err)
	}
	if dash.UID == "" || len(dash.Panels) < 10 {
		t.Fatalf("dashboard uid %q with %d panels", dash.UID, len(dash.Panels))
	}
	exprs := []string{}
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, q := range p.Targets {
			exprs = append(exprs, q.Expr)
		}
	}
	rules, err := os.ReadFile(filepath.Join("..", "deploy", "prometheus", "alerts.yml"))
	if err != nil {
		t.Fatal(err)
	}
	exprs = append(exprs, string(rules))
	seen := 0
	for _, e := range exprs {
		for _, name := range metricRef.FindAllString(e, -1) {
			seen++
			if !known[name] {
				t.Errorf("deploy files use %s, which no scrape offers", name)
			}
		}
	}
	if seen == 0 {
		t.Fatal("no frontdoor series found in the deploy files")
	}
}

// leaderRead is a center-wide gauge read as one value per agency however many
// nodes export it: max by (...) (name{...}).
var leaderRead = regexp.MustCompile(`max by \([a-z, ]+\) \((frontdoor_[a-z_]+)(\{[^}]*\})?\)`)

// TestDeployQueriesCountTheCenterOnce: in cluster mode the center-wide gauges
// (every frontdoor_queue_* gauge, frontdoor_agents, frontdoor_center_agents)
// come from the ACD leader, and from two nodes around a handover; a bare sum,
// or a vector match on agency, would count them twice or fail. Every use in
// the dashboard and the rules must go through max by.
func TestDeployQueriesCountTheCenterOnce(t *testing.T) {
	centerWide := map[string]bool{}
	for name, fam := range parse(t, scrape(t, New(testAgencies))) {
		if fam.GetType().String() == "GAUGE" && (strings.HasPrefix(name, "frontdoor_queue_") || name == "frontdoor_agents" || name == "frontdoor_center_agents") {
			centerWide[name] = true
		}
	}
	if len(centerWide) < 10 {
		t.Fatalf("only %d center-wide gauges found: %v", len(centerWide), centerWide)
	}
	dash, err := os.ReadFile(filepath.Join("..", "deploy", "grafana", "frontdoor.json"))
	if err != nil {
		t.Fatal(err)
	}
	rules, err := os.ReadFile(filepath.Join("..", "deploy", "prometheus", "alerts.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var exprs []string
	for _, m := range regexp.MustCompile(`"expr": ("(?:[^"\\]|\\.)*")`).FindAllStringSubmatch(string(dash), -1) {
		var e string
		if err := json.Unmarshal([]byte(m[1]), &e); err != nil {
			t.Fatal(err)
		}
		exprs = append(exprs, e)
	}
	var groups struct {
		Groups []struct {
			Rules []struct {
				Alert, Expr string
			}
		}
	}
	if err := yaml.Unmarshal(rules, &groups); err != nil {
		t.Fatalf("alerts.yml: %v", err)
	}
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			exprs = append(exprs, r.Expr)
		}
	}
	wrapped := 0
	for _, e := range exprs {
		wrapped += len(leaderRead.FindAllString(e, -1))
		for _, name := range metricRef.FindAllString(leaderRead.ReplaceAllString(e, ""), -1) {
			if centerWide[name] {
				t.Errorf("%s is read without max by (agency): %s", name, e)
			}
		}
	}
	if wrapped == 0 {
		t.Fatal("no center-wide gauge read through max by")
	}
}
