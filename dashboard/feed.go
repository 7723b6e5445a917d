package dashboard

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/frontdoor-project/frontdoor/calls"
)

// historyMinutes is how far back the wallboard's charts reach.
const historyMinutes = 60

// feed samples the core once per interval and keeps the wallboard picture,
// numbered by version. Each version holds the delta from the one before;
// a viewer one version behind gets that delta, any other viewer a fresh
// snapshot, so a slow or new viewer never needs a queue of its own and the
// cost of an update does not grow with the number of viewers.
type feed struct {
	view     calls.View
	clock    Clock
	interval time.Duration
	log      *slog.Logger

	mu      sync.Mutex
	version uint64
	changed chan struct{} // closed when version moves on
	queues  map[string]wbQueue
	qorder  []string
	agents  map[string]wbAgent
	aorder  []string
	calls   map[string]wbCall
	corder  []string
	history []wbHistoryPoint
	last    [3]int // offered, answered, abandoned at the previous sample
	sampled bool
	delta   []byte // encoded delta from version-1 to version
	full    []byte // encoded snapshot of version, made when first asked for
}

// newFeed starts from past, the charts' minutes before now (may be nil).
func newFeed(view calls.View, clock Clock, interval time.Duration, log *slog.Logger, past []wbHistoryPoint) *feed {
	f := &feed{view: view, clock: clock, interval: interval, log: log, changed: make(chan struct{}),
		queues: map[string]wbQueue{}, agents: map[string]wbAgent{}, calls: map[string]wbCall{}, history: past}
	f.tick()
	return f
}

// run samples until ctx ends.
func (f *feed) run(ctx context.Context) {
	t := time.NewTicker(f.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f.tick()
		}
	}
}

// tick reads the core and, when anything changed, makes a new version.
func (f *feed) tick() {
	now := f.clock.Now()
	qs := f.view.Queues()
	as := f.view.Agents()
	cs := f.view.Calls()

	f.mu.Lock()
	defer f.mu.Unlock()
	d := wbDelta{Now: now.Unix()}
	f.qorder = f.qorder[:0]
	var offered, answered, abandoned, waiting int
	for _, q := range qs {
		w := wbQueueOf(q, now)
		f.qorder = append(f.qorder, w.ID)
		if old, ok := f.queues[w.ID]; !ok || !sameQueue(old, w) {
			f.queues[w.ID] = w
			d.Queues = append(d.Queues, w)
		}
		offered, answered, abandoned, waiting = offered+q.Offered, answered+q.Answered, abandoned+q.Abandoned, waiting+q.Waiting
	}
	byAgent := make(map[string]calls.AgentStatus, len(as))
	f.aorder = f.aorder[:0]
	for _, a := range as {
		byAgent[a.ID] = a
		w := wbAgentOf(a)
		f.aorder = append(f.aorder, w.ID)
		if old, ok := f.agents[w.ID]; !ok || old != w {
			f.agents[w.ID] = w
			d.Agents = append(d.Agents, w)
		}
	}
	live := make(map[string]bool, len(cs))
	f.corder = f.corder[:0]
	for _, c := range cs {
		w := wbCallOf(c, byAgent)
		live[w.ID] = true
		f.corder = append(f.corder, w.ID)
		if old, ok := f.calls[w.ID]; !ok || old != w {
			f.calls[w.ID] = w
			d.Calls = append(d.Calls, w)
		}
	}
	for id := range f.calls {
		if !live[id] {
			delete(f.calls, id)
			d.Gone = append(d.Gone, id)
		}
	}
	if p, ok := f.sample(now, [3]int{offered, answered, abandoned}, waiting); ok {
		d.History = []wbHistoryPoint{p}
	}
	if d.empty() {
		return
	}
	body, err := json.Marshal(d)
	if err != nil {
		f.log.Error("wallboard: encode delta", "err", err)
		return
	}
	f.version++
	f.delta, f.full = body, nil
	close(f.changed)
	f.changed = make(chan struct{})
}

// sample adds this interval's calls to the current minute of the history;
// it reports the minute when it changed. The core's counters are for today:
// when one goes down a new day has begun and its value is all new calls.
// Callers hold f.mu.
func (f *feed) sample(now time.Time, totals [3]int, waiting int) (wbHistoryPoint, bool) {
	var added [3]int
	if f.sampled {
		for i := range totals {
			added[i] = totals[i] - f.last[i]
			if added[i] < 0 {
				added[i] = totals[i]
			}
		}
	}
	f.last, f.sampled = totals, true
	minute := now.Truncate(time.Minute).Unix()
	fresh := len(f.history) == 0 || f.history[len(f.history)-1].Minute != minute
	if fresh {
		f.history = append(f.history, wbHistoryPoint{Minute: minute})
		if len(f.history) > historyMinutes {
			f.history = append(f.history[:0], f.history[len(f.history)-historyMinutes:]...)
		}
	}
	p := &f.history[len(f.history)-1]
	before := *p
	p.Offered += added[0]
	p.Answered += added[1]
	p.Abandoned += added[2]
	p.Waiting = max(p.Waiting, waiting)
	return *p, fresh || *p != before
}

// next is closed once the feed has moved past version v.
func (f *feed) next(v uint64) <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.version > v {
		done := make(chan struct{})
		close(done)
		return done
	}
	return f.changed
}

// since is what a viewer at version v needs: nothing when it is current,
// the delta when it is one behind, else a whole snapshot; and the version
// it then has.
func (f *feed) since(v uint64, fresh bool) (typ string, body []byte, at uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !fresh && f.version == v {
		return "", nil, v
	}
	if !fresh && f.version == v+1 {
		return "delta", f.delta, f.version
	}
	if f.full == nil {
		snap := wbSnapshot{Now: f.clock.Now().Unix(), States: wbStates, Queues: make([]wbQueue, 0, len(f.qorder)),
			Agents: make([]wbAgent, 0, len(f.aorder)), Calls: make([]wbCall, 0, len(f.corder)),
			History: append([]wbHistoryPoint{}, f.history...)}
		for _, id := range f.qorder {
			snap.Queues = append(snap.Queues, f.queues[id])
		}
		for _, id := range f.aorder {
			snap.Agents = append(snap.Agents, f.agents[id])
		}
		for _, id := range f.corder {
			snap.Calls = append(snap.Calls, f.calls[id])
		}
		body, err := json.Marshal(snap)
		if err != nil {
			f.log.Error("wallboard: encode snapshot", "err", err)
			body = []byte(`{}`)
		}
		f.full = body
	}
	return "snapshot", f.full, f.version
}
