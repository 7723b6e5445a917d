package routing

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// A state snapshot is everything that decides the engine's future: an
// engine restored from one makes, for the same inputs, the same actions as
// the engine it was taken from. Its format is an envelope
//
//	{"version":1,"config":"<sha256 of the Config>","sum":"<sha256 of engine>","engine":{...}}
//
// where engine is the JSON of engineState. The config fingerprint refuses
// a snapshot taken under another Config (its queues and agents would not
// line up); the sum refuses a snapshot damaged in store or transit.
//
// Heaps are not saved: restoring pushes every element again. Their orders
// are total (calls tie-break on seq, members on agent index, timers on
// seq), so only which element is first matters, never the layout.

// StateVersion is the snapshot format MarshalState writes.
const StateVersion = 1

// Errors RestoreEngine wraps.
var (
	ErrStateVersion = errors.New("routing: snapshot format version unknown")
	ErrStateConfig  = errors.New("routing: snapshot taken under another config")
	ErrStateCorrupt = errors.New("routing: snapshot corrupt")
)

type stateEnvelope struct {
	Version int             `json:"version"`
	Config  string          `json:"config"`
	Sum     string          `json:"sum"`
	Engine  json.RawMessage `json:"engine"`
}

type engineState struct {
	RNG     []byte        `json:"rng"`
	Seq     uint64        `json:"seq"`
	Now     int64         `json:"now"`
	InputAt int64         `json:"input_at,omitempty"`
	Queues  []queueState  `json:"queues"`
	Agents  []agentState  `json:"agents"`
	Calls   []callStateJS `json:"calls"`
}

type queueState struct {
	ID        string    `json:"id"`
	NextTurn  int64     `json:"next_turn"`
	Stats     [10]int64 `json:"stats"`  // day, offered, answered, abandoned, within_sl, overflowed, timeout, rejected, closed, wait_sum
	Handle    []int64   `json:"handle"` // the moving average's buffer
	HandleN   int       `json:"handle_n"`
	HandlePos int       `json:"handle_pos"`
	HandleSum int64     `json:"handle_sum"`
}

type memberState struct {
	Turn  int64    `json:"turn"`
	Key   [3]int64 `json:"key"`
	Ready bool     `json:"ready,omitempty"` // in its queue's ready bucket
}

type agentState struct {
	ID      string        `json:"id"`
	State   string        `json:"state"`
	Reason  string        `json:"reason,omitempty"`
	Since   int64         `json:"since"`
	Misses  int           `json:"misses"`
	Taken   int           `json:"taken"`
	Talk    int64         `json:"talk"`
	ReadyAt int64         `json:"ready_at"`
	PendNR  bool          `json:"pend_nr,omitempty"`
	PendWhy string        `json:"pend_why,omitempty"`
	PendOut bool          `json:"pend_out,omitempty"`
	Timer   timerState    `json:"timer"`
	Members []memberState `json:"members"`
}

type timerState struct {
	At  int64  `json:"at,omitempty"` // 0 = not scheduled
	Seq uint64 `json:"seq,omitempty"`
}

// callStateJS is a call; its agents (ringing, connected) refer by id.
type callStateJS struct {
	ID        string            `json:"id"`
	Caller    string            `json:"caller,omitempty"`
	Queue     string            `json:"queue"`
	State     callState         `json:"state"`
	Priority  int               `json:"priority"`
	BasePrio  int               `json:"base_prio"`
	Attrs     map[string]string `json:"attrs,omitempty"`
	Arrived   int64             `json:"arrived"`
	Enqueued  int64             `json:"enqueued"`
	Score     int64             `json:"score"`
	Seq       uint64            `json:"seq"`
	Tier      int               `json:"tier"`
	Ringing   []string          `json:"ringing,omitempty"`
	RingStart int64             `json:"ring_start,omitempty"`
	Agent     string            `json:"agent,omitempty"`
	Answered  int64             `json:"answered,omitempty"`
	Waited    int64             `json:"waited,omitempty"`
	OrigPos   int               `json:"orig_pos"`
	Hops      uint8             `json:"hops,omitempty"`
	OverDone  bool              `json:"over_done,omitempty"`
	NextAnn   int64             `json:"next_ann,omitempty"`
	NextMsg   int64             `json:"next_msg,omitempty"`
	Timer     timerState        `json:"timer"`
}

