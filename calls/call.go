package calls

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/frontdoor-project/frontdoor/store"
)

// State is where a call is in its life. The transitions are all in callTransitions.
type State string

const (
	StateIVR       State = "ivr"       // answered; welcome and agency menu
	StateIdentity  State = "identity"  // digital-ID verification step
	StateQueued    State = "queued"    // waiting in an agency queue, hold audio
	StateRinging   State = "ringing"   // queued and offered to an agent
	StateConnected State = "connected" // bridged to an agent
	StateEnded     State = "ended"
)

var callTransitions = map[State][]State{
	StateIVR:       {StateIdentity, StateQueued, StateEnded},
	StateIdentity:  {StateIVR, StateQueued, StateEnded},
	StateQueued:    {StateRinging, StateEnded},
	StateRinging:   {StateQueued, StateRinging, StateConnected, StateEnded},
	StateConnected: {StateQueued, StateEnded}, // queued again: a blind transfer
}

// Call is one citizen's call from answer to hang-up.
type Call struct {
	ID     string
	Number string // the number dialled
	From   string // the caller
	// fromAsserted: From came from a trusted trunk's assertion.
	fromAsserted bool

	sb     *Switchboard
	leg    CallerLeg
	keys   *keyBuffer
	events chan callEvent
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	state    State
	agency   string
	agent    string
	outcome  string
	identity map[string]string
	// identityCode is the code the verification step read out, if one ran.
	identityCode string
	// history lists the legs before this one: "agency/agent" per transfer.
	history  []string
	priority int // routing priority (raised by a transfer)
	// callback is set once the caller booked a callback and hung up.
	callback *store.Callback
	// suspended: shut down while a booked callback waited; resumed on restart.
	suspended bool
	// cutOff: the cluster declared this node lost and ended the call
	// (lapse.go); its CDR says cut_off, as the leader's does.
	cutOff    bool
	recording string    // the current leg's recording, relative to the recordings dir
	coach     *coaching // a supervisor listening, whispering or barging in
	// consult: an agent's call to another agency (the first half of an
	// attended transfer); From is that agent's id.
	consult       bool
	transferredTo string // set when this call's caller moved to another call
	counted       bool   // its outcome is in the metrics
	startedAt     time.Time
	queuedAt      time.Time
	answeredAt    time.Time
	endedAt       time.Time
}

// to moves the call to a new state, refusing moves the table does not allow.
// Callers hold c.mu.
func (c *Call) to(s State) error {
	for _, next := range callTransitions[c.state] {
		if next == s {
			c.state = s
			// Live views (wallboard, web caller) follow every change.
			c.sb.events.publish(Event{Type: "call", Data: c.statusLocked()})
			return nil
		}
	}
	return fmt.Errorf("call %s: %s -> %s not allowed", c.ID, c.state, s)
}

func (c *Call) setState(s State) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.to(s); err != nil {
		c.sb.log.Warn("call state", "err", err)
	}
}

// Status is a consistent snapshot for the API.
func (c *Call) Status() CallStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.statusLocked()
}

// statusLocked is Status for callers holding c.mu.
func (c *Call) statusLocked() CallStatus {
	st := CallStatus{ID: c.ID, Number: c.Number, From: c.From, Agency: c.agency, State: string(c.state),
		Agent: c.agent, StartedAt: c.startedAt, Verified: c.identity != nil, Identity: c.identity}
	if !c.queuedAt.IsZero() {
		q := c.queuedAt
		st.QueuedAt = &q
	}
	return st
}

// PressKey delivers a DTMF key from any source (RFC 4733 or SIP INFO).
func (c *Call) PressKey(k rune) { c.keys.push(k) }

type eventKind int

const (
	evAnnounce eventKind = iota // position / estimated wait
	evConnect                   // an agent answered: bridge
	evEnd                       // the ACD ends the call (closed, timeout, busy) after a prompt
	evTransfer                  // the agent handed the call to another agency (blind transfer)
)

type callEvent struct {
	kind     eventKind
	leg      AgentLeg
	agentID  string
	position int
	ewt      time.Duration
	prompt   string
	target   string     // evTransfer: agency id
	done     chan error // evTransfer: the outcome, for the agent's phone (NOTIFY)
	then     func()     // evTransfer: run before the agent's leg is released
	peer     *Call      // evSplice: the consult call taking the caller
	hand     *handover  // evTakeCaller
}

// post hands an event to the call's goroutine without ever blocking the switchboard.
func (c *Call) post(ev callEvent) {
	select {
	case c.events <- ev:
	default:
		if ev.kind == evConnect && ev.leg != nil {
			// Cannot happen with the buffer sized for one connect; never leak the agent.
			go ev.leg.Hangup(context.Background())
		}
		c.sb.log.Warn("call event dropped", "call", c.ID, "kind", ev.kind)
	}
}

// keyBuffer collects DTMF keys; a key also interrupts the prompt playing (barge-in).
type keyBuffer struct {
	mu     sync.Mutex
	keys   []rune
	notify chan struct{}
}

func newKeyBuffer() *keyBuffer { return &keyBuffer{notify: make(chan struct{}, 1)} }

func (b *keyBuffer) push(k rune) {
	b.mu.Lock()
	b.keys = append(b.keys, k)
	b.mu.Unlock()
	select {
	case b.notify <- struct{}{}:
	default:
	}
}

// pop takes the oldest key, if any.
func (b *keyBuffer) pop() (rune, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.keys) == 0 {
		return 0, false
	}
	k := b.keys[0]
	b.keys = b.keys[1:]
	return k, true
}

func (b *keyBuffer) pending() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.keys) > 0
}

func (b *keyBuffer) clear() {
	b.mu.Lock()
	b.keys = b.keys[:0]
	b.mu.Unlock()
}

// VerificationCode is the code the IVR read out for the digital-ID step ("" when
// none); a wallet answers it through GET /api/v1/identity/codes/{code}.
func (c *Call) VerificationCode() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.identityCode
}
