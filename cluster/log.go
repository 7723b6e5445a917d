package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/frontdoor-project/frontdoor/agents"
	"github.com/frontdoor-project/frontdoor/routing"
)

// The log is the keys under <prefix>/acd/log/, each Put once with a JSON
// array of Entries; the etcd revision of that Put, then the place in the
// array, is each entry's place in the total order.

const (
	replayPage = 1000
	retryDelay = 200 * time.Millisecond
	maxBatch   = 128 // entries in one log record
	appenders  = 8   // Puts one node has in flight at most (groupcommit.go)
)

func (a *ACD) logPrefix() string { return a.key("acd", "log") + "/" }

// nextKey names a new entry: node, this run's start and a counter, so no
// two Puts (of any node or run) share a key.
func (a *ACD) nextKey() string {
	a.mu.Lock()
	a.seq++
	n := a.seq
	a.mu.Unlock()
	return a.logPrefix() + a.cfg.NodeID + "/" + strconv.FormatInt(a.started.UnixNano(), 36) + "-" + strconv.FormatUint(n, 36)
}

// pending is one Submit waiting for its entry to be appended and applied.
type pending struct {
	e    Entry
	done chan result // buffered: an appender or the apply loop never blocks
}

type result struct {
	appendErr error // the Put failed (nothing was applied, as far as we know)
	applyErr  error // Engine.Apply's answer
}

// submit queues e for the group commit and waits until this replica has
// applied it.
func (a *ACD) submit(parent context.Context, e Entry) error {
	p := &pending{e: e, done: make(chan result, 1)}
	ctx, cancel := context.WithTimeout(parent, a.cfg.Timeout)
	defer cancel()
	kind := string(e.Input.Kind)
	select {
	case a.queue <- p:
	case <-a.stopped:
		return fmt.Errorf("cluster: submit %s: %w", kind, ErrClosed)
	case <-ctx.Done():
		return a.etcdErr("queue "+kind, parent, ctx.Err())
	}
	select {
	case r := <-p.done:
		if r.appendErr != nil {
			return a.etcdErr("append "+kind, parent, r.appendErr)
		}
		return r.applyErr
	case <-a.stopped:
		return fmt.Errorf("cluster: wait for %s to apply: %w", kind, ErrClosed)
	case <-ctx.Done():
		return a.etcdErr("wait for "+kind+" to apply", parent, ctx.Err())
	}
}

func (a *ACD) append(batch []*pending) {
	entries := make([]Entry, len(batch))
	for i, p := range batch {
		entries[i] = p.e
	}
	val, err := json.Marshal(entries)
	if err == nil {
		key := a.nextKey()
		a.mu.Lock()
		a.waiters[key] = batch
		a.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), a.cfg.Timeout)
		// RequireLeader: a member cut off from the majority refuses at
		// once instead of holding the request.
		_, err = a.cli.Put(clientv3.WithRequireLeader(ctx), key, string(val))
		cancel()
		if err == nil {
			return
		}
		a.mu.Lock()
		delete(a.waiters, key)
		a.mu.Unlock()
	}
	for _, p := range batch {
		p.resolve(result{appendErr: err})
	}
}

// resolve hands p its result unless it has one: a Put that fails at its
// deadline may have been committed and applied already (the watch event
// came before the answer), and a second send on the full buffer would block
// an appender, or the apply loop, for good.
func (p *pending) resolve(r result) {
	select {
	case p.done <- r:
	default:
	}
}

func noQuorum(err error) bool {
	switch {
	case errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, rpctypes.ErrNoLeader), errors.Is(err, rpctypes.ErrTimeout),
		errors.Is(err, rpctypes.ErrTimeoutDueToLeaderFail), errors.Is(err, rpctypes.ErrTimeoutDueToConnectionLost):
		return true
	}
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded:
		return true
	}
	return false
}

// follow applies the log in order for as long as ctx lives: catch up with
// a paged read from the last applied revision, then watch from there; on
// any error (quorum loss, compaction, a closed client) start again from the
// last applied revision.
func (a *ACD) follow(ctx context.Context) {
	for ctx.Err() == nil {
		rev, err := a.catchUp(ctx, false)
		if err == nil {
			err = a.watch(ctx, rev+1)
		}
		if ctx.Err() != nil {
			return
		}
		a.log.Warn("cluster: log watch interrupted; resuming", "applied", a.applied.Load(), "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(retryDelay):
		}
	}
}

// catchUp applies every entry after the last applied one, as of one read
// revision, which it returns: first the newest snapshot if the replica
// needs it (see loadSnapshot), then the log records after the replica's.
func (a *ACD) catchUp(ctx context.Context, replay bool) (int64, error) {
	for {
		at, err := a.loadSnapshot(ctx, replay)
		if err == nil {
			err = a.readLog(ctx, replay, at)
		}
		if errors.Is(err, rpctypes.ErrCompacted) && ctx.Err() == nil {
			// The leader compacted past our read revision: a newer
			// snapshot stands for what we were reading.
			a.log.Info("cluster: log read compacted away; reading again", "applied", a.applied.Load())
			continue
		}
		return at, err
	}
}

// readLog applies the log records after the last applied one, read at
// revision at, page by page.
func (a *ACD) readLog(ctx context.Context, replay bool, at int64) error {
	for {
		opts := []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByModRevision, clientv3.SortAscend),
			clientv3.WithMinModRev(a.applied.Load() + 1), clientv3.WithLimit(replayPage), clientv3.WithRev(at)}
		rctx, cancel := context.WithTimeout(ctx, a.cfg.Timeout)
		resp, err := a.cli.Get(clientv3.WithRequireLeader(rctx), a.logPrefix(), opts...)
		cancel()
		if err != nil {
			return fmt.Errorf("read log after revision %d: %w", a.applied.Load(), err)
		}
		for _, kv := range resp.Kvs {
			a.apply(kv, replay)
		}
		if !resp.More {
			return nil
		}
	}
}

