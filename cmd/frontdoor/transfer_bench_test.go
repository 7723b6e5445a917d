package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/config"
	"github.com/frontdoor-project/frontdoor/internal/testua"
)

// BenchmarkBlindTransfer measures, per call: the time from the agent's REFER
// (its 202) to the INVITE ringing the second agency's agent, and the node's CPU
// per transfer. Each iteration: a caller reaches the tax agent, who transfers to
// customs, whose agent answers; then the caller hangs up.
func BenchmarkBlindTransfer(b *testing.B) {
	rtpBase += 100
	dir := b.TempDir()
	port := 0
	for p := 41000; p < 42000; p++ {
		if portFree(p) {
			port = p
			break
		}
	}
	yaml := fmt.Sprintf(testConfig, port, rtpBase, rtpBase+99)
	path := filepath.Join(dir, "f.yaml")
	os.WriteFile(path, []byte(yaml), 0o600)
	cfg, err := config.Load(path)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n, err := build(ctx, cfg, filepath.Join(dir, "data"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() { n.Run(ctx); n.Close(); close(done) }()
	defer func() { cancel(); <-done }()
	tn := &testNode{Node: n, SIP: n.edge.Addr(), HTTP: "http://" + n.httpLn.Addr().String()}
	mk := func(id string, freq float64) *testua.Phone {
		p, err := testua.NewPhone(id)
		if err != nil {
			b.Fatal(err)
		}
		p.AutoAnswer = freq
		if code, err := p.Register(ctx, tn.SIP, "pw"+id, 300); err != nil || code != 200 {
			b.Fatalf("register %s: %d %v", id, code, err)
		}
		return p
	}
	tax, customs := mk("1001", 2000), mk("1002", 3000)
	defer tax.Close()
	defer customs.Close()
	caller, _ := testua.NewPhone("01012345678")
	defer caller.Close()
	for _, id := range []string{"1001", "1002"} {
		if err := n.sb.SetAgentState(ctx, id, "ready", ""); err != nil {
			b.Fatal(err)
		}
	}
	var ring time.Duration
	b.ResetTimer()
	cpu0 := processCPU()
	for i := 0; i < b.N; i++ {
		out, err := caller.Call(ctx, tn.SIP, "126", nil, 1000)
		if err != nil {
			b.Fatal(err)
		}
		first, err := tax.NextIncoming(ctx)
		if err != nil {
			b.Fatal(err)
		}
		out.RTP.WaitTone(ctx, 2000)
		start := time.Now()
		if code, err := first.Refer(ctx, "sip:customs@"+tn.SIP); err != nil || code != 202 {
			b.Fatalf("REFER: %d %v", code, err)
		}
		if _, err := customs.NextIncoming(ctx); err != nil {
			b.Fatal(err)
		}
		ring += time.Since(start)
		out.RTP.WaitTone(ctx, 3000)
		out.Hangup(ctx)
		for len(tax.Notifies) > 0 {
			<-tax.Notifies
		}
		// Both agents ready again (wrap-up 0) before the next call.
		for _, id := range []string{"1001", "1002"} {
			for st := ""; st != "ready"; {
				for _, a := range n.sb.Agents() {
					if a.ID == id {
						st = a.State
					}
				}
				if st != "ready" {
					time.Sleep(2 * time.Millisecond) // benchmark pacing only
				}
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(ring.Microseconds())/float64(b.N)/1000, "ms-REFER-to-ring")
	b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/call+transfer")
}

// processCPU is this process's user+system CPU time so far (the node runs in it;
// the test phones too, so the figure is an upper bound for the node alone).
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
