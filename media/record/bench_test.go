package record

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/media"
)

// feedCall feeds n 20 ms frames of each direction on the fake clock,
// never letting the queue overflow (the writer keeps up on a healthy
// disk; this measures cost, not a stalled disk).
func feedCall(r *Recorder, clock *fakeClock, caller, agent *talker, n int) {
	for range n {
		clock.advance(20 * time.Millisecond)
		r.FromCaller(caller.next())
		r.FromAgent(agent.next())
		for len(r.in) > cap(r.in)/2 {
			runtime.Gosched()
		}
	}
}

// TestFeedingDoesNotAllocate: the tap's hot path (FromCaller/FromAgent,
// called on the legs' reader goroutines) and the writer behind it
// allocate nothing per packet.
func TestFeedingDoesNotAllocate(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	r, _ := newRecorder(t, clock)
	defer r.Close()
	caller, agent := newTalker(callerHz, media.PCMU), newTalker(agentHz, media.PCMA)
	feedCall(r, clock, caller, agent, 200) // warm up
	const frames = 2000
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	feedCall(r, clock, caller, agent, frames)
	if err := r.Sync(); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	// Sync itself allocates its reply channel; a packet must cost nothing.
	if per := float64(after.Mallocs-before.Mallocs) / (2 * frames); per > 0.01 {
		t.Fatalf("%.3f allocations per recorded packet", per)
	}
}

// BenchmarkRecord measures recording a call: per op one 20 ms packet of
// each direction fed through FromCaller/FromAgent, decoded, placed and
// written by the writer goroutine to a real file. cpu-ns/pkt is the whole
// process's CPU per packet (writer included), feed-ns/pkt the time the
// caller of FromCaller spends (what the relay's hot path pays),
// bytes/call-second the files' growth. The feeder waits for the writer
// with Sync every second of call (one flush to the file, as FlushEvery
// does), never by spinning, so the CPU is the recorder's. A new file is
// started every 20 minutes of call, to keep the disk use bounded.
func BenchmarkRecord(b *testing.B) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	dir := b.TempDir()
	var (
		r       *Recorder
		files   int
		written int64
	)
	rotate := func() {
		if r != nil {
			if err := r.Close(); err != nil {
				b.Fatal(err)
			}
			if r.Dropped() != 0 {
				b.Fatalf("%d packets dropped", r.Dropped())
			}
			info, err := os.Stat(r.Path())
			if err != nil {
				b.Fatal(err)
			}
			written += info.Size()
			os.Remove(r.Path())
		}
		files++
		var err error
		if r, err = Create(filepath.Join(dir, fmt.Sprintf("bench-%d.wav", files)), Config{Now: clock.now}); err != nil {
			b.Fatal(err)
		}
	}
	rotate()
	// 1 and 2 kHz repeat every 20 ms frame: one packet per side, its
	// header advanced each time, keeps tone generation out of the figures.
	p, q := newTalker(callerHz, media.PCMU).next(), newTalker(agentHz, media.PCMA).next()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime(b)
	var feeding time.Duration
	n := 0
	for b.Loop() {
		clock.advance(20 * time.Millisecond)
		p.SequenceNumber, p.Timestamp = p.SequenceNumber+1, p.Timestamp+frame
		q.SequenceNumber, q.Timestamp = q.SequenceNumber+1, q.Timestamp+frame
		t0 := time.Now()
		r.FromCaller(p)
		r.FromAgent(q)
		feeding += time.Since(t0)
		switch n++; {
		case n%60000 == 0:
			rotate()
		case n%50 == 0:
			if err := r.Sync(); err != nil {
				b.Fatal(err)
			}
		}
	}
	rotate()
	cpu := cpuTime(b) - cpu0
	b.StopTimer()
	pkts := float64(2 * b.N)
	callSeconds := float64(b.N) * 0.020
	b.ReportMetric(float64(cpu.Nanoseconds())/pkts, "cpu-ns/pkt")
	b.ReportMetric(float64(feeding.Nanoseconds())/pkts, "feed-ns/pkt")
	b.ReportMetric(float64(written)/callSeconds, "bytes/call-second")
	r.Close()
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
