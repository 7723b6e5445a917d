// Package sim replays synthetic traffic through the real ACD engine on a
// virtual clock: a discrete-event simulation with Poisson arrivals,
// exponential talk times and patience, and agents that answer at once.
package sim

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/frontdoor-project/frontdoor/routing"
)

// Options of a run.
type Options struct {
	Hours float64 // arrivals are generated for this long; the run ends when the last call does
	Seed  int64
	// Observe, when set, sees every call as it finishes.
	Observe func(Record)
	// Antithetic draws every random time from 1-U instead of U: a run and
	// its antithetic twin err in opposite directions, so their average
	// converges faster (a variance-reduction technique for long studies).
	Antithetic bool
}

// Record is one finished call of a run.
type Record struct {
	Agency  string // where it ended
	Arrived time.Time
	Outcome string
	Wait    time.Duration
	Talk    time.Duration
}

// Result is one agency's figures; the JSON form is the contract's.
type Result struct {
	Agency    string `json:"agency"`
	Offered   int    `json:"offered"` // calls that came to the agency (arrivals and overflow in)
	Answered  int    `json:"answered"`
	Abandoned int    `json:"abandoned"`
	Waited    int    `json:"waited"` // answered calls that waited at all
	// ServiceLevel is the share of calls leaving the queue (answered,
	// abandoned, timed out, overflowed) answered within the threshold.
	ServiceLevel float64 `json:"service_level"`
	ASASeconds   float64 `json:"asa_seconds"` // mean wait of answered calls
	// Occupancy is the share of the arrival window the agents with the
	// agency's skill spent handling calls (talk + wrap-up, whichever
	// agency's).
	Occupancy float64 `json:"occupancy"`

	Overflowed int `json:"-"`
	TimedOut   int `json:"-"`
	Rejected   int `json:"-"`
	Closed     int `json:"-"`
}

type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

type eventKind uint8

const (
	evArrival eventKind = iota
	evPatience
	evTalkEnd
)

type event struct {
	at     int64 // unix ns
	seq    uint64
	kind   eventKind
	queue  int    // evArrival
	callID string // evPatience, evTalkEnd
}

// events is a min-heap by (at, seq): typed, so pushing does not box.
type events []event

func (h events) less(i, j int) bool {
	return h[i].at < h[j].at || (h[i].at == h[j].at && h[i].seq < h[j].seq)
}

func (h *events) push(e event) {
	*h = append(*h, e)
	q := *h
	for j := len(q) - 1; j > 0; {
		i := (j - 1) / 2
		if !q.less(j, i) {
			break
		}
		q[i], q[j] = q[j], q[i]
		j = i
	}
}

func (h *events) pop() event {
	q := *h
	top := q[0]
	n := len(q) - 1
	q[0] = q[n]
	q = q[:n]
	for i := 0; ; {
		l := 2*i + 1
		if l >= n {
			break
		}
		j := l
		if r := l + 1; r < n && q.less(r, l) {
			j = r
		}
		if !q.less(j, i) {
			break
		}
		q[i], q[j] = q[j], q[i]
		i = j
	}
	*h = q
	return top
}

type simCall struct {
	queue    int
	answered bool
	arrived  time.Time
}

type tally struct {
	Result
	within  int
	waitSum time.Duration
	staff   []string // present agents with the skill
	wrapup  time.Duration
	used    bool
}

type run struct {
	eng *routing.Engine
	clk *clock
	// Separate streams keep arrivals, talk times and patience in step
	// between runs that differ only in routing or in Antithetic.
	arrivals, talk, patience stream
	ev                       events
	seq                      uint64
	end                      time.Time
	queues                   []routing.QueueConfig
	index                    map[string]int
	demand                   []Demand // by queue index; zero = no traffic
	calls                    map[string]*simCall
	tally                    []tally
	busy                     map[string]time.Duration // agent -> talk + wrap-up
	nextID                   int
	observe                  func(Record)
}

// Run simulates tr against cfg (its queues and agents) and returns one
// Result per agency that had traffic or received overflow, in config order.
func Run(cfg routing.Config, tr Traffic, opt Options) ([]Result, error) {
	if opt.Hours <= 0 {
		return nil, errors.New("sim: hours must be more than 0")
	}
	r, err := newRun(cfg, tr, opt)
	if err != nil {
		return nil, err
	}
	r.loop()
	return r.results(opt.Hours), nil
}

