package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// present puts node's presence key as its ACD would, on a lease of its own.
func present(t testing.TB, cli *clientv3.Client, node string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	lease, err := cli.Grant(ctx, 30)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Put(ctx, "/fd/nodes/"+node, `{"node_id":"`+node+`"}`, clientv3.WithLease(lease.ID)); err != nil {
		t.Fatal(err)
	}
}

// A command goes from node a to node b and b's reply comes back; a command
// to a node that is not present fails at once; one nobody serves times out
// and is withdrawn (never carried out later); one whose owner leaves while
// carrying it out says the owner is gone. Nothing is left in etcd.
func TestCommandsRoundTrip(t *testing.T) {
	served := make(chan Command, 4)
	block := make(chan struct{})
	defer close(block) // before the cleanup that waits for the owner's Serve
	cliA, a := commandPair(t, 1, func(ctx context.Context, cmd Command) Reply {
		served <- cmd
		if cmd.Kind == "block" {
			<-block
			return Reply{}
		}
		if cmd.Arg == "nowhere" {
			return Reply{Code: "unknown_target", Message: "no agency nowhere"}
		}
		return Reply{}
	})

	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	r, err := a.Send(sctx, "b", Command{Kind: "transfer", CallID: "c1", Arg: "customs", Principal: "1003"})
	if err != nil || r.Code != "" {
		t.Fatalf("transfer: %+v %v", r, err)
	}
	if got := <-served; got.From != "a" || got.Principal != "1003" || got.CallID != "c1" || got.Arg != "customs" {
		t.Fatalf("node b got %+v", got)
	}
	if r, err = a.Send(sctx, "b", Command{Kind: "transfer", CallID: "c1", Arg: "nowhere"}); err != nil || r.Code != "unknown_target" {
		t.Fatalf("refused transfer: %+v %v, want code unknown_target", r, err)
	}
	<-served

	if _, err := a.Send(sctx, "z", Command{Kind: "transfer", CallID: "c2"}); !errors.Is(err, ErrOwnerGone) {
		t.Fatalf("command to an absent node: %v, want ErrOwnerGone", err)
	}

	present(t, cliA, "c") // present, but serving nothing
	tctx, tcancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	_, err = a.Send(tctx, "c", Command{Kind: "transfer", CallID: "c3"})
	tcancel()
	if !errors.Is(err, ErrCommandTimeout) || !strings.Contains(err.Error(), "not carried out") {
		t.Fatalf("command nobody serves: %v, want ErrCommandTimeout, not carried out", err)
	}

	gone := make(chan error, 1)
	go func() {
		_, err := a.Send(sctx, "b", Command{Kind: "block", CallID: "c4"})
		gone <- err
	}()
	<-served // b is carrying it out
	if _, err := cliA.Delete(sctx, "/fd/nodes/b"); err != nil {
		t.Fatal(err)
	}
	if err := <-gone; !errors.Is(err, ErrOwnerGone) {
		t.Fatalf("owner left while carrying out: %v, want ErrOwnerGone", err)
	}

	left, err := cliA.Get(sctx, "/fd/commands/", clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil || left.Count != 0 {
		t.Fatalf("keys left under /fd/commands/: %v %v", left.Count, err)
	}
}

// BenchmarkCommandRoundTrip is one forwarded action through a 3-member etcd
// (grant, write, take, reply, revoke) with a handler that does nothing:
// what forwarding adds to a transfer or a coaching request.
func BenchmarkCommandRoundTrip(b *testing.B) {
	_, a := commandPair(b, 3, func(context.Context, Command) Reply { return Reply{} })
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		if _, err := a.Send(sctx, "b", Command{Kind: "transfer", CallID: "c1", Arg: "customs"}); err != nil {
			b.Fatal(err)
		}
		scancel()
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/command")
}

// commandPair is an etcd of members members with node a's command channel
// and node b present and serving with handle (until the test's cleanup).
func commandPair(t testing.TB, members int, handle func(context.Context, Command) Reply) (cliA *clientv3.Client, a *Commands) {
	t.Helper()
	etcd := startEtcd(t, members)
	cliA, cliB := etcd.client(t), etcd.client(t)
	a, b := NewCommands(cliA, "/fd", "a", quietLogger()), NewCommands(cliB, "/fd", "b", quietLogger())
	present(t, cliB, "b")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.Serve(ctx, handle)
	}()
	t.Cleanup(func() { cancel(); <-done })
	return cliA, a
}

// A command the owner cannot read is answered bad_command, not left to time out.
func TestCommandsUnreadableAnswered(t *testing.T) {
	cliA, _ := commandPair(t, 1, func(context.Context, Command) Reply {
		t.Error("an unreadable command reached the handler")
		return Reply{}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	lease, err := cliA.Grant(ctx, 30)
	if err != nil {
		t.Fatal(err)
	}
	replies := cliA.Watch(ctx, "/fd/commands/reply/x1")
	if _, err := cliA.Put(ctx, "/fd/commands/to/b/x1", "{not json", clientv3.WithLease(lease.ID)); err != nil {
		t.Fatal(err)
	}
	for wr := range replies {
		for _, ev := range wr.Events {
			var r Reply
			if err := json.Unmarshal(ev.Kv.Value, &r); err != nil || r.Code != CodeBadCommand || !strings.Contains(r.Message, "unreadable command") {
				t.Fatalf("reply %q (%v), want code %s", ev.Kv.Value, err, CodeBadCommand)
			}
			return
		}
	}
	t.Fatal("no reply before the deadline")
}
