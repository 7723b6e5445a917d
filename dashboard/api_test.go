package dashboard

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/frontdoor-project/frontdoor/calls"
	"github.com/frontdoor-project/frontdoor/metrics"
)

func TestReadViews(t *testing.T) {
	e := newEnv(t)
	token := e.login("1001")

	resp, body := e.do("GET", "/api/v1/queues", token, "")
	wantSecurityHeaders(t, resp)
	queues := decode[[]map[string]any](t, body)
	if len(queues) != 2 || queues[0]["agency"] != "tax" || queues[0]["waiting"] != 2.0 || queues[0]["service_level"] != 0.7 {
		t.Errorf("queues: %s", body)
	}
	for _, k := range []string{"agency", "waiting", "oldest_wait_seconds", "agents", "offered", "answered", "abandoned", "service_level"} {
		if _, ok := queues[0][k]; !ok {
			t.Errorf("queue lacks contract field %q", k)
		}
	}

	_, body = e.do("GET", "/api/v1/agents", token, "")
	agents := decode[[]calls.AgentStatus](t, body)
	if len(agents) != 3 || agents[1].CurrentCall != "c-2" || agents[0].Skills["tax"] != 8 {
		t.Errorf("agents: %s", body)
	}

	// An agent sees calls, but a caller's identity only on its own call.
	_, body = e.do("GET", "/api/v1/calls", token, "")
	list := decode[[]calls.CallStatus](t, body)
	if len(list) != 2 || list[1].Identity != nil || !list[1].Verified {
		t.Errorf("agent 1001 sees calls %s; want c-2 verified with identity hidden", body)
	}
	_, body = e.do("GET", "/api/v1/calls", e.login("1002"), "")
	if list = decode[[]calls.CallStatus](t, body); list[1].Identity["given_name"] != "Minho" {
		t.Errorf("agent 1002 on c-2 does not see its caller: %s", body)
	}
	_, body = e.do("GET", "/api/v1/calls", e.login("2001"), "")
	if list = decode[[]calls.CallStatus](t, body); list[1].Identity["given_name"] != "Minho" {
		t.Errorf("supervisor does not see the identity: %s", body)
	}

	// Empty lists are [] not null.
	e.core.mu.Lock()
	e.core.calls = nil
	e.core.mu.Unlock()
	if _, body = e.do("GET", "/api/v1/calls", token, ""); strings.TrimSpace(string(body)) != "[]" {
		t.Errorf("no calls encodes as %s", body)
	}
}

func TestAgentStateChanges(t *testing.T) {
	e := newEnv(t)
	agent, other, sup := e.login("1001"), e.login("1002"), e.login("2001")

	resp, body := e.do("PUT", "/api/v1/agents/1001/state", agent, `{"state":"ready"}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("agent sets itself ready: %d %s", resp.StatusCode, body)
	}
	if got := decode[calls.AgentStatus](t, body); got.State != "ready" {
		t.Errorf("answer shows %s", body)
	}
	resp, body = e.do("PUT", "/api/v1/agents/1001/state", sup, `{"state":"not_ready","reason":"training"}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("supervisor sets 1001 not ready: %d %s", resp.StatusCode, body)
	}
	if got := decode[calls.AgentStatus](t, body); got.State != "not_ready" || got.Reason != "training" {
		t.Errorf("answer shows %s", body)
	}
	resp, _ = e.do("PUT", "/api/v1/agents/1001/state", e.login("9001"), `{"state":"logged_out"}`)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("admin sets 1001 logged out: %d", resp.StatusCode)
	}

	cases := []struct {
		name, token, path, body string
		status                  int
		code                    string
	}{
		{"agent for another agent", other, "/api/v1/agents/1001/state", `{"state":"ready"}`, http.StatusForbidden, "forbidden"},
		{"agent for an unknown id", agent, "/api/v1/agents/4242/state", `{"state":"ready"}`, http.StatusForbidden, "forbidden"},
		{"unknown agent", sup, "/api/v1/agents/4242/state", `{"state":"ready"}`, http.StatusNotFound, "unknown_agent"},
		{"state the core sets", sup, "/api/v1/agents/1001/state", `{"state":"busy"}`, http.StatusBadRequest, "bad_state"},
		{"made-up state", agent, "/api/v1/agents/1001/state", `{"state":"asleep"}`, http.StatusBadRequest, "bad_state"},
		{"no state", agent, "/api/v1/agents/1001/state", `{}`, http.StatusBadRequest, "bad_state"},
		{"reason too long", agent, "/api/v1/agents/1001/state", `{"state":"not_ready","reason":"` + strings.Repeat("z", 101) + `"}`, http.StatusBadRequest, "bad_reason"},
		{"bad JSON", agent, "/api/v1/agents/1001/state", `{"state":`, http.StatusBadRequest, "bad_json"},
		{"unknown field", agent, "/api/v1/agents/1001/state", `{"state":"ready","mood":"happy"}`, http.StatusBadRequest, "bad_json"},
		{"wrong type", agent, "/api/v1/agents/1001/state", `{"state":1}`, http.StatusBadRequest, "bad_json"},
		{"oversize", agent, "/api/v1/agents/1001/state", `{"state":"ready","reason":"` + strings.Repeat("z", maxJSONBody) + `"}`, http.StatusRequestEntityTooLarge, "too_large"},
		{"busy agent", sup, "/api/v1/agents/1002/state", `{"state":"ready"}`, http.StatusConflict, "state_conflict"},
	}
	for _, c := range cases {
		resp, body := e.do("PUT", c.path, c.token, c.body)
		t.Run(c.name, func(t *testing.T) { wantError(t, resp, body, c.status, c.code) })
	}
}

