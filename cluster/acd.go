// Package cluster replicates the ACD over etcd: every node runs its own
// routing.Engine and applies one shared, totally ordered log of
// routing.Inputs (the etcd revision is the order), so every replica makes
// the same decisions. docs/architecture-cluster.md explains the design.
//
// API notes for the call path (differences from CLUSTER-DESIGN.md, which
// this otherwise follows):
//   - New(ctx, Config) replays the log before it returns; OnApplied is
//     called for the replayed entries too, with Entry.Replayed set.
//   - Leader(ctx) and Nodes(ctx) take a context (they read etcd);
//     IsLeader() answers from memory.
//   - Engine(), CallOwner and AgentHome must be called with Config.Locker
//     held (OnApplied already runs with it held). Submit must NOT be called
//     with the Locker held: it waits for the apply loop, which needs it.
//   - A node_lost entry is an Entry whose Input.Kind is NodeLost and whose
//     Lost names the node; its actions are the CallerHangup/AgentHangup/
//     Logout results the replica applied for it.
//   - Additions: Entry.Rev/Index/Replayed, ErrClosed, Applied(), NodeID();
//     Submit refuses malformed input with routing.ErrBadInput before
//     anything is written.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/frontdoor-project/frontdoor/routing"
)

// ErrNoQuorum: etcd did not take or deliver an entry within
// Config.Timeout (no quorum, no leader, unreachable). The entry may still
// be applied later; OnApplied reports it if so.
var ErrNoQuorum = errors.New("cluster: etcd has no quorum")

// ErrClosed: Submit on a replica that is closing or closed.
var ErrClosed = errors.New("cluster: replica closed")

// NodeLost is the kind of the entry the leader appends when a node's
// presence key vanishes: every replica ends that node's calls and logs out
// the agents homed there.
const NodeLost routing.InputKind = "node_lost"

// Entry is one record of the log.
type Entry struct {
	Node  string        `json:"node"` // the submitter
	Input routing.Input `json:"input"`
	Lost  string        `json:"lost,omitempty"` // NodeLost: the node that is gone
	// Rev is the etcd revision of the entry's record and Index its place
	// in that record: together its place in the log.
	Rev   int64 `json:"-"`
	Index int   `json:"-"`
	// Replayed: applied while New caught up with the log, before this node
	// took part (its actions happened in the past).
	Replayed bool `json:"-"`
}

// NodeInfo is the value of a node's presence key <prefix>/nodes/<id>.
type NodeInfo struct {
	NodeID        string    `json:"node_id"`
	AdvertiseSIP  string    `json:"advertise_sip,omitempty"`
	AdvertiseHTTP string    `json:"advertise_http,omitempty"`
	Calls         int       `json:"calls"` // calls this node holds
	StartedAt     time.Time `json:"started_at"`
}

// Config sets up one replica.
type Config struct {
	NodeID string           // this node; no '/' or spaces
	Client *clientv3.Client // owned by the caller; Close does not close it
	Prefix string           // key prefix, default "/frontdoor"
	Engine routing.Config
	// Seed seeds the engine's rng; every replica must use the same.
	Seed int64
	// Locker is held while an entry is applied and OnApplied runs; the
	// switchboard passes its own mutex. Default: a private mutex.
	Locker sync.Locker
	// OnApplied is called for every entry in log order, own and others'.
	OnApplied func(e Entry, acts []routing.Action, err error)
	// AdvertiseSIP and AdvertiseHTTP go into the presence key.
	AdvertiseSIP, AdvertiseHTTP string
	// LeaseTTL is the presence and election lease TTL (default 2 s): a dead
	// node is noticed, and a dead leader replaced, after about this long.
	LeaseTTL time.Duration
	// Timeout bounds each etcd round trip of Submit (default 2 s); past it
	// Submit returns ErrNoQuorum.
	Timeout time.Duration
	Logger  *slog.Logger
	// Now is the wall clock for submitted inputs and the leader's timers
	// (default time.Now).
	Now func() time.Time
	// The leader snapshots the replica after SnapshotEvery entries
	// (default 10,000; negative: never), or after SnapshotInterval
	// (default 10 min) if any came, and then deletes the log records
	// before the previous snapshot (see snapshot.go).
	SnapshotEvery    int
	SnapshotInterval time.Duration
	// CompactAfter is how long etcd keeps history once a snapshot makes it
	// unneeded (default 1 min; negative: the leader never compacts). A read
	// pinned to a revision older than that fails.
	CompactAfter time.Duration
}

