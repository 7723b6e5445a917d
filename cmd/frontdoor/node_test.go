package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/config"
)

// testConfig is a small center: three agencies (one with a two-key choice), three
// agents, quick IVR timeouts, everything on 127.0.0.1 with ports picked by the OS.
const testConfig = `
listen: { sip: "127.0.0.1:%d", http: "127.0.0.1:0" }
media: { rtp_ports: "%d-%d", advertise_ip: 127.0.0.1, rtp_timeout_seconds: 10 }
number: "110"
api: { admin_token: "test-admin-token" }
identity: { mode: off }
ivr: { interdigit_timeout_ms: 700, menu_timeout_seconds: 4, menu_retries: 2 }
agencies:
  - { id: tax, name: National Tax Service, digit: "1", numbers: ["126"], queue: { ring_timeout_seconds: 3, wrapup_seconds: 0 } }
  - { id: customs, name: Korea Customs Service, digit: "2", numbers: ["125"], queue: { ring_timeout_seconds: 3, wrapup_seconds: 0 } }
  - { id: civil, name: Civil Affairs, digit: "10", numbers: ["15775000"], queue: { ring_timeout_seconds: 3, wrapup_seconds: 0 } }
agents:
  - { id: "1001", name: Kim Minji, password: "pw1001", role: agent, skills: { tax: 8 } }
  - { id: "1002", name: Lee Junho, password: "pw1002", role: agent, skills: { customs: 5, civil: 5 } }
  - { id: "1003", name: Park Sora, password: "pw1003", role: agent, skills: { tax: 5 } }
  - { id: "2001", name: Choi Supervisor, password: "pw2001", role: supervisor }
`

// testNode is a whole frontdoor running in-process on real sockets.
type testNode struct {
	*Node
	SIP, HTTP string
	Data      string
	cancel    context.CancelFunc
	done      chan struct{}
}

var rtpBase = 30000 + (os.Getpid()%200)*100

func startNode(t *testing.T, yaml string) *testNode {
	t.Helper()
	if yaml == "" {
		rtpBase += 100
		yaml = fmt.Sprintf(testConfig, freeSIPPort(t), rtpBase, rtpBase+99)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "frontdoor.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return startNodeWith(t, cfg, filepath.Join(dir, "data"))
}

func startNodeWith(t *testing.T, cfg *config.Config, data string) *testNode {
	t.Helper()
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, cancel := context.WithCancel(context.Background())
	n, err := build(ctx, cfg, data, log)
	if err != nil {
		cancel()
		t.Fatalf("build: %v", err)
	}
	tn := &testNode{Node: n, SIP: n.edge.Addr(), HTTP: "http://" + n.httpLn.Addr().String(), Data: data, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(tn.done)
		if err := n.Run(ctx); err != nil {
			t.Errorf("run: %v", err)
		}
		n.Close()
	}()
	t.Cleanup(tn.Stop)
	return tn
}

// Stop shuts the node down and waits for it.
func (n *testNode) Stop() {
	n.cancel()
	<-n.done
}

// freeSIPPort finds a port free for both UDP and TCP on 127.0.0.1.
func freeSIPPort(t *testing.T) int {
	t.Helper()
	for i := 0; i < 50; i++ {
		u, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := u.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		u.Close()
		if err == nil {
			l.Close()
			return port
		}
	}
	t.Fatal("no free SIP port")
	return 0
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// api calls the HTTP API with the admin token and decodes JSON into out.
func (n *testNode) api(t *testing.T, method, path string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, n.HTTP+path, rd)
	req.Header.Set("Authorization", "Bearer test-admin-token")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, res.StatusCode, raw, err)
		}
	}
	return res.StatusCode
}

// setReady puts an agent in the ready state through the API, as a supervisor would.
func (n *testNode) setReady(t *testing.T, id string) {
	t.Helper()
	if code := n.api(t, "PUT", "/api/v1/agents/"+id+"/state", map[string]string{"state": "ready"}, nil); code != 200 {
		t.Fatalf("set %s ready: HTTP %d", id, code)
	}
}

type agentView struct {
	ID, State, Reason string
	CurrentCall       string `json:"current_call"`
}

// waitAgent waits for an agent to reach a state, watching the live event stream.
func (n *testNode) waitAgent(t *testing.T, ctx context.Context, id, state string) agentView {
	t.Helper()
	sub := n.sb.Subscribe(ctx)
	for {
		var list []agentView
		n.api(t, "GET", "/api/v1/agents", nil, &list)
		for _, a := range list {
			if a.ID == id && a.State == state {
				return a
			}
		}
		select {
		case <-sub:
		case <-ctx.Done():
			t.Fatalf("agent %s never reached %s: %+v", id, state, list)
		}
	}
}

func timeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

type cdrView struct {
	CallID        string            `json:"call_id"`
	AnsweredAt    *time.Time        `json:"answered_at"`
	Number        string            `json:"number"`
	Agency        string            `json:"agency"`
	Agent         string            `json:"agent"`
	Outcome       string            `json:"outcome"`
	WaitSeconds   float64           `json:"wait_seconds"`
	TalkSeconds   float64           `json:"talk_seconds"`
	Identity      map[string]string `json:"identity"`
	TransferredTo string            `json:"transferred_to"`
}

// cdrs lists the stored CDRs through the API.
func (n *testNode) cdrs(t *testing.T) []cdrView {
	t.Helper()
	var list []cdrView
	since := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	if code := n.api(t, "GET", "/api/v1/cdrs?since="+since, nil, &list); code != 200 {
		t.Fatalf("GET cdrs: HTTP %d", code)
	}
	return list
}

// waitCDR waits for the CDR of callID ("" = any call), watching the event stream.
func (n *testNode) waitCDR(t *testing.T, ctx context.Context, callID string) cdrView {
	t.Helper()
	sub := n.sb.Subscribe(ctx)
	for {
		for _, c := range n.cdrs(t) {
			if callID == "" || c.CallID == callID {
				return c
			}
		}
		select {
		case <-sub:
		case <-ctx.Done():
			t.Fatalf("no CDR for call %q", callID)
		}
	}
}

// waitCDRs waits until at least count CDRs are stored, watching the event stream.
func (n *testNode) waitCDRs(t *testing.T, ctx context.Context, count int) []cdrView {
	t.Helper()
	sub := n.sb.Subscribe(ctx)
	for {
		if list := n.cdrs(t); len(list) >= count {
			return list
		}
		select {
		case <-sub:
		case <-ctx.Done():
			t.Fatalf("fewer than %d CDRs: %+v", count, n.cdrs(t))
		}
	}
}

// scrape reads /metrics as Prometheus would.
func (n *testNode) scrape(t *testing.T) string {
	t.Helper()
	res, err := http.Get(n.HTTP + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

// waitDone waits for done (a leg hung up, a call ended) or fails the test with why.
func waitDone(t *testing.T, ctx context.Context, done <-chan struct{}, why string) {
	t.Helper()
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatal(why)
	}
}
