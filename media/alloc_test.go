package media

import (
	"runtime"
	"testing"
	"time"
)

// TestBridgeRelayDoesNotAllocate relays packets over real sockets and
// counts heap allocations across the whole process: the hot path (read,
// source check, parse, sink, rewrite, transcode, send) must not allocate.
func TestBridgeRelayDoesNotAllocate(t *testing.T) {
	if testing.Short() {
		t.Skip("counts process-wide allocations")
	}
	pool := testPool(t)
	c := newCall(t, pool, &Stats{}, viaBridge, 0)
	defer c.close()
	send := func(n int) {
		base := c.agent.got.Load()
		deadline := time.Now().Add(10 * time.Second)
		wait := func(upTo uint64) {
			for c.agent.got.Load() < upTo {
				if time.Now().After(deadline) {
					t.Fatalf("relayed %d of %d", c.agent.got.Load()-base, n)
				}
				runtime.Gosched()
			}
		}
		for i := range n {
			if i >= 32 {
				wait(base + uint64(i-32)) // a window in flight, never an overrun
			}
			if err := c.caller.send(); err != nil {
				t.Fatal(err)
			}
		}
		wait(base + uint64(n))
	}
	send(100) // warm up: first-packet paths, logger, timers
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	const n = 2000
	send(n)
	runtime.ReadMemStats(&after)
	if per := float64(after.Mallocs-before.Mallocs) / n; per > 0.05 {
		t.Fatalf("%.2f allocations per relayed packet", per)
	}
}
