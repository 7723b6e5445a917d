package etcdstore

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/cluster/etcdtest"
	"github.com/frontdoor-project/frontdoor/store"
)

var benchRun atomic.Int64

// benchStore is a store on its own prefix of c, so runs never collide.
func benchStore(b *testing.B, c *etcdtest.Cluster) *Store {
	return open(b, c.Endpoints(), fmt.Sprintf("/bench-%d", benchRun.Add(1)))
}

func benchCDR(i int) store.CDR {
	end := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second)
	answered := end.Add(-3 * time.Minute)
	return store.CDR{
		CallID: fmt.Sprintf("6f1c2a3e-%08d@127.0.0.1", i), StartedAt: answered.Add(-40 * time.Second),
		AnsweredAt: &answered, EndedAt: end, Number: "110", Agency: "health-insurance", Agent: "1006",
		Outcome: "answered", WaitSeconds: 31.2, TalkSeconds: 180,
		Identity: map[string]string{"given_name": "Minji", "family_name": "Kim", "birthdate": "1990-04-01"},
	}
}

// latencies collects per-operation durations for percentiles.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

func (l *latencies) report(b *testing.B, n int64, unit string) {
	if n == 0 {
		return
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), unit)
	slices.Sort(l.d)
	b.ReportMetric(float64(l.d[len(l.d)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(l.d[len(l.d)*99/100].Microseconds())/1000, "p99-ms")
}

// runWriters runs op b.N times from exactly writers goroutines (RunParallel
// would start a multiple of GOMAXPROCS) and reports rate and latency.
func runWriters(b *testing.B, writers int, unit string, op func(i int) error) {
	var next atomic.Int64
	var lat latencies
	var wg sync.WaitGroup
	b.ResetTimer()
	for range writers {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				began := time.Now()
				if err := op(int(i)); err != nil {
					b.Error(err)
					return
				}
				lat.add(time.Since(began))
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	lat.report(b, int64(len(lat.d)), unit)
}

// BenchmarkPutCDR prints CDRs written per second on a three-member cluster
// (each committed by a quorum, fsync'd, in its own transaction) and the
// latency of one write, for 1, 8, 32 and 128 concurrent writers.
func BenchmarkPutCDR(b *testing.B) {
	c := etcdtest.Start(b, 3)
	for _, writers := range []int{1, 8, 32, 128} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			s := benchStore(b, c)
			runWriters(b, writers, "cdrs/s", func(i int) error { return s.PutCDR(context.Background(), benchCDR(i)) })
		})
	}
}

// BenchmarkRegistrations prints re-REGISTERs stored per second (a lease grant
// and a leased put each) by 8 writers over 1,000 agents, and full listings of
// 1,000 registrations per second.
func BenchmarkRegistrations(b *testing.B) {
	c := etcdtest.Start(b, 3)
	reg := func(i int) store.Registration {
		return store.Registration{AgentID: fmt.Sprint(1000 + i%1000), Contact: fmt.Sprintf("sip:%d@127.0.0.1:5070", 1000+i%1000),
			Transport: "udp", Source: "127.0.0.1:5070", Expires: time.Now().Add(time.Hour)}
	}
	b.Run("put", func(b *testing.B) {
		s := benchStore(b, c)
		runWriters(b, 8, "regs/s", func(i int) error { return s.PutRegistration(context.Background(), reg(i)) })
	})
	b.Run("list-1000", func(b *testing.B) {
		s := benchStore(b, c)
		for i := range 1000 {
			if err := s.PutRegistration(context.Background(), reg(i)); err != nil {
				b.Fatal(err)
			}
		}
		runWriters(b, 1, "lists/s", func(int) error {
			regs, err := s.Registrations(context.Background())
			if err == nil && len(regs) != 1000 {
				err = fmt.Errorf("%d registrations, want 1000", len(regs))
			}
			return err
		})
	})
}
