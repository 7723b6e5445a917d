package cluster

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/frontdoor-project/frontdoor/agents"
)

// alarm raises or clears etcd's NOSPACE alarm on every member, as etcd does
// itself when its database reaches the quota: Puts and lease grants are
// refused, reads, deletes, lease expiry and keepalives go on.
func (c *testEtcd) alarm(t testing.TB, on bool) {
	t.Helper()
	action := pb.AlarmRequest_DEACTIVATE
	if on {
		action = pb.AlarmRequest_ACTIVATE
	}
	for _, m := range c.members {
		if m.srv == nil {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := m.srv.Server.Alarm(ctx, &pb.AlarmRequest{Action: action, MemberID: uint64(m.srv.Server.MemberID()), Alarm: pb.AlarmType_NOSPACE})
		cancel()
		if err != nil {
			t.Fatalf("alarm %v on member %s: %v", action, m.name, err)
		}
	}
}

// TestNodeLostWrittenAfterFailedAppend: the leader sees a node's presence
// key go while etcd refuses writes; the node_lost it could not append is
// written once etcd takes writes again, with no change of leader, so the
// dead node's calls and agents do not stay in the engine for ever.
func TestNodeLostWrittenAfterFailedAppend(t *testing.T) {
	etcd := startEtcd(t, 1)
	refused := make(chan struct{}, 1)
	n1 := newReplica(t, etcd, "n1", testRouting(), func(c *Config) {
		c.Logger = slog.New(&onMessage{prefix: "cluster: node_lost not written", seen: refused})
	})
	leaderOf(t, n1)
	n2 := newReplica(t, etcd, "n2", testRouting())
	login(n2, "a1", false) // homed on n2, not ready: no timer runs
	arrive(n2, "held", "tax")
	n1.until("n2's call and agent applied", func() bool {
		_, live := n1.acd.Engine().Call("held")
		return live && n1.agentState("a1") == agents.NotReady
	})

	etcd.alarm(t, true)
	n2.kill() // its lease runs out and its key goes while etcd refuses Puts
	cli := etcd.client(t)
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := cli.Get(ctxT(t), "/fd/nodes/n2")
		if err == nil && len(resp.Kvs) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("n2's presence key still there: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	select {
	case <-refused:
	case <-time.After(30 * time.Second):
		t.Fatal("the leader never tried to append node_lost for n2")
	}
	etcd.alarm(t, false)

	n1.until("node_lost for n2 applied", func() bool {
		_, live := n1.acd.Engine().Call("held")
		return !live && n1.agentState("a1") == agents.LoggedOut
	})
	if !n1.acd.IsLeader() {
		t.Fatal("n1 lost the lead meanwhile: the test wants the same leader to retry")
	}
}

// onMessage is a log handler that tells seen (without blocking) of each
// record whose message starts with prefix.
type onMessage struct {
	prefix string
	seen   chan struct{}
}

func (h *onMessage) Enabled(context.Context, slog.Level) bool { return true }
func (h *onMessage) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *onMessage) WithGroup(string) slog.Handler            { return h }

func (h *onMessage) Handle(_ context.Context, r slog.Record) error {
	if strings.HasPrefix(r.Message, h.prefix) {
		select {
		case h.seen <- struct{}{}:
		default:
		}
	}
	return nil
}
