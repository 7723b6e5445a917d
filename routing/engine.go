package routing

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/frontdoor-project/frontdoor/agents"
)

// Clock tells the engine the time; the engine never reads the wall clock.
type Clock interface{ Now() time.Time }

// Errors returned by the agent inputs.
var (
	ErrUnknownAgent = errors.New("unknown agent")
	ErrLoggedOut    = errors.New("agent is logged out")
)

// Engine is the ACD. It is not safe for concurrent use: the caller
// serialises every call (one mutex around the engine and its timer loop).
type Engine struct {
	clock  Clock
	cfg    Config
	rng    *rand.Rand
	pcg    *rand.PCG // rng's source, kept so MarshalState can save it
	noQlog bool

	queues   []*queue
	queueIdx map[string]*queue
	agents   []*agent
	agentIdx map[string]*agent
	calls    map[string]*call
	timers   iheap[*timer]

	now int64 // clock.Now() of the input being handled, unix ns
	// inputAt, when not 0, is the time Apply was given: it stands in for
	// the clock so replicas of a log compute the same.
	inputAt int64
	seq     uint64
	// out collects the current input's actions at the end of a shared
	// chunk; each input hands out its own capped sub-slice, so one
	// allocation serves many inputs and callers may keep or append to
	// what they got.
	out     []Action
	pendA   []*agent // became ready: look for a call
	pendC   []*call  // entered a tier: look for an agent
	pendAnn []*call  // announce on joining, once dispatch has had its turn
}

type callState uint8

const (
	callQueued callState = iota + 1
	callRinging
	callConnected
)

// timer is one pending deadline of a call or an agent (never both).
type timer struct {
	at  int64
	seq uint64
	idx int
	c   *call
	a   *agent
}

func (t *timer) before(u *timer) bool {
	return t.at < u.at || (t.at == u.at && t.seq < u.seq)
}
func (t *timer) setHeapIndex(i int) { t.idx = i }

type call struct {
	id        string
	caller    string
	q         *queue
	state     callState
	priority  int
	basePrio  int
	attrs     map[string]string
	arrived   int64 // entered the engine
	enqueued  int64 // entered its current queue
	score     int64 // place in line: arrived - priority*step (lower = sooner)
	seq       uint64
	tier      int
	hidx      int
	ringing   []*agent
	ringStart int64
	agent     *agent
	answered  int64
	waited    int64 // queued time in earlier queues
	origPos   int
	hops      uint8
	overDone  bool // the overflow timer has had its go
	nextAnn   int64
	nextMsg   int64
	tm        timer
}

func (c *call) before(d *call) bool {
	return c.score < d.score || (c.score == d.score && c.seq < d.seq)
}
func (c *call) setHeapIndex(i int) { c.hidx = i }

// tier is the set of a queue's calls with the same eligibility: a call
// moves to the next tier as its WidenSteps come due.
type tier struct {
	after    int64
	minLevel int
	partners bool
	calls    iheap[*call]
}

type queue struct {
	cfg      QueueConfig
	idx      int
	tiers    []tier
	buckets  [MaxSkillLevel + 1]iheap[*member] // ready agents by level; 0 = partner agents
	overflow *queue
	counts   [nStates]int // agents with the skill, by state
	waiting  int
	nextTurn int64
	stats    dayStats
	handle   movingAverage
}

// member is an agent's place in one queue, by skill or as a partner.
type member struct {
	a       *agent
	q       *queue
	level   int // 0 = partner agent (no own skill)
	penalty int
	hidx    int
	turn    int64
	key     [3]int64 // penalty, strategy key, tie-break; lower = first
}

func (m *member) before(n *member) bool {
	for i := range m.key {
		if m.key[i] != n.key[i] {
			return m.key[i] < n.key[i]
		}
	}
	return m.a.idx < n.a.idx
}
func (m *member) setHeapIndex(i int) { m.hidx = i }

type agent struct {
	id        string
	idx       int
	state     agents.State
	reason    string
	since     int64
	members   []member
	call      *call
	misses    int
	taken     int
	talk      int64
	readyAt   int64
	pendNR    bool // go not_ready (pendReason) when the call ends
	pendWhy   string
	pendOut   bool // log out when the call ends
	tm        timer
	talkStart int64
}

const nStates = 6

func stateIndex(s agents.State) int {
	switch s {
	case agents.LoggedOut:
		return 0
	case agents.NotReady:
		return 1
	case agents.Ready:
		return 2
	case agents.Ringing:
		return 3
	case agents.Busy:
		return 4
	default:
		return 5
	}
}

