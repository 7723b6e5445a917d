package cluster

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/routing"
)

// BenchmarkReplay: how long New takes to start a replica on a log of
// 100,000 entries, replaying all of it, and then from a snapshot of it
// plus a tail of 1,000 entries. Run with -benchtime=3x (each op is a node
// start); -etcd-tmpfs keeps the building of the log quick.
func BenchmarkReplay(b *testing.B) {
	const (
		entries   = 100_000
		perRecord = 9 // three calls' arrive, answered, agent_hangup
		agents    = 64
		tail      = 1_000
	)
	etcd := startEtcd(b, 1)
	cfg := benchRouting(agents)
	cli := etcd.client(b)
	prefix := "/replay"
	logKey := func(n int) string { return prefix + "/acd/log/bench/" + fmt.Sprint(n) }
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	put := func(n int, es []Entry) {
		val, err := json.Marshal(es)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := cli.Put(ctxT(b), logKey(n), string(val)); err != nil {
			b.Fatal(err)
		}
	}
	var logins []Entry
	for i := range agents {
		id := fmt.Sprintf("a%d", i)
		logins = append(logins, Entry{Node: "bench", Input: routing.Input{Kind: routing.InputLogin, AgentID: id, At: at}},
			Entry{Node: "bench", Input: routing.Input{Kind: routing.InputSetReady, AgentID: id, At: at}})
	}
	put(0, logins)
	// Each record holds whole calls, so records written concurrently (in
	// any order) still make calls that are offered, answered and ended.
	record := func(n int) []Entry {
		var es []Entry
		for k := range perRecord / 3 {
			c := n*perRecord/3 + k
			id, q, agent := fmt.Sprintf("c%d", c), fmt.Sprintf("q%d", c%agents), fmt.Sprintf("a%d", c%agents)
			t := at.Add(time.Duration(c) * time.Second)
			es = append(es, Entry{Node: "bench", Input: routing.Input{Kind: routing.InputArrive, At: t, Call: &routing.Call{ID: id, Queue: q}}},
				Entry{Node: "bench", Input: routing.Input{Kind: routing.InputAnswered, At: t, CallID: id, AgentID: agent}},
				Entry{Node: "bench", Input: routing.Input{Kind: routing.InputAgentHangup, At: t, CallID: id}})
		}
		return es
	}
	writeRecords := func(from, to int) {
		var wg sync.WaitGroup
		next := make(chan int)
		for range 16 {
			wg.Go(func() {
				for n := range next {
					put(n, record(n))
				}
			})
		}
		for n := from; n < to; n++ {
			next <- n
		}
		close(next)
		wg.Wait()
	}
	records := entries / perRecord
	built := time.Now()
	writeRecords(1, records+1)
	// The parent's own log is not printed once it has sub-benchmarks.
	about := fmt.Sprintf("log of %d entries in %d records (written in %v)", len(logins)+records*perRecord, records+1, time.Since(built).Round(time.Millisecond))
	noSnap := func(c *Config) { c.Prefix, c.SnapshotEvery = prefix, -1 }
	starts := 0
	var took time.Duration
	start := func(b *testing.B, tune func(*Config)) *replica {
		starts++
		t0 := time.Now()
		r := newReplica(b, etcd, fmt.Sprint("r", starts), cfg, tune)
		took += time.Since(t0)
		return r
	}
	report := func(b *testing.B) {
		b.ReportMetric(ms(took)/float64(b.N), "ms/start")
		b.Logf("%s: %d starts, %.0f ms each", about, b.N, ms(took)/float64(b.N))
		took = 0
	}
	b.Run("snapshot=none", func(b *testing.B) {
		for range b.N {
			r := start(b, noSnap)
			r.acd.Close()
		}
		report(b)
	})
	// A leader that snapshots at once, then a tail after the snapshot.
	leader := newReplica(b, etcd, "leader", cfg, func(c *Config) { c.Prefix, c.SnapshotEvery = prefix, entries/10 })
	snap := untilSnapshot(b, leader, 0)
	raw, err := encodeSnapshot(snap)
	if err != nil {
		b.Fatal(err)
	}
	leader.mu.Lock()
	t0 := time.Now()
	state, err := leader.acd.Engine().MarshalState()
	marshal := time.Since(t0)
	leader.mu.Unlock()
	if err != nil {
		b.Fatal(err)
	}
	writeRecords(records+1, records+1+tail/perRecord)
	about = fmt.Sprintf("snapshot at revision %d of %d entries (engine state %d bytes, marshalled in %v; %d bytes gzipped in etcd) + %d entries after it",
		snap.Rev, snap.Entries, len(state), marshal.Round(time.Microsecond), len(raw), tail/perRecord*perRecord)
	b.Run("snapshot=yes", func(b *testing.B) {
		for range b.N {
			r := start(b, func(c *Config) { c.Prefix = prefix })
			if r.acd.restored.Load() != 1 {
				b.Fatalf("node %s did not start from the snapshot", r.id)
			}
			sameState(b, leader, r)
			r.acd.Close()
		}
		report(b)
	})
}
