package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// A call lives on one node (its leg, media, the switchboard's Call), but the
// user acting on it (an agent's transfer button, a supervisor's coach button)
// may be logged in on any node. Commands carry such an action through etcd to
// the node holding the call and its answer back: the members already trust
// each other through etcd (its TLS is the cluster's boundary), so this needs
// no new port or secret between nodes.
//
// Keys (all on one lease the requester grants, which outlives its wait by
// commandGrace, so nothing is left behind whoever dies):
//
//	<prefix>/commands/to/<owner>/<id>  the command, JSON; the owner deletes it to take it
//	<prefix>/commands/reply/<id>       the owner's Reply, JSON

// Command is an action asked on one node for the node holding the call.
type Command struct {
	ID        string `json:"id"`
	From      string `json:"from"`      // the requesting node
	Kind      string `json:"kind"`      // what to do (the caller's vocabulary: transfer, coach)
	CallID    string `json:"call_id"`   // the call to do it to
	Arg       string `json:"arg"`       // the action's argument (a transfer's target, a coaching mode)
	Principal string `json:"principal"` // the user it is done for, checked on From; for the owner's log
	// WaitMS is how long the requester waits from writing it: relative, so
	// that the nodes' clocks need not agree.
	WaitMS int64 `json:"wait_ms"`
}

