package webrtc

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/media"
)

// BenchmarkBrowserLegs carries calls between two browser legs (each a
// DTLS-SRTP PeerConnection to a Go browser sending 50 packets a second),
// bridged as the call path bridges them, and measures the process's CPU
// per call in steady state. The Go browsers run in the same process, so
// the figure is for four PeerConnections per call, two of them the
// server's: calls/core-server counts the server's half.
func BenchmarkBrowserLegs(b *testing.B) {
	const calls = 25
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	api := loopbackAPI(b)
	var legs []*Leg
	for i := 0; i < calls; i++ {
		x, px := connectedLeg(b, ctx, api, 1000)
		y, py := connectedLeg(b, ctx, api, 2000)
		defer px.Close()
		defer py.Close()
		media.Bridge(x, y)
		legs = append(legs, x, y)
	}
	defer func() {
		for _, l := range legs {
			l.Close()
		}
	}()
	time.Sleep(time.Second) // let every stream reach steady state (a warm-up, not a synchronisation)
	var cpu, wall time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c0, w0 := cpuTime(), time.Now()
		time.Sleep(time.Second) // the measuring window
		cpu += cpuTime() - c0
		wall += time.Since(w0)
	}
	perCall := cpu.Seconds() / wall.Seconds() / calls // cores busy per call
	b.ReportMetric(perCall*100, "cpu-%-per-call")
	b.ReportMetric(1/perCall, "calls/core")
	b.ReportMetric(2/perCall, "calls/core-server")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