// ConfigFingerprint identifies cfg: engines whose configs have the same
// fingerprint can take each other's snapshots.
func ConfigFingerprint(cfg Config) string {
	h := sha256.New()
	// A time.Location marshals as {}: name the zones apart.
	var zones []string
	for _, q := range cfg.Queues {
		if q.Hours != nil {
			zones = append(zones, q.Hours.loc().String())
		}
	}
	b, err := json.Marshal(struct {
		Cfg   Config
		Zones []string
	}{cfg, zones})
	if err != nil { // a Config is plain data; cannot happen
		panic(fmt.Sprintf("routing: fingerprint config: %v", err))
	}
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// MarshalState snapshots the engine between inputs (not from inside an
// OnApplied-style callback that runs while an input is handled).
func (e *Engine) MarshalState() ([]byte, error) {
	rng, err := e.pcg.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("routing: snapshot rng: %w", err)
	}
	st := engineState{RNG: rng, Seq: e.seq, Now: e.now, InputAt: e.inputAt}
	for _, q := range e.queues {
		s := q.stats
		st.Queues = append(st.Queues, queueState{ID: q.cfg.ID, NextTurn: q.nextTurn,
			Stats: [10]int64{int64(s.day), int64(s.offered), int64(s.answered), int64(s.abandoned), int64(s.withinSL),
				int64(s.overflowed), int64(s.timeout), int64(s.rejected), int64(s.closed), s.waitSum},
			Handle: slices.Clone(q.handle.buf[:]), HandleN: q.handle.n, HandlePos: q.handle.pos, HandleSum: q.handle.sum})
	}
	for _, a := range e.agents {
		as := agentState{ID: a.id, State: string(a.state), Reason: a.reason, Since: a.since, Misses: a.misses,
			Taken: a.taken, Talk: a.talk, ReadyAt: a.readyAt, PendNR: a.pendNR, PendWhy: a.pendWhy, PendOut: a.pendOut,
			Timer: timerOf(&a.tm)}
		for i := range a.members {
			m := &a.members[i]
			as.Members = append(as.Members, memberState{Turn: m.turn, Key: m.key, Ready: m.hidx >= 0})
		}
		st.Agents = append(st.Agents, as)
	}
	ids := make([]string, 0, len(e.calls))
	for id := range e.calls {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		c := e.calls[id]
		cs := callStateJS{ID: c.id, Caller: c.caller, Queue: c.q.cfg.ID, State: c.state, Priority: c.priority,
			BasePrio: c.basePrio, Attrs: c.attrs, Arrived: c.arrived, Enqueued: c.enqueued, Score: c.score, Seq: c.seq,
			Tier: c.tier, RingStart: c.ringStart, Answered: c.answered, Waited: c.waited, OrigPos: c.origPos,
			Hops: c.hops, OverDone: c.overDone, NextAnn: c.nextAnn, NextMsg: c.nextMsg, Timer: timerOf(&c.tm)}
		for _, a := range c.ringing {
			cs.Ringing = append(cs.Ringing, a.id)
		}
		if c.agent != nil {
			cs.Agent = c.agent.id
		}
		st.Calls = append(st.Calls, cs)
	}
	body, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("routing: snapshot: %w", err)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"version":%d,"config":%q,"sum":%q,"engine":`, StateVersion, ConfigFingerprint(e.cfg), sum(body))
	b.Write(body)
	b.WriteByte('}')
	return b.Bytes(), nil
}

func timerOf(t *timer) timerState {
	if t.idx < 0 {
		return timerState{}
	}
	return timerState{At: t.at, Seq: t.seq}
}

// RestoreEngine builds an engine from cfg in the state a MarshalState of
// an engine with the same Config saved. It refuses a snapshot of another
// format version (ErrStateVersion), another config (ErrStateConfig) or one
// damaged or inconsistent (ErrStateCorrupt).
func RestoreEngine(cfg Config, clock Clock, state []byte) (*Engine, error) {
	return restoreEngine(cfg, clock, state, nil)
}

// RestoreState puts the engine in the state a MarshalState saved, in
// place, so whoever holds the engine keeps using it. On error the engine
// is unchanged.
func (e *Engine) RestoreState(state []byte) error {
	r, err := RestoreEngine(e.cfg, e.clock, state)
	if err != nil {
		return err
	}
	*e = *r
	return nil
}

// restoreEngine is RestoreEngine; shuffle, when set, reorders every heap's
// pushes (tests show the layout does not matter).
func restoreEngine(cfg Config, clock Clock, state []byte, shuffle func(n int, swap func(i, j int))) (*Engine, error) {
	var env stateEnvelope
	if err := json.Unmarshal(state, &env); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrStateCorrupt, err)
	}
	if env.Version != StateVersion {
		return nil, fmt.Errorf("%w: %d (this build reads %d)", ErrStateVersion, env.Version, StateVersion)
	}
	if fp := ConfigFingerprint(cfg); env.Config != fp {
		return nil, fmt.Errorf("%w: snapshot config %.12s, engine config %.12s", ErrStateConfig, env.Config, fp)
	}
	if sum(env.Engine) != env.Sum {
		return nil, fmt.Errorf("%w: checksum does not match", ErrStateCorrupt)
	}
	e, err := NewEngine(cfg, clock, 0)
	if err != nil {
		return nil, err
	}
	if err := e.load(env.Engine, shuffle); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrStateCorrupt, err)
	}
	return e, nil
}
