package cluster

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// testEtcd is a real etcd cluster of in-process members (the etcd server
// itself, via embed) on 127.0.0.1 free ports, with real WAL files.
type testEtcd struct {
	t       testing.TB
	members []*etcdMember
}

type etcdMember struct {
	name, dir    string
	peer, client url.URL
	srv          *embed.Etcd
}

func freeURL(t testing.TB) url.URL {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return url.URL{Scheme: "http", Host: l.Addr().String()}
}

var etcdTmpfs = flag.Bool("etcd-tmpfs", false, "keep the test etcd members' data in /dev/shm (no disk fsync cost)")

// etcdDir is a fresh directory for one member's data, removed at cleanup.
func etcdDir(t testing.TB) string {
	t.Helper()
	if !*etcdTmpfs {
		return t.TempDir()
	}
	dir, err := os.MkdirTemp("/dev/shm", "fd-etcd-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// startEtcd starts an n-member cluster and waits until it serves.
func startEtcd(t testing.TB, n int) *testEtcd {
	t.Helper()
	c := &testEtcd{t: t}
	var initial []string
	for i := range n {
		m := &etcdMember{name: fmt.Sprintf("m%d", i), dir: filepath.Join(etcdDir(t), "etcd"), peer: freeURL(t), client: freeURL(t)}
		initial = append(initial, m.name+"="+m.peer.String())
		c.members = append(c.members, m)
	}
	for _, m := range c.members {
		c.start(m, strings.Join(initial, ","))
	}
	for i := range c.members {
		c.waitReady(i)
	}
	t.Cleanup(func() {
		for i := range c.members {
			c.Stop(i)
		}
	})
	return c
}

func (c *testEtcd) start(m *etcdMember, initial string) {
	c.t.Helper()
	cfg := embed.NewConfig()
	cfg.Name, cfg.Dir = m.name, m.dir
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{m.peer}, []url.URL{m.peer}
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{m.client}, []url.URL{m.client}
	cfg.InitialCluster, cfg.ClusterState = initial, embed.ClusterStateFlagNew
	cfg.InitialClusterToken = "frontdoor-test"
	// Shorter raft timers than the 100 ms / 1 s defaults so a lost member
	// is noticed quickly; still ten ticks per election as etcd advises.
	cfg.TickMs, cfg.ElectionMs = 50, 500
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	srv, err := embed.StartEtcd(cfg)
	if err != nil {
		c.t.Fatalf("start etcd member %s: %v", m.name, err)
	}
	m.srv = srv
}

func (c *testEtcd) waitReady(i int) {
	c.t.Helper()
	m := c.members[i]
	select {
	case <-m.srv.Server.ReadyNotify():
	case err := <-m.srv.Err():
		c.t.Fatalf("etcd member %s: %v", m.name, err)
	case <-time.After(60 * time.Second):
		c.t.Fatalf("etcd member %s not ready after 60 s", m.name)
	}
}

// Stop stops member i (its data stays for Restart).
func (c *testEtcd) Stop(i int) {
	if m := c.members[i]; m.srv != nil {
		m.srv.Close()
		m.srv = nil
	}
}

// Restart starts stopped members again on their data and waits until
// they serve (they need each other for a quorum, so all start first).
func (c *testEtcd) Restart(is ...int) {
	c.t.Helper()
	var initial []string
	for _, m := range c.members {
		initial = append(initial, m.name+"="+m.peer.String())
	}
	for _, i := range is {
		c.start(c.members[i], strings.Join(initial, ","))
	}
	for _, i := range is {
		c.waitReady(i)
	}
}

func (c *testEtcd) Endpoints() []string {
	var out []string
	for _, m := range c.members {
		out = append(out, m.client.String())
	}
	return out
}

// client is a new client of every member, closed at cleanup.
func (c *testEtcd) client(t testing.TB) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: c.Endpoints(), DialTimeout: 5 * time.Second,
		Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

// quietLogger keeps test output readable; failures print their own story.
func quietLogger() *slog.Logger {
	if os.Getenv("CLUSTER_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.DiscardHandler)
}

// ctxT is a context that ends with the test.
func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return ctx
}