func (a *ACD) watch(ctx context.Context, from int64) error {
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer cancel()
	for resp := range a.cli.Watch(wctx, a.logPrefix(), clientv3.WithPrefix(), clientv3.WithRev(from)) {
		if err := resp.Err(); err != nil {
			return fmt.Errorf("watch log from revision %d: %w", from, err)
		}
		for _, ev := range resp.Events {
			if ev.Type == mvccpb.PUT {
				a.apply(ev.Kv, false)
			}
		}
	}
	return fmt.Errorf("watch log from revision %d: closed", from)
}

// apply applies one log record (once: records at or below the applied
// revision are skipped) and wakes its submitters.
func (a *ACD) apply(kv *mvccpb.KeyValue, replay bool) {
	if kv.ModRevision <= a.applied.Load() || kv.CreateRevision != kv.ModRevision {
		return // seen already, or a key written twice (not ours: ignored)
	}
	var entries []Entry
	decodeErr := json.Unmarshal(kv.Value, &entries)
	errs := make([]error, len(entries))
	a.cfg.Locker.Lock()
	if decodeErr != nil {
		decodeErr = fmt.Errorf("cluster: log record %s: %w", kv.Key, decodeErr)
		if a.cfg.OnApplied != nil {
			a.cfg.OnApplied(Entry{Rev: kv.ModRevision, Replayed: replay}, nil, decodeErr)
		}
	}
	for i, e := range entries {
		e.Rev, e.Index, e.Replayed = kv.ModRevision, i, replay
		var acts []routing.Action
		acts, errs[i] = a.applyEntry(e)
		if a.cfg.OnApplied != nil {
			a.cfg.OnApplied(e, acts, errs[i])
		}
		a.forget(acts)
	}
	a.noteApplied(len(entries))
	a.applied.Store(kv.ModRevision)
	a.cfg.Locker.Unlock()

	a.mu.Lock()
	batch := a.waiters[string(kv.Key)]
	delete(a.waiters, string(kv.Key))
	a.mu.Unlock()
	for i, p := range batch {
		if i < len(errs) {
			p.resolve(result{applyErr: errs[i]})
		} else {
			p.resolve(result{applyErr: decodeErr})
		}
	}
	a.poke()
	a.changed.fire()
}

// poke makes the leader look at the next deadline again.
func (a *ACD) poke() {
	select {
	case a.kick <- struct{}{}:
	default:
	}
}

// applyEntry runs one entry through the engine and keeps the ownership
// maps. Locker held.
func (a *ACD) applyEntry(e Entry) ([]routing.Action, error) {
	in := e.Input
	if in.At.After(a.clock.now) {
		a.clock.now = in.At
	}
	switch in.Kind {
	case NodeLost:
		return a.endNode(e.Lost, in.At)
	case routing.InputArrive:
		if in.Call != nil {
			if _, live := a.eng.Call(in.Call.ID); !live {
				a.owner[in.Call.ID] = e.Node
			}
		}
	case routing.InputLogin:
		if _, known := a.eng.Agent(in.AgentID); known {
			a.home[in.AgentID] = e.Node
		}
	}
	return a.eng.Apply(in)
}

// forget drops ownership of calls that left the engine and homes of agents
// that logged out, once OnApplied has seen them. Locker held.
func (a *ACD) forget(acts []routing.Action) {
	for _, act := range acts {
		switch {
		case act.Kind == routing.Finished:
			delete(a.owner, act.CallID)
		case act.Kind == routing.AgentState && act.State == agents.LoggedOut:
			delete(a.home, act.AgentID)
		}
	}
}

// endNode ends the calls whose legs the lost node held and logs out the
// agents homed there, in a fixed order so every replica does the same.
// Locker held.
func (a *ACD) endNode(lost string, at time.Time) ([]routing.Action, error) {
	var calls, homed []string
	for id, n := range a.owner {
		if n == lost {
			calls = append(calls, id)
		}
	}
	for id, n := range a.home {
		if n == lost {
			homed = append(homed, id)
		}
	}
	slices.Sort(calls)
	slices.Sort(homed)
	var out []routing.Action
	var errs []error
	step := func(in routing.Input) {
		acts, err := a.eng.Apply(in)
		out = append(out, acts...)
		errs = append(errs, err)
	}
	// Agents first, so no call freed below is offered to an agent that
	// is gone (a busy one is logged out when its call ends).
	for _, id := range homed {
		step(routing.Input{Kind: routing.InputLogout, At: at, AgentID: id})
	}
	for _, id := range calls {
		c, live := a.eng.Call(id)
		if !live {
			// Not the engine's any more: a stale owner would keep the
			// leader finding this node absent (and writing node_lost) for ever.
			delete(a.owner, id)
			continue
		}
		kind := routing.InputCallerHangup // queued or ringing: the caller is gone
		if c.State == "connected" {
			kind = routing.InputAgentHangup // the agent is released as after a call
		}
		step(routing.Input{Kind: kind, At: at, CallID: id})
	}
	return out, errors.Join(errs...)
}

// holdsAny says whether the replica has calls or agents of node.
func (a *ACD) holdsAny(node string) bool {
	a.cfg.Locker.Lock()
	defer a.cfg.Locker.Unlock()
	return slices.Contains(mapValues(a.owner), node) || slices.Contains(mapValues(a.home), node)
}

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