// Reply is the owner's answer: an empty Code is success.
type Reply struct {
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

var (
	// ErrOwnerGone: the node holding the call is not (or no longer) in the cluster.
	ErrOwnerGone = errors.New("the node holding the call is not in the cluster")
	// ErrCommandTimeout: the node holding the call did not answer in time.
	ErrCommandTimeout = errors.New("the node holding the call did not answer in time")
)

const (
	// commandWait is a Send's wait when its context has no deadline.
	commandWait = 10 * time.Second
	// commandGrace keeps a command's keys this long after its deadline: the
	// owner's late reply still has a lease to be written on.
	commandGrace = 5 * time.Second
	// ownerMargin is how much earlier than the requester the owner gives up,
	// so that its reply (a timeout, say) arrives while someone still waits.
	ownerMargin = 2 * time.Second
	// rewatchDelay spaces watches started again after a failure (no etcd
	// leader fails them at once).
	rewatchDelay = 200 * time.Millisecond
	// etcdOpTimeout bounds one etcd round trip outside a request's wait.
	etcdOpTimeout = 2 * time.Second
)

// Commands is one node's end of the command channel: it sends commands to
// other nodes and serves the ones sent to it.
type Commands struct {
	cli    *clientv3.Client
	prefix string
	node   string
	log    *slog.Logger
}

// NewCommands is node's command channel under prefix (the cluster's prefix).
func NewCommands(cli *clientv3.Client, prefix, node string, log *slog.Logger) *Commands {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Commands{cli: cli, prefix: prefix, node: node, log: log}
}

func (c *Commands) inbox(node string) string   { return c.prefix + "/commands/to/" + node + "/" }
func (c *Commands) replyKey(id string) string  { return c.prefix + "/commands/reply/" + id }
func (c *Commands) nodeKey(node string) string { return c.prefix + "/nodes/" + node }

// Send asks owner to carry out cmd and waits for its Reply until ctx ends.
// ErrOwnerGone: owner is not present, or left while we waited.
// ErrCommandTimeout: no answer in time (the error says whether the owner had
// taken the command, i.e. whether it may still have been carried out).
func (c *Commands) Send(ctx context.Context, owner string, cmd Command) (Reply, error) {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(commandWait)
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	cmd.ID, cmd.From, cmd.WaitMS = newCommandID(), c.node, time.Until(deadline).Milliseconds()
	val, err := json.Marshal(cmd)
	if err != nil {
		return Reply{}, fmt.Errorf("command %s: %w", cmd.Kind, err)
	}
	rctx := clientv3.WithRequireLeader(ctx)
	ttl := int64(math.Ceil((time.Until(deadline) + commandGrace).Seconds()))
	lease, err := c.cli.Grant(rctx, ttl)
	if err != nil {
		return Reply{}, c.sendErr(ctx, "grant command lease", err)
	}
	defer c.revoke(lease.ID)
	key := c.inbox(owner) + cmd.ID
	// Written only while the owner is present, in one transaction: a command
	// to a dead node would otherwise wait for nobody until its deadline.
	txn, err := c.cli.Txn(rctx).
		If(clientv3.Compare(clientv3.CreateRevision(c.nodeKey(owner)), ">", 0)).
		Then(clientv3.OpPut(key, string(val), clientv3.WithLease(lease.ID))).
		Commit()
	if err != nil {
		return Reply{}, c.sendErr(ctx, "write command", err)
	}
	if !txn.Succeeded {
		return Reply{}, fmt.Errorf("%w: node %s", ErrOwnerGone, owner)
	}
	reply, err := c.await(ctx, owner, cmd.ID, txn.Header.Revision+1)
	if errors.Is(err, ErrCommandTimeout) {
		err = c.withdraw(key, err)
	}
	return reply, err
}

// await watches for cmd id's reply and for owner's presence key to go, from
// revision rev on; a broken watch starts again where it stopped.
func (c *Commands) await(ctx context.Context, owner, id string, rev int64) (Reply, error) {
	for {
		wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
		replies := c.cli.Watch(wctx, c.replyKey(id), clientv3.WithRev(rev))
		presence := c.cli.Watch(wctx, c.nodeKey(owner), clientv3.WithRev(rev), clientv3.WithFilterPut())
		reply, next, err := c.awaitOnce(ctx, replies, presence, owner, rev)
		cancel()
		if err != nil || next == 0 {
			return reply, err
		}
		rev = next
		if sleepCtx(ctx, rewatchDelay) != nil {
			return Reply{}, fmt.Errorf("%w (node %s): %w", ErrCommandTimeout, owner, ctx.Err())
		}
	}
}

// awaitOnce reads one pair of watches. next > 0: the watch broke, go on from next.
func (c *Commands) awaitOnce(ctx context.Context, replies, presence clientv3.WatchChan, owner string, rev int64) (Reply, int64, error) {
	for {
		select {
		case <-ctx.Done():
			return Reply{}, 0, fmt.Errorf("%w (node %s): %w", ErrCommandTimeout, owner, ctx.Err())
		case wr, ok := <-replies:
			if !ok || wr.Err() != nil {
				return Reply{}, rev, nil
			}
			rev = max(rev, wr.Header.Revision+1)
			for _, ev := range wr.Events {
				if ev.Type != clientv3.EventTypePut {
					continue
				}
				var r Reply
				if err := json.Unmarshal(ev.Kv.Value, &r); err != nil {
					return Reply{}, 0, fmt.Errorf("reply from node %s: %w", owner, err)
				}
				return r, 0, nil
			}
		case wr, ok := <-presence:
			if !ok || wr.Err() != nil {
				return Reply{}, rev, nil
			}
			if len(wr.Events) > 0 {
				return Reply{}, 0, fmt.Errorf("%w: node %s left while carrying out the request", ErrOwnerGone, owner)
			}
		}
	}
}

// withdraw takes back a command nobody answered: if it is still there the
// owner never took it, and now never will.
func (c *Commands) withdraw(key string, timeout error) error {
	ctx, cancel := context.WithTimeout(context.Background(), etcdOpTimeout)
	defer cancel()
	res, err := c.cli.Delete(ctx, key)
	switch {
	case err != nil:
		return fmt.Errorf("%w; whether it was carried out is unknown", timeout)
	case res.Deleted > 0:
		return fmt.Errorf("%w; it was not carried out", timeout)
	default:
		return fmt.Errorf("%w; it may still be carried out", timeout)
	}
}

func (c *Commands) revoke(id clientv3.LeaseID) {
	ctx, cancel := context.WithTimeout(context.Background(), etcdOpTimeout)
	defer cancel()
	if _, err := c.cli.Revoke(ctx, id); err != nil {
		c.log.Debug("cluster: revoke command lease (it expires anyway)", "err", err)
	}
}

// sendErr is an etcd failure before the command was written: a requester out
// of quorum cannot ask anyone.
func (c *Commands) sendErr(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w: %s: %w", ErrCommandTimeout, what, err)
	}
	return fmt.Errorf("%s: %w: %w", what, ErrNoQuorum, err)
}