// NewEngine builds an engine; every agent starts logged out.
func NewEngine(cfg Config, clock Clock, seed int64) (*Engine, error) {
	if clock == nil {
		return nil, errors.New("routing: no clock")
	}
	pcg := rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15)
	e := &Engine{
		clock:    clock,
		cfg:      cfg,
		rng:      rand.New(pcg),
		pcg:      pcg,
		noQlog:   cfg.NoQueueLog,
		queueIdx: make(map[string]*queue, len(cfg.Queues)),
		agentIdx: make(map[string]*agent, len(cfg.Agents)),
		calls:    make(map[string]*call),
	}
	ids := make(map[string]bool, len(cfg.Queues))
	for _, qc := range cfg.Queues {
		if qc.ID == "" || ids[qc.ID] {
			return nil, fmt.Errorf("routing: queue id %q empty or repeated", qc.ID)
		}
		ids[qc.ID] = true
	}
	var errs []error
	for i, qc := range cfg.Queues {
		qc = qc.withDefaults()
		if err := qc.validate(ids); err != nil {
			errs = append(errs, err)
			continue
		}
		q := &queue{cfg: qc, idx: i, nextTurn: int64(len(cfg.Agents))}
		q.tiers = append(q.tiers, tier{minLevel: qc.MinLevel})
		for _, w := range qc.Widen {
			q.tiers = append(q.tiers, tier{after: int64(w.After), minLevel: w.MinLevel, partners: w.Partners})
		}
		e.queues = append(e.queues, q)
		e.queueIdx[qc.ID] = q
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("routing: %w", err)
	}
	for _, q := range e.queues {
		q.overflow = e.queueIdx[q.cfg.OverflowTo]
	}
	for i, ac := range cfg.Agents {
		if ac.ID == "" || e.agentIdx[ac.ID] != nil {
			return nil, fmt.Errorf("routing: agent id %q empty or repeated", ac.ID)
		}
		a, err := e.newAgent(i, ac)
		if err != nil {
			return nil, fmt.Errorf("routing: agent %s: %w", ac.ID, err)
		}
		e.agents = append(e.agents, a)
		e.agentIdx[ac.ID] = a
	}
	return e, nil
}

func (e *Engine) newAgent(i int, ac AgentConfig) (*agent, error) {
	a := &agent{id: ac.ID, idx: i, state: agents.LoggedOut, tm: timer{idx: -1}}
	a.tm.a = a
	// Members in queue order so every walk over them is deterministic.
	for _, q := range e.queues {
		lvl, own := ac.Skills[q.cfg.ID]
		if own && (lvl < 1 || lvl > MaxSkillLevel) {
			return nil, fmt.Errorf("skill %s level %d outside 1..%d", q.cfg.ID, lvl, MaxSkillLevel)
		}
		partner := false
		for _, p := range q.cfg.Partners {
			if _, ok := ac.Skills[p]; ok {
				partner = true
			}
		}
		if !own && !(partner && q.hasPartnerTier()) {
			continue
		}
		pen := ac.Penalty
		if p, ok := ac.Penalties[q.cfg.ID]; ok {
			pen = p
		}
		a.members = append(a.members, member{a: a, q: q, level: lvl, penalty: pen, hidx: -1, turn: int64(i)})
	}
	for _, m := range []map[string]int{ac.Skills, ac.Penalties} {
		for k := range m {
			if e.queueIdx[k] == nil {
				return nil, fmt.Errorf("skill or penalty for unknown queue %q", k)
			}
		}
	}
	for i := range a.members {
		if m := &a.members[i]; m.level > 0 {
			m.q.counts[stateIndex(agents.LoggedOut)]++
		}
	}
	return a, nil
}

func (q *queue) hasPartnerTier() bool {
	for _, t := range q.tiers {
		if t.partners {
			return true
		}
	}
	return false
}

// begin starts handling one input.
func (e *Engine) begin() {
	// A wall clock stepped backwards must not make waits negative or
	// re-fire timers: time never runs back for the engine.
	now := e.inputAt
	if now == 0 {
		now = e.clock.Now().UnixNano()
	}
	e.now = max(e.now, now)
	e.out = e.out[len(e.out):]
}

// finish lets waiting calls and ready agents meet, then hands over the
// actions of the input.
func (e *Engine) finish() []Action {
	e.dispatch()
	if len(e.out) == 0 {
		return nil
	}
	n := len(e.out)
	out := e.out[:n:n]
	e.out = e.out[n:]
	return out
}

const actionChunk = 256

func (e *Engine) emit(a Action) {
	if len(e.out) == cap(e.out) {
		grown := make([]Action, len(e.out), max(actionChunk, 2*len(e.out)))
		copy(grown, e.out)
		e.out = grown
	}
	e.out = append(e.out, a)
}

// transition moves an agent through the one agent state machine
// (agents.Next) and reports the new state. An illegal transition is an
// engine bug, not bad input, so it panics.
func (e *Engine) transition(a *agent, ev agents.Event, reason string) {
	to, err := agents.Next(a.state, ev)
	if err != nil {
		panic(fmt.Sprintf("routing: agent %s: %v", a.id, err))
	}
	e.setState(a, to, reason)
}

func (e *Engine) setState(a *agent, to agents.State, reason string) {
	from := a.state
	if to != agents.NotReady {
		reason = ""
	}
	if from == to && a.reason == reason {
		return
	}
	for i := range a.members {
		if m := &a.members[i]; m.level > 0 {
			m.q.counts[stateIndex(from)]--
			m.q.counts[stateIndex(to)]++
		}
	}
	a.state, a.reason, a.since = to, reason, e.now
	if from == agents.Ready {
		e.leaveReady(a)
	}
	if to == agents.Ready {
		e.enterReady(a)
	}
	e.emit(Action{Kind: AgentState, AgentID: a.id, State: to, Reason: reason})
}
