package routing

import (
	"errors"
	"fmt"
	"time"
)

// Strategy names: how a queue picks among its ready agents.
const (
	StrategyLongestIdle = "longest-idle" // longest since the agent became ready (default)
	StrategyRoundRobin  = "round-robin"  // round robin with memory: the agent this queue served least recently
	StrategyFewestCalls = "fewest-calls" // fewest calls taken today
	StrategyLeastTalk   = "least-talk"   // least talk time today
	StrategyRandom      = "random"       // uniformly at random (seeded)
	StrategyRingAll     = "ring-all"     // ring every eligible ready agent; first to answer wins
	StrategyLinear      = "linear"       // top-down in configured agent order
)

// Strategies lists every strategy name.
var Strategies = []string{StrategyLongestIdle, StrategyRoundRobin, StrategyFewestCalls, StrategyLeastTalk, StrategyRandom, StrategyRingAll, StrategyLinear}

// Join and leave policies for empty queues.
const (
	EmptyAllow     = "always"    // join (or stay) whatever the agents do
	EmptyLoggedIn  = "logged-in" // needs at least one logged-in agent with the skill
	EmptyAvailable = "available" // needs an agent ready, ringing, busy or in wrap-up
)

// EmptyPolicies lists the join_empty / leave_empty values.
var EmptyPolicies = []string{EmptyAllow, EmptyLoggedIn, EmptyAvailable}

// Config is everything the engine needs; routing never reads files.
type Config struct {
	Queues []QueueConfig
	Agents []AgentConfig
	// NoQueueLog turns off QueueLog actions (the simulator and benchmarks
	// do not need them).
	NoQueueLog bool
}

// AgentConfig is one agent as the ACD sees it.
type AgentConfig struct {
	ID     string
	Skills map[string]int // queue id -> level 1..10
	// Penalty: agents with a higher penalty get a call only when no ready
	// eligible agent with a lower one exists (Asterisk semantics).
	// Penalties overrides it per queue id.
	Penalty   int
	Penalties map[string]int
}

// QueueConfig holds one queue's knobs. Zero values take the defaults in
// (QueueConfig).withDefaults; README.md documents each one.
type QueueConfig struct {
	ID           string
	Strategy     string
	RingTimeout  time.Duration // default 15s
	Wrapup       time.Duration // after-call work; 0 = ready straight away
	MaxWait      time.Duration // 0 = wait forever; else EndCall timeout
	ServiceLevel time.Duration // threshold for service level; default 20s
	// ServiceLevelTarget is the goal (0..1) dashboards compare against.
	ServiceLevelTarget float64
	MaxWaiting         int // 0 = unlimited; else full: overflow or rejected
	// RonaMisses is how many unanswered offers in a row send an agent to
	// not_ready (reason rona); default 1.
	RonaMisses int
	// MinLevel is the lowest skill level offered a fresh call (default 1);
	// Widen lowers it as the call waits.
	MinLevel int
	Widen    []WidenStep
	// Partners are queues whose agents may take this queue's calls once a
	// WidenStep with Partners is reached.
	Partners []string
	// PriorityStep is the wait one priority point is worth (default 60s):
	// a call's place is its arrival time minus priority*PriorityStep, so a
	// low-priority call is overtaken only by calls that arrived less than
	// that much after it, and never starves.
	PriorityStep  time.Duration
	PriorityRules []PriorityRule
	// OverflowTo moves a call to another queue after OverflowAfter (0 = only
	// when this queue is full, empty or refuses it).
	OverflowTo    string
	OverflowAfter time.Duration
	JoinEmpty     string // EmptyAllow (default), EmptyLoggedIn, EmptyAvailable
	LeaveEmpty    string // EmptyAllow (default: never leave), EmptyLoggedIn, EmptyAvailable
	Hours         *Hours // nil = always open
	// AnnounceEvery announces position and EWT on joining and then at this
	// period; 0 = never.
	AnnounceEvery time.Duration
	// MessageEvery plays MessagePrompt at this period while queued.
	MessageEvery  time.Duration
	MessagePrompt string
	// DefaultHandle is the handle time EWT assumes before the queue has
	// seen calls (default 180s). After that it is the moving average of the
	// last calls' talk plus wrap-up.
	DefaultHandle time.Duration
}

// WidenStep widens who may take a call once it has waited After in its
// queue: skill levels down to MinLevel, and partner queues' agents.
type WidenStep struct {
	After    time.Duration
	MinLevel int
	Partners bool
}

