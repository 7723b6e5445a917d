package calls

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/frontdoor-project/frontdoor/media"
	"github.com/frontdoor-project/frontdoor/routing"
	"github.com/frontdoor-project/frontdoor/store"
)

// Recorder receives the figures metrics are made of (implemented by metrics.Metrics).
type Recorder interface {
	CallFinished(agency, outcome string)
	ObserveWait(agency string, d time.Duration)
	ObserveTalk(agency string, d time.Duration)
	IdentityVerification(method, result string)
}

// Agency is what the call path needs to know about one agency.
type Agency struct {
	ID, Name string
	Digit    string   // IVR choice
	Numbers  []string // legacy direct numbers (also transfer targets)
	Record   bool     // record this agency's calls
}

// Config wires a Switchboard. Every dependency is explicit.
type Config struct {
	Agencies     []Agency // in menu order
	Engine       *routing.Engine
	Now          func() time.Time
	Dialer       AgentDialer
	Audio        Audio
	Bridge       func(a, b media.Endpoint) (stop func()) // media.Bridge
	Identity     Identity                                // nil: no identity step
	IdentityMode string                                  // off | offer | require
	IdentityWait time.Duration
	InterDigit   time.Duration
	MenuTimeout  time.Duration
	MenuRetries  int
	MaxCalls     int // calls in progress beyond which Admit refuses (0 = no limit)
	Callback     CallbackConfig
	// Recordings is the directory recordings go to; "" turns recording off.
	Recordings        string
	AnnounceRecording bool // "this call may be recorded" on joining a recorded queue
	Store             store.Store
	Metrics           Recorder
	QueueLog          io.Writer // Asterisk queue_log lines; nil = none
	Directory         Directory
	Logger            *slog.Logger
	// ACD, when set, takes the engine's inputs instead of Engine directly: a
	// cluster's log (acd.go). Engine is then its replica, which it updates
	// under Locker; the switchboard fires no timers (the cluster's leader does).
	ACD  ACD
	Node string // this node's id in a cluster: whose inputs are whose
	// Locker, when set, is the switchboard's lock: a cluster's replica
	// applies entries under it and must have it before the switchboard exists.
	Locker *sync.Mutex
	// Forward, when set, carries transfers and coaching of calls another
	// node holds to that node (forward.go).
	Forward Forwarder
	// Available, when set, is asked before each new call: an error (a
	// cluster without etcd quorum) refuses it, as overload does.
	Available func() error
}

// Directory tells names and roles of configured agents.
type Directory interface {
	Name(id string) (string, bool)
	Role(id string) string
	Skills(id string) map[string]int
}

// Switchboard owns every call in progress and the ACD engine they queue in.
// The engine is not goroutine-safe: every engine input happens under mu.
type Switchboard struct {
	cfg        Config
	log        *slog.Logger
	identity   Identity
	audio      Audio
	menu       *Menu
	menuPrompt []string
	agencies   map[string]Agency
	numbers    map[string]string // legacy number -> agency id
	booked     bookings          // callbacks booked per number (callback_policy.go)

	mu     *sync.Mutex // Config.Locker, or its own
	eng    *routing.Engine
	calls  map[string]*Call
	offers map[string]context.CancelFunc // callID/agentID -> cancels the ringing
	home   map[string]bool               // agents whose phone or softphone is on this node
	wake   chan struct{}
	closed bool

	events  *hub
	agents  *agentSaver
	wg      sync.WaitGroup
	started time.Time
	resume  *resumeStates // agents' states before a restart (recovery.go)
	lapse   lapse         // declared lost by the cluster while alive (lapse.go)
}

// ErrOverloaded is returned by Admit when the node carries MaxCalls calls.
var ErrOverloaded = errors.New("too many calls in progress")

