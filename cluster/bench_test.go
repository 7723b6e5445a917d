package cluster

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/routing"
)

// benchRouting gives each submitter its own queue and agent, so each one's
// arrive → offer → answer → hang-up cycle is a decision of its own.
func benchRouting(n int) routing.Config {
	var cfg routing.Config
	for i := range n {
		q := fmt.Sprintf("q%d", i)
		cfg.Queues = append(cfg.Queues, routing.QueueConfig{ID: q, RingTimeout: time.Hour})
		cfg.Agents = append(cfg.Agents, routing.AgentConfig{ID: fmt.Sprintf("a%d", i), Skills: map[string]int{q: 5}})
	}
	return cfg
}

// BenchmarkClusterDecision: routing decisions (Submits: arrive, answered,
// agent_hangup) per second through a 3-member etcd cluster and 3 replicas,
// with per-Submit latency percentiles. Each Submit returns only when the
// submitting replica has applied it.
func BenchmarkClusterDecision(b *testing.B) {
	const maxSubmitters = 64
	etcd := startEtcd(b, 3)
	var offers atomic.Int64
	count := func(c *Config) {
		c.OnApplied = func(e Entry, acts []routing.Action, err error) {
			for _, a := range acts {
				if a.Kind == routing.Offer {
					offers.Add(1)
				}
			}
		}
	}
	cfg := benchRouting(maxSubmitters)
	nodes := []*replica{newReplica(b, etcd, "n1", cfg, count), newReplica(b, etcd, "n2", cfg, count), newReplica(b, etcd, "n3", cfg, count)}
	for i := range maxSubmitters {
		login(nodes[i%3], fmt.Sprintf("a%d", i), true)
	}
	run := 0
	for _, submitters := range []int{1, 8, 32, 64} {
		b.Run(fmt.Sprintf("submitters=%d", submitters), func(b *testing.B) {
			run++
			cycles := (b.N + 2) / 3
			var next atomic.Int64
			lat := make([][]time.Duration, submitters)
			offers.Store(0)
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for w := range submitters {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := nodes[w%3]
					agent := fmt.Sprintf("a%d", w)
					for k := next.Add(1); k <= int64(cycles); k = next.Add(1) {
						call := fmt.Sprintf("r%d-w%d-%d", run, w, k)
						for _, in := range []routing.Input{
							{Kind: routing.InputArrive, Call: &routing.Call{ID: call, Queue: fmt.Sprintf("q%d", w)}},
							{Kind: routing.InputAnswered, CallID: call, AgentID: agent},
							{Kind: routing.InputAgentHangup, CallID: call},
						} {
							t0 := time.Now()
							if err := r.submit(in); err != nil {
								b.Errorf("submit %s: %v", in.Kind, err)
								return
							}
							lat[w] = append(lat[w], time.Since(t0))
						}
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			all := slices.Concat(lat...)
			slices.Sort(all)
			// Every replica applied every entry, and each arrive was offered.
			agree(b, nodes...)
			if got := offers.Load(); got != int64(3*cycles) {
				b.Fatalf("%d offers seen by 3 replicas for %d calls", got, cycles)
			}
			b.ReportMetric(float64(len(all))/elapsed.Seconds(), "decisions/s")
			b.ReportMetric(ms(all[len(all)/2]), "p50-ms")
			b.ReportMetric(ms(all[len(all)*99/100]), "p99-ms")
		})
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// BenchmarkLeaderFailover: time from the leader's crash (its etcd client
// gone, so its session lease must run out) to the next timer decision
// applied by a new leader. Arrivals, answers and hang-ups need no leader
// and go on throughout; only timers wait for the failover.
func BenchmarkLeaderFailover(b *testing.B) {
	etcd := startEtcd(b, 3)
	cfg := routing.Config{Queues: []routing.QueueConfig{{ID: "ann", AnnounceEvery: 100 * time.Millisecond}}}
	nodes := []*replica{newReplica(b, etcd, "n1", cfg), newReplica(b, etcd, "n2", cfg), newReplica(b, etcd, "n3", cfg)}
	var total time.Duration
	b.ResetTimer()
	for i := range b.N {
		old := leaderOf(b, nodes...)
		var alive []*replica
		for _, r := range nodes {
			if r != old {
				alive = append(alive, r)
			}
		}
		// A call held by a survivor waits and is announced every 100 ms:
		// a timer is always due.
		arrive(alive[0], fmt.Sprintf("wait%d", i), "ann")
		watcher := alive[1]
		from := len(watcher.records())
		died := time.Now()
		old.kill()
		watcher.until("an announcement by a new leader", func() bool {
			for _, rec := range watcher.log[from:] {
				if rec.Kind == routing.InputAdvance && rec.Node != old.id && len(rec.Acts) > 0 {
					return true
				}
			}
			return false
		})
		took := time.Since(died)
		total += took
		b.Logf("leader %s crashed; timers resumed after %v", old.id, took.Round(time.Millisecond))
		b.StopTimer()
		nodes = append(alive, newReplica(b, etcd, fmt.Sprintf("n%d", 4+i), cfg))
		b.StartTimer()
	}
	b.ReportMetric(ms(total)/float64(b.N), "failover-ms")
}
