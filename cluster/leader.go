package cluster

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/frontdoor-project/frontdoor/routing"
)

// One node at a time leads: it alone appends advance entries when the
// engine's next deadline is due, and node_lost entries when a node's
// presence key vanishes. Both are idempotent in the log (an advance with
// nothing due changes nothing; a second node_lost finds no calls), so a
// deposed leader that writes one more, or a new leader that repeats one
// not yet applied, cannot fire a timer twice.

func (a *ACD) ttlSeconds() int64 { return max(1, int64(a.cfg.LeaseTTL/time.Second)) }

// campaign runs for leadership, and leads when elected, while ctx lives.
func (a *ACD) campaign(ctx context.Context) {
	for ctx.Err() == nil {
		err := a.leadOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		a.log.Warn("cluster: leadership lost or campaign failed; campaigning again", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(retryDelay):
		}
	}
}

// leadOnce holds one election session: campaign, then lead until the
// session's lease is lost or ctx ends.
func (a *ACD) leadOnce(ctx context.Context) error {
	sess, err := concurrency.NewSession(a.cli, concurrency.WithTTL(int(a.ttlSeconds())), concurrency.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("election session: %w", err)
	}
	a.session.Store(int64(sess.Lease()))
	defer func() {
		// Give up the lead at once on the way out, not a lease TTL later.
		sess.Orphan()
		rctx, cancel := context.WithTimeout(context.Background(), a.cfg.Timeout)
		defer cancel()
		_, _ = a.cli.Revoke(rctx, sess.Lease())
	}()
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-sess.Done():
			cancel()
		case <-lctx.Done():
		}
	}()
	el := concurrency.NewElection(sess, a.key("acd", "leader"))
	if err := el.Campaign(lctx, a.cfg.NodeID); err != nil {
		return fmt.Errorf("campaign: %w", err)
	}
	a.setLeader(true)
	defer a.setLeader(false)
	snapDone := make(chan struct{})
	go func() { defer close(snapDone); a.snapshotter(lctx, el) }()
	defer func() { cancel(); <-snapDone }()
	a.log.Info("cluster: this node leads the ACD")
	return a.lead(lctx)
}

// lead does the leader's work: fire due timers, notice lost nodes.
func (a *ACD) lead(ctx context.Context) error {
	holders := a.holders()
	present, rev, err := a.presentNodes(ctx)
	if err != nil {
		return err
	}
	// recheck fires while a node_lost could not be appended (etcd refused
	// or timed out): the watch will not tell of that node again, so look
	// for absent nodes once more until every one is written.
	var recheck <-chan time.Time
	backoff := retryDelay
	again := func() { // sooner at first, then no more than every recheckMax
		recheck, backoff = time.After(backoff), min(2*backoff, recheckMax)
	}
	// Nodes that vanished while nobody led (the old leader died with them).
	if !a.loseAbsent(ctx, holders, present) {
		again()
	}
	wch := a.cli.Watch(clientv3.WithRequireLeader(ctx), a.key("nodes")+"/", clientv3.WithPrefix(), clientv3.WithRev(rev+1))
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		a.cfg.Locker.Lock()
		due, ok := a.eng.NextDeadline()
		a.cfg.Locker.Unlock()
		if ok {
			wait := due.Sub(a.cfg.Now())
			if wait <= 0 {
				err := a.submit(ctx, Entry{Node: a.cfg.NodeID, Input: routing.Input{Kind: routing.InputAdvance, At: due}})
				if err != nil {
					a.log.Warn("cluster: advance", "due", due, "err", err)
					if err := sleepCtx(ctx, retryDelay); err != nil {
						return err
					}
				}
				continue
			}
			timer.Reset(wait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-a.kick:
		case <-timer.C:
		case <-recheck:
			recheck = nil
			holders := a.holders()
			present, _, err := a.presentNodes(ctx)
			if err != nil || !a.loseAbsent(ctx, holders, present) {
				again()
			} else {
				backoff = retryDelay
			}
		case resp, open := <-wch:
			if !open {
				return fmt.Errorf("node watch closed: %w", ctx.Err())
			}
			if err := resp.Err(); err != nil {
				return fmt.Errorf("node watch: %w", err)
			}
			for _, ev := range resp.Events {
				if ev.Type == mvccpb.DELETE && !a.loseNode(ctx, strings.TrimPrefix(string(ev.Kv.Key), a.key("nodes")+"/")) {
					again()
				}
			}
		}
	}
}

// recheckMax bounds the leader's wait between attempts to append a
// node_lost that etcd refused.
const recheckMax = 5 * time.Second

func (a *ACD) setLeader(on bool) {
	a.leader.Store(on)
	a.changed.fire()
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// loseNode appends node_lost for node and says whether it was; the leader
// itself is alive whatever its key says (its presence loop puts the key
// back).
func (a *ACD) loseNode(ctx context.Context, node string) bool {
	if node == a.cfg.NodeID {
		return true
	}
	a.log.Warn("cluster: node lost; ending its calls", "lost", node)
	err := a.submit(ctx, Entry{Node: a.cfg.NodeID, Lost: node, Input: routing.Input{Kind: NodeLost, At: a.cfg.Now()}})
	if err != nil {
		// Looked for again (lead's recheck) while the node stays absent; a
		// node_lost that went in after all makes the next one find nothing.
		a.log.Error("cluster: node_lost not written; trying again", "lost", node, "err", err)
		return false
	}
	return true
}

// loseAbsent appends node_lost for each of holders absent from present,
// and says whether every one was written. holders must be read before
// present: a node registers before it submits anything, so one named by
// the replica then and without a key after is gone; read the other way
// round, a node starting in between would be declared lost.
func (a *ACD) loseAbsent(ctx context.Context, holders []string, present map[string]NodeInfo) bool {
	ok := true
	for _, n := range holders {
		if _, alive := present[n]; !alive {
			ok = a.loseNode(ctx, n) && ok
		}
	}
	return ok
}

// holders lists, sorted, the nodes the replica holds calls or agents of.
func (a *ACD) holders() []string {
	a.cfg.Locker.Lock()
	defer a.cfg.Locker.Unlock()
	out := append(mapValues(a.owner), mapValues(a.home)...)
	slices.Sort(out)
	return slices.Compact(out)
}

// Leader is the node that leads the ACD now ("" if none).
func (a *ACD) Leader(ctx context.Context) (string, error) {
	tctx, cancel := context.WithTimeout(ctx, a.cfg.Timeout)
	defer cancel()
	resp, err := a.cli.Get(tctx, a.key("acd", "leader")+"/", clientv3.WithFirstCreate()...)
	if err != nil {
		return "", a.etcdErr("read leader", ctx, err)
	}
	if len(resp.Kvs) == 0 {
		return "", nil
	}
	return string(resp.Kvs[0].Value), nil
}