// PriorityRule raises a call's priority to Priority when every Attrs entry
// matches the call's attribute ("*" = present and not empty) and, with
// MinAge, the call's "birthdate" (YYYY-MM-DD) makes the caller at least
// MinAge years old. A call's priority is the highest of its own and every
// matching rule.
type PriorityRule struct {
	Attrs    map[string]string
	MinAge   int
	Priority int
}

// Defaults applied to zero fields.
const (
	DefaultRingTimeout   = 15 * time.Second
	DefaultServiceLevel  = 20 * time.Second
	DefaultPriorityStep  = 60 * time.Second
	DefaultHandleTime    = 180 * time.Second
	MaxSkillLevel        = 10
	defaultRonaMisses    = 1
	handleSamplesForEWT  = 32
	maxOverflowHops      = 8
	birthdateAttr        = "birthdate"
	callerAttr           = "caller"
	defaultMinSkillLevel = 1
)

// ServiceLevelOrDefault is the service-level threshold the engine uses.
func (q QueueConfig) ServiceLevelOrDefault() time.Duration {
	return q.withDefaults().ServiceLevel
}

func (q QueueConfig) withDefaults() QueueConfig {
	if q.Strategy == "" {
		q.Strategy = StrategyLongestIdle
	}
	if q.RingTimeout == 0 {
		q.RingTimeout = DefaultRingTimeout
	}
	if q.ServiceLevel == 0 {
		q.ServiceLevel = DefaultServiceLevel
	}
	if q.RonaMisses == 0 {
		q.RonaMisses = defaultRonaMisses
	}
	if q.MinLevel == 0 {
		q.MinLevel = defaultMinSkillLevel
	}
	if q.PriorityStep == 0 {
		q.PriorityStep = DefaultPriorityStep
	}
	if q.JoinEmpty == "" {
		q.JoinEmpty = EmptyAllow
	}
	if q.LeaveEmpty == "" {
		q.LeaveEmpty = EmptyAllow
	}
	if q.DefaultHandle == 0 {
		q.DefaultHandle = DefaultHandleTime
	}
	return q
}

func oneOf(s string, set []string) bool {
	for _, x := range set {
		if s == x {
			return true
		}
	}
	return false
}

// validate checks a queue after defaults; ids holds every queue id.
func (q QueueConfig) validate(ids map[string]bool) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !oneOf(q.Strategy, Strategies) {
		bad("strategy %q unknown", q.Strategy)
	}
	if q.RingTimeout < 0 || q.Wrapup < 0 || q.MaxWait < 0 || q.ServiceLevel < 0 || q.OverflowAfter < 0 ||
		q.AnnounceEvery < 0 || q.MessageEvery < 0 || q.DefaultHandle < 0 || q.PriorityStep < 0 {
		bad("durations must not be negative")
	}
	if q.MaxWaiting < 0 || q.RonaMisses < 0 {
		bad("max_waiting and rona_misses must not be negative")
	}
	if q.MinLevel < 1 || q.MinLevel > MaxSkillLevel {
		bad("min_level %d outside 1..%d", q.MinLevel, MaxSkillLevel)
	}
	prev := WidenStep{MinLevel: q.MinLevel}
	for i, w := range q.Widen {
		if w.After <= prev.After {
			bad("widen[%d]: after %v must grow", i, w.After)
		}
		if w.MinLevel < 1 || w.MinLevel > prev.MinLevel {
			bad("widen[%d]: min_level %d must be 1..%d (never stricter than before)", i, w.MinLevel, prev.MinLevel)
		}
		if prev.Partners && !w.Partners {
			bad("widen[%d]: partners cannot be taken back", i)
		}
		prev = w
	}
	for _, p := range q.Partners {
		if !ids[p] || p == q.ID {
			bad("partner %q is not another queue", p)
		}
	}
	if q.OverflowTo != "" && (!ids[q.OverflowTo] || q.OverflowTo == q.ID) {
		bad("overflow target %q is not another queue", q.OverflowTo)
	}
	if q.OverflowAfter > 0 && q.OverflowTo == "" {
		bad("overflow_after without an overflow target")
	}
	if !oneOf(q.JoinEmpty, EmptyPolicies) || !oneOf(q.LeaveEmpty, EmptyPolicies) {
		bad("join_empty/leave_empty must be one of %v", EmptyPolicies)
	}
	if (q.MessageEvery > 0) != (q.MessagePrompt != "") {
		bad("message_every and message_prompt go together")
	}
	for i, r := range q.PriorityRules {
		if len(r.Attrs) == 0 && r.MinAge == 0 {
			bad("priority_rules[%d]: needs attrs or min_age", i)
		}
	}
	if q.Hours != nil {
		if err := q.Hours.validate(); err != nil {
			bad("hours: %w", err)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("queue %s: %w", q.ID, errors.Join(errs...))
}
