// Package etcdtest starts real etcd clusters for tests: each member is an
// fdetcd process (cmd/fdetcd, built once per test binary) on 127.0.0.1 with
// free ports, so a test can kill -9 a member, restart it on its data, or take
// quorum away, exactly as it happens to a deployed cluster.
package etcdtest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// readyTimeout bounds a member's start: the box may be loaded and a new
// cluster needs an election first.
const readyTimeout = 90 * time.Second

// stopTimeout bounds a SIGTERM'd member's shutdown before it is killed.
const stopTimeout = 20 * time.Second

// startAttempts: a free port picked for a member may be taken by another
// process before the member binds it; Start then tries fresh ports.
const startAttempts = 3

// Cluster is a running etcd cluster of fdetcd processes. Kill, Stop and
// Restart may be called from any goroutine (one at a time: they hold mu), but
// they fail the test with t.Fatalf, which only the test's goroutine may call
// safely.
type Cluster struct {
	t       testing.TB
	bin     string
	opts    Options
	tls     *TLS // nil: plain http
	members []*member
	mu      sync.Mutex // serialises Kill, Stop, Restart and cleanup
}

// Options is how StartWith runs the cluster.
type Options struct {
	// TLS serves the client and peer URLs over https with certificates made
	// for the test (see Cluster.TLS); peers always authenticate each other.
	TLS bool
	// ClientCertAuth (with TLS) makes the members require a client
	// certificate signed by the test's CA.
	ClientCertAuth bool
}

// member is one fdetcd process; its addresses and data outlive the process
// so it can be restarted as the same member.
type member struct {
	name, dir, logPath string
	clientURL, peerURL string
	proc               *process // nil while not running
}

// process is one run of fdetcd.
type process struct {
	cmd   *exec.Cmd
	ready chan struct{} // closed when it printed "ready"
	done  chan struct{} // closed when it exited
	err   error         // exit status, set before done closes
}

// Start runs an n-member plain http cluster and returns when every member is
// ready. Everything is killed in t.Cleanup.
func Start(t testing.TB, n int) *Cluster {
	t.Helper()
	return StartWith(t, n, Options{})
}

// StartWith runs an n-member cluster as opts say.
func StartWith(t testing.TB, n int, opts Options) *Cluster {
	t.Helper()
	if n < 1 {
		t.Fatalf("etcdtest: cluster of %d members", n)
	}
	if opts.ClientCertAuth && !opts.TLS {
		t.Fatalf("etcdtest: ClientCertAuth without TLS")
	}
	c := &Cluster{t: t, bin: Binary(t), opts: opts}
	base := t.TempDir()
	if opts.TLS {
		var err error
		if c.tls, err = newTLS(filepath.Join(base, "tls")); err != nil {
			t.Fatalf("etcdtest: certificates: %v", err)
		}
	}
	t.Cleanup(c.cleanup)
	var err error
	for attempt := 1; attempt <= startAttempts; attempt++ {
		if err = c.boot(filepath.Join(base, fmt.Sprint("try", attempt)), n); err == nil {
			return c
		}
		t.Logf("etcdtest: start attempt %d: %v", attempt, err)
		c.killAll()
	}
	t.Fatalf("etcdtest: start %d members: %v", n, err)
	return nil
}

// boot picks ports, starts every member of a new cluster and waits for them.
func (c *Cluster) boot(base string, n int) error {
	c.members = nil
	for i := range n {
		ports, err := freePorts(2)
		if err != nil {
			return err
		}
		m := &member{
			name:      fmt.Sprint("m", i),
			dir:       filepath.Join(base, fmt.Sprint("m", i)),
			logPath:   filepath.Join(base, fmt.Sprintf("m%d.log", i)),
			clientURL: fmt.Sprintf("%s://127.0.0.1:%d", c.scheme(), ports[0]),
			peerURL:   fmt.Sprintf("%s://127.0.0.1:%d", c.scheme(), ports[1]),
		}
		c.members = append(c.members, m)
	}
	for _, m := range c.members {
		if err := c.spawn(m, c.initialCluster(), "new"); err != nil {
			return err
		}
	}
	for _, m := range c.members {
		if err := m.waitReady(); err != nil {
			return err
		}
	}
	return nil
}

func (c *Cluster) initialCluster() string {
	var initial []string
	for _, m := range c.members {
		initial = append(initial, m.name+"="+m.peerURL)
	}
	return strings.Join(initial, ",")
}

// spawn starts m's process without waiting for it to be ready.
func (c *Cluster) spawn(m *member, initial, state string) error {
	if err := os.MkdirAll(filepath.Dir(m.logPath), 0o750); err != nil {
		return err
	}
	logf, err := os.OpenFile(m.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close() // the child has its own descriptor
	args := []string{"-name", m.name, "-data", m.dir,
		"-listen-client", m.clientURL, "-listen-peer", m.peerURL,
		"-initial-cluster", initial, "-initial-state", state}
	cmd := exec.Command(c.bin, append(args, c.tlsFlags()...)...)
	cmd.Stderr = logf
	// Own process group, so a kill reaches everything it started; and killed
	// with the test binary should that die first.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", m.name, err)
	}
	p := &process{cmd: cmd, ready: make(chan struct{}), done: make(chan struct{})}
	m.proc = p
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == "ready" {
				close(p.ready)
				break
			}
		}
		for sc.Scan() { // keep the pipe drained
		}
		p.err = cmd.Wait()
		close(p.done)
	}()
	return nil
}