// New builds a switchboard. Run must be started for timers to fire.
func New(cfg Config) (*Switchboard, error) {
	if cfg.Engine == nil || cfg.Audio == nil || cfg.Dialer == nil || cfg.Store == nil {
		return nil, fmt.Errorf("switchboard: engine, audio, dialer and store are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Bridge == nil {
		cfg.Bridge = media.Bridge
	}
	if cfg.IdentityWait <= 0 {
		cfg.IdentityWait = identityTimeoutDefault
	}
	if cfg.InterDigit <= 0 {
		cfg.InterDigit = 2 * time.Second
	}
	if cfg.MenuTimeout <= 0 {
		cfg.MenuTimeout = 8 * time.Second
	}
	if cfg.MenuRetries <= 0 {
		cfg.MenuRetries = 3
	}
	if cfg.IdentityMode == "" {
		cfg.IdentityMode = "off"
	}
	if cfg.Locker == nil {
		cfg.Locker = &sync.Mutex{}
	}
	s := &Switchboard{
		mu: cfg.Locker, cfg: cfg, log: cfg.Logger, identity: cfg.Identity, audio: cfg.Audio, eng: cfg.Engine,
		calls: map[string]*Call{}, offers: map[string]context.CancelFunc{}, home: map[string]bool{}, wake: make(chan struct{}, 1),
		agencies: map[string]Agency{}, numbers: map[string]string{}, events: newHub(), started: cfg.Now(),
		agents: newAgentSaver(cfg.Store, cfg.Logger),
	}
	choices := map[string]string{}
	s.menuPrompt = []string{"menu-intro"}
	for _, a := range cfg.Agencies {
		s.agencies[a.ID] = a
		for _, num := range a.Numbers {
			s.numbers[num] = a.ID
		}
		if a.Digit != "" {
			choices[a.Digit] = a.ID
			s.menuPrompt = append(s.menuPrompt, "for", "agency-"+a.ID, "press")
			s.menuPrompt = append(s.menuPrompt, spellDigits(a.Digit)...)
		}
	}
	s.menu = NewMenu(choices)
	s.recoverFromStore() // what a crash left behind (recovery.go)
	return s, nil
}

func (s *Switchboard) now() time.Time { return s.cfg.Now() }

// Run fires the engine's timers and persists agents' states until ctx ends.
func (s *Switchboard) Run(ctx context.Context) {
	saved := make(chan struct{})
	go func() { s.agents.run(ctx); close(saved) }()
	defer func() { <-saved }()
	if s.cfg.ACD != nil {
		<-ctx.Done() // the cluster's leader advances the shared engine's timers
		return
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		s.mu.Lock()
		next, ok := s.eng.NextDeadline()
		s.mu.Unlock()
		d := time.Hour
		if ok {
			d = max(next.Sub(s.now()), 0)
		}
		timer.Reset(d)
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-timer.C:
			s.mu.Lock()
			s.apply(s.eng.Advance())
			s.mu.Unlock()
		}
	}
}

func (s *Switchboard) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Inbound is a caller's answered leg handed over by an edge.
type Inbound struct {
	Number string // dialled
	From   string
	// FromAsserted: From is the number a trusted trunk asserted, not one
	// the caller could choose (it may then be pushed to, or called back).
	FromAsserted bool
	Agency       string // set for a legacy agency number or a web caller's choice: skips the menu
	Leg          CallerLeg
	// Identity holds claims verified before the call was handed over (a web
	// caller presents its digital ID before queueing): the IVR's identity step is skipped.
	Identity map[string]string
	// Consult marks an agent's call to another agency (From is the agent's id):
	// no IVR, transfer priority; CompleteTransfer may later give it the agent's caller.
	Consult bool
}

// NewCallID makes a call id that is unique and safe in URLs and SIP headers.
func NewCallID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Admit reserves room for one more call before the edge answers it.
func (s *Switchboard) Admit() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrOverloaded
	}
	if s.cfg.MaxCalls > 0 && len(s.calls) >= s.cfg.MaxCalls {
		return ErrOverloaded
	}
	if err := s.lapseErr(); err != nil {
		return fmt.Errorf("%w: %v", ErrOverloaded, err)
	}
	if s.cfg.Available != nil {
		if err := s.cfg.Available(); err != nil {
			return fmt.Errorf("%w: %v", ErrOverloaded, err)
		}
	}
	return nil
}

// Start takes over an answered caller leg and runs the call on its own goroutine.
func (s *Switchboard) Start(id string, in Inbound) *Call {
	ctx, cancel := context.WithCancel(context.Background())
	c := &Call{ID: id, Number: in.Number, From: in.From, fromAsserted: in.FromAsserted, sb: s, leg: in.Leg, keys: newKeyBuffer(),
		events: make(chan callEvent, 16), ctx: ctx, cancel: cancel,
		state: StateIVR, agency: in.Agency, identity: in.Identity, startedAt: s.now(), consult: in.Consult}
	if in.Consult {
		c.priority = TransferPriority
	}
	in.Leg.Media().OnDTMF(c.PressKey)
	s.recordActive(c) // durable before the caller hears an answer (recovery.go)
	s.mu.Lock()
	s.calls[id] = c
	s.mu.Unlock()
	s.publish("call", c.Status())
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		go func() {
			select {
			case <-in.Leg.Done():
				// Hang-up while in the IVR stops prompts; the queue phase watches Done itself.
				c.mu.Lock()
				queued := c.state == StateQueued || c.state == StateRinging || c.state == StateConnected
				c.mu.Unlock()
				if !queued {
					cancel()
				}
			case <-ctx.Done():
			}
		}()
		c.run()
	}()
	return c
}

// Call returns a call in progress.
func (s *Switchboard) Call(id string) (*Call, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.calls[id]
	return c, ok
}

// Draining tells whether Close was called: new calls are refused.
func (s *Switchboard) Draining() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// Close stops admitting calls and waits for calls in progress to end, or ctx.
func (s *Switchboard) Close(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	for _, c := range s.calls {
		// A booked callback waiting for an agent (or, resumed, for its next
		// attempt: still StateIVR) has no one on the line and is in the store:
		// the next start resumes it, so the drain need not wait for it.
		c.mu.Lock()
		if c.callback != nil && (c.state == StateQueued || c.state == StateIVR) {
			c.suspended = true
			c.cancel()
		}
		c.mu.Unlock()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