func (c *Config) check() error {
	var errs []error
	if c.NodeID == "" || strings.ContainsAny(c.NodeID, "/ \t\n") {
		errs = append(errs, fmt.Errorf("node id %q must be non-empty without '/' or spaces", c.NodeID))
	}
	if c.Client == nil {
		errs = append(errs, errors.New("no etcd client"))
	}
	if c.LeaseTTL != 0 && c.LeaseTTL < time.Second {
		errs = append(errs, fmt.Errorf("lease ttl %v below etcd's 1 s granularity", c.LeaseTTL))
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout %v is negative", c.Timeout))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("cluster: config: %w", err)
	}
	c.Prefix = strings.TrimRight(c.Prefix, "/")
	if c.Prefix == "" {
		c.Prefix = "/frontdoor"
	}
	if c.Locker == nil {
		c.Locker = &sync.Mutex{}
	}
	if c.LeaseTTL == 0 {
		c.LeaseTTL = 2 * time.Second
	}
	if c.Timeout == 0 {
		c.Timeout = 2 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.SnapshotEvery == 0 {
		c.SnapshotEvery = 10_000
	}
	if c.SnapshotInterval <= 0 {
		c.SnapshotInterval = 10 * time.Minute
	}
	if c.CompactAfter == 0 {
		c.CompactAfter = time.Minute
	}
	return nil
}

// ACD is one node's replica of the center's ACD.
type ACD struct {
	cfg     Config
	cli     *clientv3.Client
	log     *slog.Logger
	started time.Time

	// Guarded by cfg.Locker.
	eng   *routing.Engine
	clock logClock
	owner map[string]string // call -> node holding its leg
	home  map[string]string // logged-in agent -> node of its last login
	// entries counts the log's entries up to the last applied one (a
	// restored snapshot's count, then each record's); lastIndex is the
	// last one's place in its record.
	entries   int64
	lastIndex int
	restored  atomic.Int64 // snapshots restored, for tests and logs

	applied atomic.Int64 // revision of the last applied entry
	leader  atomic.Bool
	kick    chan struct{} // the apply loop tells the leader deadlines may have moved

	queue   chan *pending         // Submits waiting for the group commit
	mu      sync.Mutex            // guards waiters and seq
	waiters map[string][]*pending // log key -> its submitters, until applied
	seq     uint64
	stopped <-chan struct{} // closed by Close

	cancel  context.CancelFunc
	closed  sync.Once
	wg      sync.WaitGroup
	lease   atomic.Int64 // presence lease
	session atomic.Int64 // election session lease while campaigning
	changed signal       // fires on every apply and leadership change
}

// signal wakes everyone waiting for a change (wait, then check state).
type signal struct {
	mu sync.Mutex
	ch chan struct{}
}

func (s *signal) wait() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	return s.ch
}

func (s *signal) fire() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch != nil {
		close(s.ch)
		s.ch = nil
	}
}

// logClock is the engine's clock: the time of the last applied entry, so
// snapshots read between entries see the same time on every replica.
type logClock struct{ now time.Time }

func (c *logClock) Now() time.Time { return c.now }