func newCommandID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Serve carries out the commands sent to this node until ctx ends, each with
// handle on its own goroutine, under a context ending a little before its
// requester stops waiting (ownerMargin, or half its wait if shorter). Commands already waiting when it starts are served
// too (the requester may still be waiting for them).
func (c *Commands) Serve(ctx context.Context, handle func(context.Context, Command) Reply) {
	var wg sync.WaitGroup
	defer wg.Wait()
	prefix := c.inbox(c.node)
	var rev int64
	for ctx.Err() == nil {
		if rev == 0 {
			res, err := c.cli.Get(clientv3.WithRequireLeader(ctx), prefix, clientv3.WithPrefix())
			if err != nil {
				c.log.Warn("cluster: reading commands", "err", err)
				if sleepCtx(ctx, time.Second) != nil {
					return
				}
				continue
			}
			for _, kv := range res.Kvs {
				wg.Go(func() { c.serveOne(ctx, kv.Key, kv.Value, kv.ModRevision, kv.Lease, handle) })
			}
			rev = res.Header.Revision + 1
		}
		wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
		for wr := range c.cli.Watch(wctx, prefix, clientv3.WithPrefix(), clientv3.WithRev(rev), clientv3.WithFilterDelete()) {
			if wr.Err() != nil {
				c.log.Warn("cluster: command watch", "err", wr.Err())
				if wr.CompactRevision > 0 {
					rev = 0 // compacted away: read what is there again
				}
				sleepCtx(ctx, rewatchDelay)
				break
			}
			rev = wr.Header.Revision + 1
			for _, ev := range wr.Events {
				kv := ev.Kv
				wg.Go(func() { c.serveOne(ctx, kv.Key, kv.Value, kv.ModRevision, kv.Lease, handle) })
			}
		}
		cancel()
	}
}

// serveOne takes one command (deleting it, so a requester that gave up and a
// second delivery both find it gone), carries it out and writes the reply.
func (c *Commands) serveOne(ctx context.Context, key, val []byte, modRev, lease int64, handle func(context.Context, Command) Reply) {
	k := string(key)
	tctx, cancel := context.WithTimeout(ctx, etcdOpTimeout)
	defer cancel()
	take, err := c.cli.Txn(tctx).If(clientv3.Compare(clientv3.ModRevision(k), "=", modRev)).Then(clientv3.OpDelete(k)).Commit()
	if err != nil {
		c.log.Warn("cluster: taking a command", "key", k, "err", err)
		return
	}
	if !take.Succeeded {
		return // withdrawn by its requester, or already taken
	}
	var cmd Command
	if err := json.Unmarshal(val, &cmd); err != nil {
		// Answer all the same (the key names the id), so the requester hears
		// why instead of waiting out its time.
		c.log.Warn("cluster: unreadable command", "key", k, "err", err)
		cmd = Command{ID: k[strings.LastIndexByte(k, '/')+1:]}
		c.reply(ctx, cmd, Reply{Code: CodeBadCommand, Message: "unreadable command: " + err.Error()}, lease)
		return
	}
	c.log.Info("cluster: carrying out a command", "kind", cmd.Kind, "call", cmd.CallID, "arg", cmd.Arg,
		"principal", cmd.Principal, "from", cmd.From)
	wait := time.Duration(cmd.WaitMS) * time.Millisecond
	hctx, hcancel := context.WithTimeout(ctx, max(wait-ownerMargin, wait/2))
	reply := handle(hctx, cmd)
	hcancel()
	c.reply(ctx, cmd, reply, lease)
}

// CodeBadCommand is the reply to a command the owner cannot read.
const CodeBadCommand = "bad_command"

// reply writes cmd's reply on the requester's lease.
func (c *Commands) reply(ctx context.Context, cmd Command, reply Reply, lease int64) {
	out, _ := json.Marshal(reply)
	pctx, pcancel := context.WithTimeout(ctx, etcdOpTimeout)
	defer pcancel()
	if _, err := c.cli.Put(pctx, c.replyKey(cmd.ID), string(out), clientv3.WithLease(clientv3.LeaseID(lease))); err != nil {
		// The lease is gone when the requester gave up (or died): nobody to tell.
		c.log.Warn("cluster: writing a command's reply", "kind", cmd.Kind, "call", cmd.CallID, "from", cmd.From, "err", err)
	}
}