func newRun(cfg routing.Config, tr Traffic, opt Options) (*run, error) {
	r := &run{
		clk:      &clock{t: tr.start()},
		arrivals: newStream(opt.Seed, 1, opt.Antithetic),
		talk:     newStream(opt.Seed, 2, opt.Antithetic),
		patience: newStream(opt.Seed, 3, opt.Antithetic),
		index:    map[string]int{},
		calls:    map[string]*simCall{},
		busy:     map[string]time.Duration{},
		observe:  opt.Observe,
	}
	r.end = r.clk.t.Add(time.Duration(opt.Hours * float64(time.Hour)))
	cfg.NoQueueLog = true
	cfg.Queues = append([]routing.QueueConfig(nil), cfg.Queues...)
	for i, q := range cfg.Queues {
		r.index[q.ID] = i
	}
	r.demand = make([]Demand, len(cfg.Queues))
	r.tally = make([]tally, len(cfg.Queues))
	var errs []error
	for id, d := range tr.Agencies {
		i, ok := r.index[id]
		if !ok {
			errs = append(errs, fmt.Errorf("sim: traffic for agency %q, which the config does not have", id))
			continue
		}
		r.demand[i] = d
		cfg.Queues[i].Wrapup = time.Duration(d.WrapupSeconds * float64(time.Second))
		r.tally[i].used = true
	}
	absent := map[string]bool{}
	known := map[string]bool{}
	for _, a := range cfg.Agents {
		known[a.ID] = true
	}
	for _, id := range tr.Absent {
		if !known[id] {
			errs = append(errs, fmt.Errorf("sim: absent agent %q is not in the config", id))
		}
		absent[id] = true
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	r.queues = cfg.Queues
	for i, q := range cfg.Queues {
		r.tally[i].Agency, r.tally[i].wrapup = q.ID, q.Wrapup
		for _, a := range cfg.Agents {
			if _, ok := a.Skills[q.ID]; ok && !absent[a.ID] {
				r.tally[i].staff = append(r.tally[i].staff, a.ID)
			}
		}
	}
	eng, err := routing.NewEngine(cfg, r.clk, opt.Seed)
	if err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	r.eng = eng
	for _, a := range cfg.Agents {
		if absent[a.ID] {
			continue
		}
		r.handle(eng.Login(a.ID))
		acts, err := eng.SetReady(a.ID)
		if err != nil {
			return nil, fmt.Errorf("sim: %w", err)
		}
		r.handle(acts)
	}
	for i, d := range r.demand {
		if d.CallsPerHour > 0 {
			r.scheduleArrival(i)
		}
	}
	return r, nil
}

func (r *run) push(e event) {
	r.seq++
	e.seq = r.seq
	r.ev.push(e)
}

// stream draws exponential times by inversion, so that a run can be
// mirrored antithetically.
type stream struct {
	rng  *rand.Rand
	anti bool
}

func newStream(seed int64, n uint64, anti bool) stream {
	return stream{rng: rand.New(rand.NewPCG(uint64(seed), n)), anti: anti}
}

// exp is an exponential time with the given mean in seconds.
func (s stream) exp(mean float64) time.Duration {
	u := s.rng.Float64() // [0, 1)
	if !s.anti {
		u = 1 - u // (0, 1]: never log(0)
	} else if u == 0 {
		u = math.SmallestNonzeroFloat64
	}
	return time.Duration(-math.Log(u) * mean * float64(time.Second))
}

func (r *run) scheduleArrival(q int) {
	at := r.clk.t.Add(r.arrivals.exp(3600 / r.demand[q].CallsPerHour)).UnixNano()
	if at < r.end.UnixNano() {
		r.push(event{at: at, kind: evArrival, queue: q})
	}
}

// loop runs events and engine timers in time order until nothing is left.
func (r *run) loop() {
	for {
		deadline, hasDeadline := r.eng.NextDeadline()
		if len(r.ev) == 0 && !hasDeadline {
			break
		}
		if hasDeadline && (len(r.ev) == 0 || deadline.UnixNano() <= r.ev[0].at) {
			if deadline.After(r.clk.t) {
				r.clk.t = deadline
			}
			r.handle(r.eng.Advance())
			continue
		}
		e := r.ev.pop()
		r.clk.t = time.Unix(0, e.at)
		switch e.kind {
		case evArrival:
			r.arrive(e.queue)
		case evPatience:
			if c := r.calls[e.callID]; c != nil && !c.answered {
				r.handle(r.eng.CallerHangup(e.callID))
			}
		case evTalkEnd:
			r.handle(r.eng.AgentHangup(e.callID))
		}
	}
	// Calls nobody can ever serve (no staff) hang up when the run ends.
	for _, s := range r.eng.Calls() {
		r.handle(r.eng.CallerHangup(s.ID))
	}
}

func (r *run) arrive(q int) {
	r.nextID++
	id := r.queues[q].ID + "-" + strconv.Itoa(r.nextID)
	r.calls[id] = &simCall{queue: q, arrived: r.clk.t}
	r.tally[q].Offered++
	if p := r.demand[q].PatienceSeconds; p > 0 {
		r.push(event{at: r.clk.t.Add(r.patience.exp(p)).UnixNano(), kind: evPatience, callID: id})
	}
	r.scheduleArrival(q)
	r.handle(r.eng.Arrive(routing.Call{ID: id, Queue: r.queues[q].ID}))
}

// handle plays the call path: agents answer offers at once and talk for
// an exponential time of the original agency's mean.
func (r *run) handle(acts []routing.Action) {
	for _, a := range acts {
		switch a.Kind {
		case routing.Offer:
			c := r.calls[a.CallID]
			if c == nil || c.answered {
				continue
			}
			c.answered = true
			r.push(event{at: r.clk.t.Add(r.talk.exp(r.demand[c.queue].HandleSeconds)).UnixNano(), kind: evTalkEnd, callID: a.CallID})
			r.handle(r.eng.Answered(a.CallID, a.AgentID))
		case routing.Overflow:
			from, to := &r.tally[r.index[a.From]], &r.tally[r.index[a.Queue]]
			from.Overflowed++
			to.Offered++
			to.used = true
		case routing.Finished:
			r.finished(a)
		}
	}
}

func (r *run) finished(a routing.Action) {
	if c := r.calls[a.CallID]; c != nil && r.observe != nil {
		r.observe(Record{Agency: a.Queue, Arrived: c.arrived, Outcome: a.Outcome, Wait: a.Wait, Talk: a.Talk})
	}
	delete(r.calls, a.CallID)
	t := &r.tally[r.index[a.Queue]]
	switch a.Outcome {
	case routing.OutcomeAnswered:
		t.Answered++
		t.waitSum += a.Wait
		// Busy from answer to end of wrap-up, counted inside the arrival
		// window only: the drain after it would push occupancy past 1.
		from, to := r.clk.t.Add(-a.Talk), r.clk.t.Add(t.wrapup)
		if to.After(r.end) {
			to = r.end
		}
		if to.After(from) {
			r.busy[a.AgentID] += to.Sub(from)
		}
		if a.Wait > 0 {
			t.Waited++
		}
		if a.Wait <= r.queues[r.index[a.Queue]].ServiceLevelOrDefault() {
			t.within++
		}
	case routing.OutcomeAbandoned:
		t.Abandoned++
	case routing.OutcomeTimeout:
		t.TimedOut++
	case routing.OutcomeRejected:
		t.Rejected++
	case routing.OutcomeClosed:
		t.Closed++
	}
}

func (r *run) results(hours float64) []Result {
	var out []Result
	for _, t := range r.tally {
		if !t.used {
			continue
		}
		res := t.Result
		res.ServiceLevel = 1 // as the engine: no call has missed the target yet
		if n := t.Answered + t.Abandoned + t.TimedOut + t.Overflowed; n > 0 {
			res.ServiceLevel = float64(t.within) / float64(n)
		}
		if t.Answered > 0 {
			res.ASASeconds = t.waitSum.Seconds() / float64(t.Answered)
		}
		if len(t.staff) > 0 {
			var busy time.Duration
			for _, id := range t.staff {
				busy += r.busy[id]
			}
			res.Occupancy = busy.Hours() / (float64(len(t.staff)) * hours)
		}
		out = append(out, res)
	}
	return out
}
