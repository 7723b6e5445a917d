package cluster

import (
	"fmt"
	"math/rand/v2"
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

// openLanes bounds the Submits in flight in the open-loop benchmark: enough
// that 3,000 decisions/s find a free lane while each takes up to 85 ms.
const openLanes = 256

// lane is one agent and queue whose calls go arrive → answered →
// agent_hangup, one Submit at a time; its place in the cycle carries over
// from one offered rate to the next.
type lane struct {
	r            *replica
	queue, agent string
	call         string
	step, calls  int
}

func (l *lane) next(tag string) routing.Input {
	defer func() { l.step = (l.step + 1) % 3 }()
	switch l.step {
	case 0:
		l.calls++
		l.call = fmt.Sprintf("%s-%s-%d", tag, l.agent, l.calls)
		return routing.Input{Kind: routing.InputArrive, Call: &routing.Call{ID: l.call, Queue: l.queue}}
	case 1:
		return routing.Input{Kind: routing.InputAnswered, CallID: l.call, AgentID: l.agent}
	default:
		return routing.Input{Kind: routing.InputAgentHangup, CallID: l.call}
	}
}

// applyLatency collects, per replica, the time from an entry's Submit
// (its Input.At) to the moment that replica applied it.
type applyLatency struct {
	mu             sync.Mutex
	own, followers []time.Duration
}

func (l *applyLatency) hook(node string) func(*Config) {
	return func(c *Config) {
		c.OnApplied = func(e Entry, _ []routing.Action, err error) {
			if e.Replayed || e.Input.Kind == NodeLost || e.Input.Kind == routing.InputAdvance {
				return
			}
			d := time.Since(e.Input.At)
			l.mu.Lock()
			if e.Node == node {
				l.own = append(l.own, d)
			} else {
				l.followers = append(l.followers, d)
			}
			l.mu.Unlock()
		}
	}
}

func (l *applyLatency) reset() {
	l.mu.Lock()
	l.own, l.followers = l.own[:0], l.followers[:0]
	l.mu.Unlock()
}

func (l *applyLatency) followerP99() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return quantile(slices.Clone(l.followers), 0.99)
}

// quantile sorts d and returns its q-quantile (0 for none).
func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[min(len(d)-1, int(float64(len(d))*q))]
}

// BenchmarkClusterOpenLoop: routing decisions offered at a fixed rate
// (Poisson arrivals, b.N of them) to three replicas on a 3-member etcd, as
// calls arrive at a center regardless of how fast it answers. Each decision's
// latency runs from its scheduled arrival to its Submit's return (the
// submitting replica applied it), so time spent waiting for a free lane
// counts too. follower-p99-ms: Submit to apply at the other two replicas.
// cpu-µs/decision is the CPU the whole process (replicas and etcd members)
// used per decision; runq-wait-s/s how long its threads, summed, waited for
// a core per second, i.e. how much the rest of the box held it back;
// wal-fsync-ms and backend-commit-ms are etcd's own mean disk latencies.
// Run with -benchtime 10000x or more for a stable p99.
func BenchmarkClusterOpenLoop(b *testing.B) {
	etcd := startEtcd(b, 3)
	ids := []string{"n1", "n2", "n3"}
	seen := make([]*applyLatency, len(ids))
	var nodes []*replica
	cfg := benchRouting(openLanes)
	for i, id := range ids {
		seen[i] = &applyLatency{}
		nodes = append(nodes, newReplica(b, etcd, id, cfg, seen[i].hook(id)))
	}
	lanes := make([]*lane, openLanes)
	for i := range lanes {
		lanes[i] = &lane{r: nodes[i%3], queue: fmt.Sprintf("q%d", i), agent: fmt.Sprintf("a%d", i)}
		login(lanes[i].r, lanes[i].agent, true)
	}
	run := 0
	for _, rate := range []int{1000, 2000, 2500, 3000} {
		b.Run(fmt.Sprintf("offered=%d", rate), func(b *testing.B) {
			run++
			tag := fmt.Sprintf("o%d", run)
			for _, s := range seen {
				s.reset()
			}
			due := make(chan time.Time, openLanes)
			lat := make([][]time.Duration, openLanes)
			var failed atomic.Int64
			var wg sync.WaitGroup
			for i, l := range lanes {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for at := range due {
						if err := l.r.submit(l.next(tag)); err != nil {
							failed.Add(1)
							b.Errorf("node %s: %v", l.r.id, err)
							continue
						}
						lat[i] = append(lat[i], time.Since(at))
					}
				}()
			}
			rng := rand.New(rand.NewPCG(uint64(rate), uint64(b.N)))
			b.ResetTimer()
			start, startTimes, startDisk := time.Now(), readProcTimes(), readEtcdDisk()
			at := start
			for range b.N {
				at = at.Add(time.Duration(rng.ExpFloat64() / float64(rate) * float64(time.Second)))
				if d := time.Until(at); d > 0 {
					time.Sleep(d)
				}
				due <- at
			}
			close(due)
			wg.Wait()
			elapsed, used := time.Since(start), readProcTimes().since(startTimes)
			b.StopTimer()
			agree(b, nodes...)
			all := slices.Concat(lat...)
			if len(all) == 0 {
				b.Fatalf("no decision completed (%d failed)", failed.Load())
			}
			var follower time.Duration
			for _, s := range seen {
				follower = max(follower, s.followerP99())
			}
			b.ReportMetric(float64(len(all))/elapsed.Seconds(), "decisions/s")
			b.ReportMetric(ms(quantile(all, 0.50)), "p50-ms")
			b.ReportMetric(ms(quantile(all, 0.99)), "p99-ms")
			b.ReportMetric(ms(all[len(all)-1]), "max-ms")
			b.ReportMetric(ms(follower), "follower-p99-ms")
			b.ReportMetric(float64(used.cpu.Microseconds())/float64(len(all)), "cpu-µs/decision")
			b.ReportMetric(used.runqWait.Seconds()/elapsed.Seconds(), "runq-wait-s/s")
			fsyncMs, commitMs := readEtcdDisk().meansSince(startDisk)
			b.ReportMetric(fsyncMs, "wal-fsync-ms")
			b.ReportMetric(commitMs, "backend-commit-ms")
			b.ReportMetric(0, "ns/op")
		})
	}
}
