package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/config"
	"github.com/frontdoor-project/frontdoor/webrtc/webrtctest"
)

// BenchmarkSoftphoneAnswer measures the time from an agent's click on
// answer (the accept message leaving the page) to two-way audio: the
// caller's audio at the agent's page and the agent's tone at the caller's
// page, both browsers being pages in Go (pion, DTLS-SRTP) on loopback. As in
// a browser, media was negotiated while the call rang.
func BenchmarkSoftphoneAnswer(b *testing.B) {
	dir := b.TempDir()
	yaml := fmt.Sprintf(`
listen: { sip: "127.0.0.1:%d", http: "127.0.0.1:0" }
media: { rtp_ports: "40000-40999", advertise_ip: 127.0.0.1 }
number: "110"
identity: { mode: off }
agencies: [{ id: tax, name: Tax, digit: "1", queue: { wrapup_seconds: 0 } }]
agents: [{ id: "1001", name: A, password: pw1001, skills: { tax: 5 } }]
`, freePortB(b))
	cfg, err := config.Parse(filepath.Join(dir, "bench.yaml"), []byte(yaml))
	if err != nil {
		b.Fatal(err)
	}
	n, err := build(context.Background(), cfg, filepath.Join(dir, "data"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.Run(runCtx); n.Close(); close(done) }()
	defer func() { stop(); <-done }()
	base := "http://" + n.httpLn.Addr().String()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	res, err := http.Post(base+"/api/v1/login", "application/json", strings.NewReader(`{"id":"1001","password":"pw1001"}`))
	if err != nil {
		b.Fatal(err)
	}
	var login struct{ Token string }
	json.NewDecoder(res.Body).Decode(&login)
	res.Body.Close()
	token := login.Token
	agent, err := webrtctest.Dial(ctx, base, "/api/v1/ws/agent", token)
	if err != nil {
		b.Fatal(err)
	}
	defer agent.Close()
	if _, err := agent.Next(ctx, "hello"); err != nil {
		b.Fatal(err)
	}

	if err := n.sb.SetAgentState(ctx, "1001", "ready", ""); err != nil {
		b.Fatal(err)
	}
	var total, toAgent, toCaller time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		caller, err := webrtctest.Dial(ctx, base, "/api/v1/ws/call", "")
		if err != nil {
			b.Fatal(err)
		}
		caller.Tone, caller.Watch = 1000, 2000
		agent.Tone = 2000
		caller.Send(ctx, map[string]string{"type": "call", "agency": "tax"})
		inc, err := agent.Next(ctx, "incoming")
		if err != nil {
			b.Fatal(err)
		}
		<-agent.Connected() // a person takes longer to click than ICE to connect
		b.StartTimer()
		clicked := time.Now()
		agent.Send(ctx, map[string]string{"type": "accept", "call_id": inc.CallID})
		heardCaller, _, ok1 := agent.Heard(ctx)
		_, heardAgent, ok2 := caller.Heard(ctx)
		b.StopTimer()
		if !ok1 || !ok2 {
			b.Fatal("no two-way audio")
		}
		a, c := heardCaller.Sub(clicked), heardAgent.Sub(clicked)
		toAgent += a
		toCaller += c
		total += max(a, c)
		caller.Send(ctx, map[string]string{"type": "hangup"})
		if _, err := agent.Next(ctx, "ended"); err != nil {
			b.Fatal(err)
		}
		caller.Close()
		agent.Peer = nil
		waitReady(ctx, b, n, "1001") // no wrap-up: ready again at once
	}
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(b.N) }
	b.ReportMetric(per(total), "ms-answer-to-two-way")
	b.ReportMetric(per(toAgent), "ms-caller-heard-by-agent")
	b.ReportMetric(per(toCaller), "ms-agent-heard-by-caller")
}

// waitReady waits for an agent to be ready, watching the switchboard's events.
func waitReady(ctx context.Context, b *testing.B, n *Node, id string) {
	sub := n.sb.Subscribe(ctx)
	for {
		for _, a := range n.sb.Agents() {
			if a.ID == id && a.State == "ready" {
				return
			}
		}
		select {
		case <-sub:
		case <-ctx.Done():
			b.Fatalf("agent %s never ready again", id)
		}
	}
}
