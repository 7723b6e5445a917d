package sim

import (
	"fmt"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/routing"
)

// erlangC is the probability that a call waits in an M/M/c queue with
// offered load a Erlangs, and the mean wait of all calls.
func erlangC(c int, a, handle float64) (pWait, meanWait float64) {
	term, sum := 1.0, 0.0 // a^k/k!
	for k := range c {
		sum += term
		term *= a / float64(k+1)
	}
	top := term * float64(c) / (float64(c) - a)
	pWait = top / (sum + top)
	return pWait, pWait * handle / (float64(c) - a)
}

func staffed(queue string, n int) routing.Config {
	cfg := routing.Config{Queues: []routing.QueueConfig{{ID: queue}}}
	for i := range n {
		cfg.Agents = append(cfg.Agents, routing.AgentConfig{ID: fmt.Sprintf("a%d", i), Skills: map[string]int{queue: 5}})
	}
	return cfg
}

func TestErlangCProbe(t *testing.T) {
	const c, handle = 10, 180.0
	for _, load := range []float64{0.5, 0.7, 0.85, 0.95} {
		for _, hours := range []float64{2000, 20000} {
			a := load * c
			tr := Traffic{Agencies: map[string]Demand{"q": {CallsPerHour: a * 3600 / handle, HandleSeconds: handle}}}
			start := time.Now()
			res, err := Run(staffed("q", c), tr, Options{Hours: hours, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			r := res[0]
			p, w := erlangC(c, a, handle)
			gp := float64(r.Waited) / float64(r.Answered)
			t.Logf("load %.2f hours %v calls %d: P(wait) %.4f vs %.4f (%.2f%%), wait %.2f vs %.2f (%.2f%%) occ %.3f in %v",
				load, hours, r.Answered, gp, p, 100*(gp/p-1), r.ASASeconds, w, 100*(r.ASASeconds/w-1), r.Occupancy, time.Since(start))
		}
	}
}
