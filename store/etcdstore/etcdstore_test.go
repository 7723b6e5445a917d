package etcdstore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/frontdoor-project/frontdoor/cluster/etcdtest"
	"github.com/frontdoor-project/frontdoor/store"
	"github.com/frontdoor-project/frontdoor/store/storetest"
)

// open makes a store on the given endpoints (its own client) under prefix.
func open(t testing.TB, endpoints []string, prefix string) *Store {
	t.Helper()
	s, err := Open(Config{Endpoints: endpoints, Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// The same rules as the bbolt store, on a real three-member cluster; each
// test has its own prefix, and every reopen dials a new client.
func TestConformance(t *testing.T) {
	c := etcdtest.Start(t, 3)
	var n atomic.Int64
	storetest.Run(t, func(t *testing.T) storetest.Opener {
		prefix := fmt.Sprintf("/conformance-%d", n.Add(1))
		return func(t *testing.T) store.Store { return open(t, c.Endpoints(), prefix) }
	})
}

func TestOpenRefusals(t *testing.T) {
	if _, err := Open(Config{}); err == nil || err.Error() != "etcdstore: no etcd endpoints" {
		t.Errorf("no endpoints: %v", err)
	}
	if _, err := Open(Config{Endpoints: []string{"http://127.0.0.1:1"}, Prefix: "frontdoor"}); err == nil ||
		err.Error() != `etcdstore: prefix "frontdoor" does not start with /` {
		t.Errorf("relative prefix: %v", err)
	}
}

// A client the caller passed in stays open after Close; keys are under
// <prefix>/store/.
func TestSharedClientAndKeyLayout(t *testing.T) {
	c := etcdtest.Start(t, 1)
	cli := c.Client(t)
	s, err := Open(Config{Client: cli, Prefix: "/fd/"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.PutCDR(ctx, storetest.CDR("k1", storetest.T0)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	resp, err := cli.Get(ctx, "/fd/store/", clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		t.Fatalf("the caller's client after Close: %v", err)
	}
	var keys []string
	for _, kv := range resp.Kvs {
		keys = append(keys, string(kv.Key))
	}
	want := "/fd/store/cdr-final/k1 /fd/store/cdr/" + timeKey(storetest.T0) + "/k1"
	if got := strings.Join(keys, " "); got != want {
		t.Errorf("keys %s\nwant %s", got, want)
	}
}

// etcd itself deletes a registration's key when its lease (Expires) runs out;
// one put already expired removes the key at once.
func TestRegistrationLeaseExpiry(t *testing.T) {
	c := etcdtest.Start(t, 1)
	s := open(t, c.Endpoints(), "/leases")
	ctx := context.Background()
	short := store.Registration{AgentID: "1001", Contact: "sip:1001@127.0.0.1:5070", Expires: time.Now().Add(2 * time.Second)}
	long := store.Registration{AgentID: "1002", Contact: "sip:1002@127.0.0.1:5071", Expires: time.Now().Add(time.Hour)}
	for _, r := range []store.Registration{short, long} {
		if err := s.PutRegistration(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if regs, err := s.Registrations(ctx); err != nil || len(regs) != 2 {
		t.Fatalf("registrations: %v %v", regs, err)
	}
	cli := c.Client(t)
	key := "/leases/store/reg/1001"
	resp, err := cli.Get(ctx, key)
	if err != nil || len(resp.Kvs) != 1 || resp.Kvs[0].Lease == 0 {
		t.Fatalf("registration key %s: %v %v", key, resp, err)
	}
	// A re-REGISTER moves the key to a new lease and revokes the old one.
	leaseOf := func(key string) clientv3.LeaseID {
		t.Helper()
		resp, err := cli.Get(ctx, key)
		if err != nil || len(resp.Kvs) != 1 {
			t.Fatalf("get %s: %v %v", key, resp, err)
		}
		return clientv3.LeaseID(resp.Kvs[0].Lease)
	}
	first := leaseOf("/leases/store/reg/1002")
	if err := s.PutRegistration(ctx, long); err != nil {
		t.Fatal(err)
	}
	if second := leaseOf("/leases/store/reg/1002"); second == first || second == 0 {
		t.Errorf("re-registered on lease %x, was %x", second, first)
	}
	if ttl, err := cli.TimeToLive(ctx, first); err != nil || ttl.TTL != -1 {
		t.Errorf("the replaced lease %x: %+v %v, want revoked (TTL -1)", first, ttl, err)
	}
	// Wait on etcd's own deletion (a watch), not on a clock.
	wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	began := time.Now()
	for ev := range cli.Watch(wctx, key, clientv3.WithRev(resp.Header.Revision+1)) {
		if len(ev.Events) > 0 && ev.Events[0].Type == clientv3.EventTypeDelete {
			break
		}
	}
	if wctx.Err() != nil {
		t.Fatalf("registration key still there %s after it expired", time.Since(short.Expires).Round(time.Millisecond))
	}
	t.Logf("lease deleted the key %s after Expires", time.Since(short.Expires).Round(time.Millisecond))
	if time.Since(began) < time.Second {
		t.Errorf("key deleted %s after a put with 2 s to live", time.Since(began))
	}
	regs, err := s.Registrations(ctx)
	if err != nil || len(regs) != 1 || regs[0].AgentID != "1002" {
		t.Errorf("after expiry: %v %v", regs, err)
	}
	long.Expires = time.Now().Add(-time.Second)
	if err := s.PutRegistration(ctx, long); err != nil {
		t.Fatal(err)
	}
	if regs, err := s.Registrations(ctx); err != nil || len(regs) != 0 {
		t.Errorf("after an expired put: %v %v", regs, err)
	}
}

// No etcd at all (nothing listens): Open still returns, and each operation
// fails within its deadline with ErrUnavailable.
func TestUnreachableIsUnavailable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	l.Close()
	began := time.Now()
	s, err := Open(Config{Endpoints: []string{dead}, Timeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer s.Close()
	err = s.PutCDR(context.Background(), storetest.CDR("k1", storetest.T0))
	if !errors.Is(err, store.ErrUnavailable) || !strings.HasPrefix(err.Error(), "etcdstore: put cdr k1: store unavailable: ") {
		t.Errorf("put without etcd: %v", err)
	}
	if took := time.Since(began); took > 2*time.Second {
		t.Errorf("open and put without etcd took %s (deadline 500ms)", took)
	}
}