func TestUnknownPathsAndMethodsAnswerJSON(t *testing.T) {
	e := newEnv(t)
	resp, body := e.do("GET", "/api/v1/nope", "", "")
	wantError(t, resp, body, http.StatusNotFound, "not_found")
	resp, body = e.do("GET", "/nope.php", "", "")
	wantError(t, resp, body, http.StatusNotFound, "not_found")
	resp, body = e.do("DELETE", "/api/v1/queues", testAdminToken, "")
	wantError(t, resp, body, http.StatusMethodNotAllowed, "method_not_allowed")
	if allow := resp.Header.Get("Allow"); !strings.Contains(allow, "GET") {
		t.Errorf("405 Allow header %q", allow)
	}
	resp, body = e.do("GET", "/api/v1/login", "", "")
	wantError(t, resp, body, http.StatusMethodNotAllowed, "method_not_allowed")
	resp, body = e.do("GET", "/static/", "", "")
	wantError(t, resp, body, http.StatusNotFound, "not_found")
	resp, body = e.do("GET", "/static/nope.js", "", "")
	wantError(t, resp, body, http.StatusNotFound, "not_found")
}

func TestHealthReadinessAndMetrics(t *testing.T) {
	ready := errors.New("store not open")
	m := metrics.New([]string{"tax"})
	m.CallFinished("tax", "answered")
	e := newEnv(t, func(c *Config) {
		c.Ready = func() error { return ready }
		c.Metrics = m
	})
	resp, body := e.do("GET", "/healthz", "", "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"ok"`) {
		t.Errorf("healthz: %d %s", resp.StatusCode, body)
	}
	resp, body = e.do("GET", "/readyz", "", "")
	wantError(t, resp, body, http.StatusServiceUnavailable, "not_ready")
	ready = nil
	if resp, body = e.do("GET", "/readyz", "", ""); resp.StatusCode != http.StatusOK {
		t.Errorf("readyz once ready: %d %s", resp.StatusCode, body)
	}
	resp, body = e.do("GET", "/metrics", "", "")
	if resp.StatusCode != http.StatusOK ||
		!strings.Contains(string(body), `frontdoor_calls_total{agency="tax",outcome="answered"} 1`) {
		t.Errorf("metrics: %d\n%.400s", resp.StatusCode, body)
	}
	wantSecurityHeaders(t, resp)

	e2 := newEnv(t)
	resp, body = e2.do("GET", "/metrics", "", "")
	wantError(t, resp, body, http.StatusNotFound, "metrics_disabled")
}

func TestPagesAreServedWithTheirAssets(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/", "/agent", "/call"} {
		resp, body := e.do("GET", p, "", "")
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: %d %s", p, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		wantSecurityHeaders(t, resp)
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("%s CSP %q", p, csp)
		}
		if strings.Contains(string(body), "http://") || strings.Contains(string(body), "https://") {
			t.Errorf("%s refers to an external asset", p)
		}
		if !strings.Contains(string(body), `<html lang="en">`) {
			t.Errorf("%s lacks a language", p)
		}
	}
	for page, assets := range map[string][]string{
		"/": {"/static/session.js", "/static/supervisor.js", "/static/style.css",
			"/vendor/uplot/uPlot.iife.min.js", "/vendor/uplot/uPlot.min.css"},
		"/agent": {"/static/session.js", "/static/agent.js", "/static/style.css"},
	} {
		_, body := e.do("GET", page, "", "")
		for _, asset := range assets {
			if !strings.Contains(string(body), asset) {
				t.Errorf("%s does not load %s", page, asset)
			}
			resp, _ := e.do("GET", asset, "", "")
			if resp.StatusCode != http.StatusOK {
				t.Errorf("%s: %d", asset, resp.StatusCode)
			}
		}
	}
	// Vendored code ships with its licence; directories are not listed.
	if resp, body := e.do("GET", "/vendor/uplot/LICENSE", "", ""); resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "MIT License") {
		t.Errorf("uPlot licence: %d", resp.StatusCode)
	}
	for _, p := range []string{"/vendor/", "/vendor/uplot/", "/vendor/nope.js"} {
		resp, body := e.do("GET", p, "", "")
		wantError(t, resp, body, http.StatusNotFound, "not_found")
	}
}