// New builds the replica, replays the log, registers the node's presence
// and starts following the log and campaigning for leadership.
func New(ctx context.Context, cfg Config) (*ACD, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	a := &ACD{cfg: cfg, cli: cfg.Client, log: cfg.Logger.With("node", cfg.NodeID), started: cfg.Now(),
		owner: map[string]string{}, home: map[string]string{}, kick: make(chan struct{}, 1),
		waiters: map[string][]*pending{}, queue: make(chan *pending, maxBatch*appenders)}
	eng, err := routing.NewEngine(cfg.Engine, &a.clock, cfg.Seed)
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	a.eng = eng
	if _, err := a.catchUp(ctx, true); err != nil {
		return nil, fmt.Errorf("cluster: replay log: %w", err)
	}
	lease, err := a.register(ctx)
	if err != nil {
		return nil, fmt.Errorf("cluster: register node: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	a.cancel, a.stopped = cancel, runCtx.Done()
	a.goRun(func() { a.groupCommit(runCtx) })
	a.goRun(func() { a.follow(runCtx) })
	a.goRun(func() { a.presence(runCtx, lease) })
	// Calls and agents this node id held before a restart are gone: end
	// them now rather than wait for a leader that never saw the node leave.
	if a.holdsAny(cfg.NodeID) {
		if err := a.submit(ctx, Entry{Node: cfg.NodeID, Lost: cfg.NodeID, Input: routing.Input{Kind: NodeLost, At: cfg.Now()}}); err != nil {
			a.Close()
			return nil, fmt.Errorf("cluster: end calls of the previous run: %w", err)
		}
	}
	a.goRun(func() { a.campaign(runCtx) })
	return a, nil
}

func (a *ACD) goRun(f func()) {
	a.wg.Add(1)
	go func() { defer a.wg.Done(); f() }()
}

// Close stops the replica and withdraws the node's presence (the leader
// then ends its calls everywhere). It does not close the etcd client.
func (a *ACD) Close() { a.closed.Do(a.close) }

func (a *ACD) close() {
	a.cancel()
	// With etcd unreachable, etcd's Election.Campaign resigns with the
	// client's own context when ours ends, and retries until the client is
	// closed; so bound the wait: the caller closes the client next, which
	// ends that resign. Without the bound a node whose etcd went first never
	// exits.
	done := make(chan struct{})
	go func() { a.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * a.cfg.Timeout):
		a.log.Warn("cluster: replica still waiting on etcd at close; closing the client ends it")
	}
	ctx, cancel := context.WithTimeout(context.Background(), a.cfg.Timeout)
	defer cancel()
	if id := a.lease.Load(); id != 0 {
		if _, err := a.cli.Revoke(ctx, clientv3.LeaseID(id)); err != nil {
			a.log.Warn("cluster: withdraw presence", "err", err)
		}
	}
}

// Submit appends in to the log and returns once this replica has applied
// it, with the error Engine.Apply gave (routing.ErrLoggedOut, ...). A zero
// in.At is set to now. Past Config.Timeout it returns ErrNoQuorum.
func (a *ACD) Submit(ctx context.Context, in routing.Input) error {
	if in.At.IsZero() {
		in.At = a.cfg.Now()
	}
	if in.Kind == NodeLost {
		return fmt.Errorf("cluster: %w: node_lost is written by the cluster itself", routing.ErrBadInput)
	}
	if err := in.Validate(); err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	return a.submit(ctx, Entry{Node: a.cfg.NodeID, Input: in})
}

// Engine is the replica's engine, for snapshots. Hold Config.Locker.
func (a *ACD) Engine() *routing.Engine { return a.eng }

// CallOwner is the node holding the call's leg ("" if unknown). Hold
// Config.Locker. In OnApplied it still knows the calls the entry finished.
func (a *ACD) CallOwner(callID string) string { return a.owner[callID] }

// AgentHome is the node of the agent's last login ("" if logged out).
// Hold Config.Locker.
func (a *ACD) AgentHome(agentID string) string { return a.home[agentID] }

// NodeID is this node's id.
func (a *ACD) NodeID() string { return a.cfg.NodeID }

// Applied is the revision of the last entry this replica applied.
func (a *ACD) Applied() int64 { return a.applied.Load() }

// IsLeader says whether this node holds the ACD leadership now.
func (a *ACD) IsLeader() bool { return a.leader.Load() }

func (a *ACD) key(parts ...string) string {
	return a.cfg.Prefix + "/" + strings.Join(parts, "/")
}

// etcdErr wraps an etcd failure; one within our own deadline (not the
// caller's) means etcd cannot answer: ErrNoQuorum.
func (a *ACD) etcdErr(what string, parent context.Context, err error) error {
	if parent.Err() != nil {
		return fmt.Errorf("cluster: %s: %w", what, parent.Err())
	}
	if noQuorum(err) {
		return fmt.Errorf("cluster: %s: %w: %v", what, ErrNoQuorum, err)
	}
	return fmt.Errorf("cluster: %s: %w", what, err)
}
