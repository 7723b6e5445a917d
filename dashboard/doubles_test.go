package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/calls"
)

// core is a test double of the call core behind calls.View: the HTTP edge
// is tested against it; the real Switchboard is tested end to end by calls.
type core struct {
	mu     sync.Mutex
	agents []calls.AgentStatus
	queues []calls.QueueStatus
	calls  []calls.CallStatus
	subs   map[chan calls.Event]struct{}

	subscribed   chan struct{} // one value per Subscribe
	unsubscribed chan struct{} // one value per subscription ended
}

func newCore() *core {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	return &core{
		agents: []calls.AgentStatus{
			{ID: "1001", Name: "Kim Minji", Role: "agent", State: "not_ready", Since: t0, Skills: map[string]int{"tax": 8}},
			{ID: "1002", Name: "Lee Jun", Role: "agent", State: "busy", Since: t0, Skills: map[string]int{"police": 5}, CurrentCall: "c-2"},
			{ID: "2001", Name: "Park Sora", Role: "supervisor", State: "logged_out", Since: t0},
		},
		queues: []calls.QueueStatus{
			{Agency: "tax", Name: "National Tax Service", Waiting: 2, OldestWaitSeconds: 31, Offered: 10, Answered: 7, Abandoned: 1, ServiceLevel: 0.7,
				Agents: map[string]int{"logged_out": 0, "not_ready": 1, "ready": 0, "ringing": 0, "busy": 0, "wrap_up": 0}},
			{Agency: "police", Name: "Police", Agents: map[string]int{"busy": 1}},
		},
		calls: []calls.CallStatus{
			{ID: "c-1", Number: "110", Agency: "tax", State: "queued", StartedAt: t0},
			{ID: "c-2", Number: "110", Agency: "police", State: "connected", Agent: "1002", StartedAt: t0,
				Verified: true, Identity: map[string]string{"given_name": "Minho", "family_name": "Choi"}},
		},
		subs:         map[chan calls.Event]struct{}{},
		subscribed:   make(chan struct{}, 16),
		unsubscribed: make(chan struct{}, 16),
	}
}

func (c *core) Queues() []calls.QueueStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]calls.QueueStatus(nil), c.queues...)
}

func (c *core) Agents() []calls.AgentStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]calls.AgentStatus(nil), c.agents...)
}

func (c *core) Calls() []calls.CallStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]calls.CallStatus(nil), c.calls...)
}

// SetAgentState follows the core's rules closely enough for the edge: a
// busy agent cannot be made ready or not ready by hand.
func (c *core) SetAgentState(ctx context.Context, id, state, reason string) error {
	c.mu.Lock()
	var changed calls.AgentStatus
	found := false
	for i := range c.agents {
		a := &c.agents[i]
		if a.ID != id {
			continue
		}
		if a.State == "busy" && state != "logged_out" {
			c.mu.Unlock()
			return fmt.Errorf("agent %s is busy: %w", id, calls.ErrBadState)
		}
		a.State, a.Reason = state, reason
		changed, found = *a, true
	}
	c.mu.Unlock()
	if !found {
		return fmt.Errorf("agent %q: %w", id, calls.ErrUnknownAgent)
	}
	c.publish(calls.Event{Type: "agent", Data: changed})
	return nil
}

func (c *core) Subscribe(ctx context.Context) <-chan calls.Event {
	ch := make(chan calls.Event, 16)
	c.mu.Lock()
	c.subs[ch] = struct{}{}
	c.mu.Unlock()
	c.subscribed <- struct{}{}
	go func() {
		<-ctx.Done()
		c.mu.Lock()
		delete(c.subs, ch)
		c.mu.Unlock()
		close(ch)
		c.unsubscribed <- struct{}{}
	}()
	return ch
}

func (c *core) publish(ev calls.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for ch := range c.subs {
		ch <- ev
	}
}

// directory is a test double of agents.Directory.
type directory map[string][2]string // id -> password, role

func (d directory) CheckPassword(id, pw string) bool {
	e, ok := d[id]
	return ok && e[0] == pw
}

func (d directory) Role(id string) (string, bool) {
	e, ok := d[id]
	return e[1], ok
}

var testDirectory = directory{
	"1001": {"pw-1001", "agent"},
	"1002": {"pw-1002", "agent"},
	"2001": {"pw-2001", "supervisor"},
	"9001": {"pw-9001", "admin"},
}

const testAdminToken = "admin-token-0123456789abcdef"

// fakeClock is a settable clock for token expiry.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// env is one server on a real 127.0.0.1 listener with its doubles.
type env struct {
	t      *testing.T
	srv    *httptest.Server
	server *Server
	core   *core
	clock  *fakeClock
	cdrs   *cdrList
	id     *verifier
}

func newEnv(t *testing.T, tweak ...func(*Config)) *env {
	t.Helper()
	e := &env{t: t, core: newCore(), clock: &fakeClock{now: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)},
		cdrs: &cdrList{}, id: newVerifier()}
	cfg := Config{View: e.core, Directory: testDirectory, CDRs: e.cdrs, Identity: e.id,
		AdminToken: testAdminToken, Clock: e.clock}
	for _, f := range tweak {
		f(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	e.srv = httptest.NewServer(s)
	// As serve does on shutdown: end the event streams, then close.
	t.Cleanup(func() { s.CloseStreams(); e.srv.Close() })
	e.server = s
	return e
}

// do sends one request; token "" sends no Authorization header.
func (e *env) do(method, path, token, body string, header ...string) (*http.Response, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp, b
}

// login returns a fresh token for id.
func (e *env) login(id string) string {
	e.t.Helper()
	resp, body := e.do("POST", "/api/v1/login", "", fmt.Sprintf(`{"id":%q,"password":%q}`, id, testDirectory[id][0]))
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("login %s: %d %s", id, resp.StatusCode, body)
	}
	var lr loginResponse
	if err := json.Unmarshal(body, &lr); err != nil {
		e.t.Fatal(err)
	}
	return lr.Token
}

// wantError checks a refusal: status, JSON body {"error","detail"}, headers.
func wantError(t *testing.T, resp *http.Response, body []byte, status int, code string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d; body %s", resp.StatusCode, status, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("error content type %q, want JSON", ct)
	}
	var ae apiError
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ae); err != nil {
		t.Fatalf("error body is not {error,detail}: %v: %s", err, body)
	}
	if ae.Error != code {
		t.Errorf("error code %q, want %q (detail %q)", ae.Error, code, ae.Detail)
	}
	if ae.Detail == "" {
		t.Errorf("error %q has no detail", code)
	}
	if strings.Contains(string(body), "goroutine") || strings.Contains(string(body), ".go:") {
		t.Errorf("error body leaks internals: %s", body)
	}
	wantSecurityHeaders(t, resp)
}

func wantSecurityHeaders(t *testing.T, resp *http.Response) {
	t.Helper()
	for h, v := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"} {
		if got := resp.Header.Get(h); got != v {
			t.Errorf("%s: %q, want %q", h, got, v)
		}
	}
	if resp.Header.Get("Content-Security-Policy") == "" {
		t.Error("no Content-Security-Policy")
	}
}

func decode[T any](t *testing.T, body []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("decode %T: %v: %s", v, err, body)
	}
	return v
}