// waitReady waits for m's "ready" line; a process that exits first fails
// with the end of its log.
func (m *member) waitReady() error {
	p := m.proc
	select {
	case <-p.ready:
		return nil
	case <-p.done:
		return fmt.Errorf("member %s exited before it was ready (%v): %s", m.name, p.err, m.logTail(15))
	case <-time.After(readyTimeout):
		return fmt.Errorf("member %s not ready after %s: %s", m.name, readyTimeout, m.logTail(15))
	}
}

// Endpoints are the client URLs of every member, running or not.
func (c *Cluster) Endpoints() []string {
	var out []string
	for _, m := range c.members {
		out = append(out, m.clientURL)
	}
	return out
}

// Endpoint is member i's client URL.
func (c *Cluster) Endpoint(i int) string { return c.member(i).clientURL }

// Running reports whether member i's process is up (started, not killed or stopped).
func (c *Cluster) Running(i int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.member(i).proc != nil
}

// Size is the number of members.
func (c *Cluster) Size() int { return len(c.members) }

// Client is a client of every member, closed in t.Cleanup. Its dials are
// bounded so a test against a dead cluster fails rather than hangs.
func (c *Cluster) Client(t testing.TB) *clientv3.Client {
	t.Helper()
	cfg := ClientConfig(c.Endpoints())
	if c.tls != nil {
		cfg.TLS = c.tls.client
	}
	cli, err := clientv3.New(cfg)
	if err != nil {
		t.Fatalf("etcdtest: client: %v", err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

// ClientConfig is the client configuration tests use: short dial timeout,
// quick keepalive (a dead member is noticed), no client logs.
func ClientConfig(endpoints []string) clientv3.Config {
	return clientv3.Config{
		Endpoints:            endpoints,
		DialTimeout:          2 * time.Second,
		DialKeepAliveTime:    2 * time.Second,
		DialKeepAliveTimeout: 2 * time.Second,
		Logger:               zap.NewNop(),
	}
}

// Leader is the index of the running member that says it leads, polled until
// one does within readyTimeout (an election may be under way).
func (c *Cluster) Leader(t testing.TB) int {
	t.Helper()
	cli := c.Client(t)
	deadline := time.Now().Add(readyTimeout)
	for {
		for i, ep := range c.Endpoints() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			st, err := cli.Status(ctx, ep)
			cancel()
			if err == nil && st.Leader == st.Header.MemberId {
				return i
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("etcdtest: no member leads after %s", readyTimeout)
		}
	}
}

// Kill sends SIGKILL to member i and waits for it to be gone.
func (c *Cluster) Kill(i int) {
	c.t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.member(i)
	if m.proc == nil {
		c.t.Fatalf("etcdtest: kill %s: not running", m.name)
	}
	m.kill()
}

// Stop sends SIGTERM to member i and waits for it to exit.
func (c *Cluster) Stop(i int) {
	c.t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.member(i)
	p := m.proc
	if p == nil {
		c.t.Fatalf("etcdtest: stop %s: not running", m.name)
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
		m.proc = nil
	case <-time.After(stopTimeout):
		m.kill()
		c.t.Fatalf("etcdtest: %s did not stop on SIGTERM within %s", m.name, stopTimeout)
	}
}

// Restart starts stopped or killed members again on their data directories
// (-initial-state existing) and waits until they are all ready. A member
// becomes ready only once a quorum runs, so restart together the members
// that make a quorum.
func (c *Cluster) Restart(i ...int) {
	c.t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, idx := range i {
		m := c.member(idx)
		if m.proc != nil {
			c.t.Fatalf("etcdtest: restart %s: still running", m.name)
		}
		if err := c.spawn(m, c.initialCluster(), "existing"); err != nil {
			c.t.Fatalf("etcdtest: restart %s: %v", m.name, err)
		}
	}
	for _, idx := range i {
		if err := c.member(idx).waitReady(); err != nil {
			c.t.Fatalf("etcdtest: restart: %v", err)
		}
	}
}

func (c *Cluster) member(i int) *member {
	c.t.Helper()
	if i < 0 || i >= len(c.members) {
		c.t.Fatalf("etcdtest: no member %d in a cluster of %d", i, len(c.members))
	}
	return c.members[i]
}

func (m *member) kill() {
	if m.proc == nil {
		return
	}
	_ = syscall.Kill(-m.proc.cmd.Process.Pid, syscall.SIGKILL)
	<-m.proc.done
	m.proc = nil
}

func (c *Cluster) killAll() {
	for _, m := range c.members {
		m.kill()
	}
}

// cleanup kills every member; a failed test gets the end of each log.
func (c *Cluster) cleanup() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.killAll()
	if c.t.Failed() {
		for _, m := range c.members {
			c.t.Logf("etcdtest: %s log: %s", m.name, m.logTail(10))
		}
	}
}

func (m *member) logTail(lines int) string {
	raw, err := os.ReadFile(m.logPath)
	if err != nil {
		return err.Error()
	}
	all := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return "\n" + strings.Join(all, "\n")
}

// freePorts asks the kernel for n distinct free TCP ports on 127.0.0.1.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
