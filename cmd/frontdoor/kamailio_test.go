package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/frontdoor-project/frontdoor/cluster/etcdtest"
	"github.com/frontdoor-project/frontdoor/internal/testua"
)

// kamailioProxy is Kamailio running deploy/kamailio/kamailio.cfg unchanged,
// with its listen socket, node list and RPC socket set through the environment
// the config reads (FD_KAM_*), all in a temp dir and on a free port.
type kamailioProxy struct {
	Addr string // host:port callers send to
	ctl  string // binrpc socket for kamcmd
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
	done chan error
}

// Write collects Kamailio's log (it logs to stderr with -E) for failure messages.
func (k *kamailioProxy) Write(p []byte) (int, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.out.Write(p)
}

func (k *kamailioProxy) log() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.out.String()
}

// startKamailio runs Kamailio in front of nodes (host:port each) with shmMB of
// shared memory, and returns once its RPC socket answers with every node listed.
// Kamailio forks workers, so it runs in its own process group and the whole
// group is killed when the test ends.
func startKamailio(tb testing.TB, ctx context.Context, nodes []string, shmMB int) *kamailioProxy {
	tb.Helper()
	dir := tb.TempDir()
	var list strings.Builder
	for i, n := range nodes {
		fmt.Fprintf(&list, "1 sip:%s 0 0 duid=node%d\n", n, i)
	}
	listPath := filepath.Join(dir, "dispatcher.list")
	if err := os.WriteFile(listPath, []byte(list.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	k := &kamailioProxy{Addr: fmt.Sprintf("127.0.0.1:%d", freePortOn(tb, "127.0.0.1")), ctl: "unix:" + filepath.Join(dir, "ctl"),
		done: make(chan error, 1)}
	k.cmd = exec.Command("kamailio", "-DD", "-E", "-m", strconv.Itoa(shmMB), "-M", "16", "-f", repoPath("deploy", "kamailio", "kamailio.cfg"))
	k.cmd.Env = append(os.Environ(), "FD_KAM_LISTEN=udp:"+k.Addr, "FD_KAM_LIST="+listPath, "FD_KAM_CTL="+k.ctl, "FD_KAM_RUNDIR="+dir)
	k.cmd.Stdout, k.cmd.Stderr = k, k
	// Its own group, so cleanup can kill the workers too; Pdeathsig stops it
	// (and it its workers) should the test binary itself be killed.
	k.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := k.cmd.Start(); err != nil {
		tb.Fatalf("start kamailio: %v", err)
	}
	go func() { k.done <- k.cmd.Wait() }()
	tb.Cleanup(func() {
		syscall.Kill(-k.cmd.Process.Pid, syscall.SIGKILL)
		<-k.done
	})
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if d, err := k.destinations(); err == nil && len(d) == len(nodes) {
			return k
		}
		select {
		case err := <-k.done:
			tb.Fatalf("kamailio exited at start: %v\n%s", err, k.log())
		case <-ctx.Done():
			tb.Fatalf("kamailio never answered on %s\n%s", k.ctl, k.log())
		case <-tick.C:
		}
	}
}

var dsDest = regexp.MustCompile(`URI:\s*sip:(\S+)\s+FLAGS:\s*(\S+)`)

// destinations is Kamailio's own view of the nodes: host:port -> dispatcher
// flags (A active, I inactive, T trying, P probing), read with kamcmd.
func (k *kamailioProxy) destinations() (map[string]string, error) {
	out, err := exec.Command("kamcmd", "-s", k.ctl, "dispatcher.list").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("kamcmd dispatcher.list: %v: %s", err, out)
	}
	d := map[string]string{}
	for _, m := range dsDest.FindAllStringSubmatch(string(out), -1) {
		d[m[1]] = m[2]
	}
	return d, nil
}

// waitFlag polls Kamailio's view until node's flags hold flag ("I" inactive,
// "A" active) and returns when it saw that; polling kamcmd is the only way
// Kamailio tells.
func (k *kamailioProxy) waitFlag(ctx context.Context, node, flag string) (time.Time, error) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		d, err := k.destinations()
		if err == nil && strings.Contains(d[node], flag) {
			return time.Now(), nil
		}
		select {
		case <-ctx.Done():
			return time.Time{}, fmt.Errorf("%s never flagged %s: %v %v", node, flag, d, err)
		case <-tick.C:
		}
	}
}

// freePortOn finds a port free now for UDP and TCP on ip (a 127.0.0.x address).
func freePortOn(tb testing.TB, ip string) int {
	tb.Helper()
	for i := 0; i < 50; i++ {
		u, err := net.ListenPacket("udp", net.JoinHostPort(ip, "0"))
		if err != nil {
			tb.Fatal(err)
		}
		port := u.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
		u.Close()
		if err == nil {
			l.Close()
			return port
		}
	}
	tb.Fatalf("no free port on %s", ip)
	return 0
}

// nodeYAML is one independent node on its own loopback address: it answers
// 110 with the IVR, so a sipp call needs no agent.
const nodeYAML = `
listen: { sip: "%[1]s:%[2]d", http: "%[1]s:%[3]d" }
media: { rtp_ports: "%[4]d-%[5]d", advertise_ip: %[1]s }
number: "110"
api: { admin_token: "test-admin-token" }
identity: { mode: off }
sip: { max_calls: 20000 }
agencies: [{ id: tax, name: Tax, digit: "1" }]
agents:
  - { id: "1001", name: A, password: pw1001, skills: { tax: 5 } }
  - { id: "1002", name: B, password: pw1002, skills: { tax: 5 } }
  - { id: "1003", name: C, password: pw1003, skills: { tax: 5 } }
`

// kamNode is one `frontdoor serve` process behind Kamailio.
type kamNode struct {
	proc            *process
	SIP, HTTP       string
	config, dataDir string
}

var sipRequests = regexp.MustCompile(`(?m)^frontdoor_sip_requests_total\{method="([A-Z]+)"\} (\d+)`)

// requests reads the node's SIP request counters by method from /metrics.
func (n kamNode) requests(t *testing.T) map[string]int {
	t.Helper()
	res, err := http.Get(n.HTTP + "/metrics")
	if err != nil {
		t.Fatalf("scrape %s: %v", n.HTTP, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	c := map[string]int{}
	for _, m := range sipRequests.FindAllStringSubmatch(string(body), -1) {
		c[m[1]], _ = strconv.Atoi(m[2])
	}
	return c
}

// waitProbed waits until Kamailio's OPTIONS probes reached the node (its
// OPTIONS counter moves), so the dispatcher has a first verdict on every node.
func (n kamNode) waitProbed(t *testing.T, ctx context.Context) {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for n.requests(t)["OPTIONS"] == 0 {
		select {
		case <-ctx.Done():
			t.Fatalf("kamailio never probed %s", n.SIP)
		case <-tick.C:
		}
	}
}

// sippThrough places calls through Kamailio at rate per second and fails the
// test unless every one completed (sipp exits 0 only then).
func sippThrough(t *testing.T, ctx context.Context, k *kamailioProxy, calls, rate int) {
	t.Helper()
	dir := t.TempDir()
	p := startPeer(t, ctx, dir, "sipp", sippArgs("-sf", repoPath("test", "sipp", "uac_setup_proxy.xml"), "-s", "110",
		"-m", strconv.Itoa(calls), "-r", strconv.Itoa(rate), k.Addr)...)
	if err := p.wait(ctx); err != nil {
		t.Fatalf("sipp through kamailio: %v\n%s\nkamailio:\n%s", err, p.out.String(), k.log())
	}
}

// Three independent frontdoor processes on 127.0.0.2-4 behind the shipped
// Kamailio config: sipp's calls to 110 are spread over all three, and each
// node gets the ACK and BYE of exactly the calls it took (record-route). Then
// kill -9 of an idle node: Kamailio's OPTIONS probes mark it inactive by
// themselves and every next call succeeds on the survivors. Then kill -9 of a
// second node with calls arriving at once: failover (ds_next_dst on timeout)
// carries every call to the last node until the probes mark it. With no node left Kamailio answers 503
// with Retry-After; a restarted node is taken back by the probes. The
// detection times are printed.
func TestKamailioDispatcher(t *testing.T) {
	needTool(t, "kamailio", "kamailio")
	needTool(t, "kamcmd", "kamailio")
	needTool(t, "sipp", "sip-tester")
	ctx := timeout(t, 150*time.Second)
	bin := buildBinary(t)
	var nodes []kamNode
	var addrs []string
	for i, ip := range []string{"127.0.0.2", "127.0.0.3", "127.0.0.4"} {
		dir := t.TempDir()
		rtpBase += 100
		cfg := filepath.Join(dir, "frontdoor.yaml")
		sip, web := freePortOn(t, ip), freePortOn(t, ip)
		if err := os.WriteFile(cfg, []byte(fmt.Sprintf(nodeYAML, ip, sip, web, rtpBase, rtpBase+99)), 0o600); err != nil {
			t.Fatal(err)
		}
		n := kamNode{proc: startBinary(t, ctx, bin, cfg, filepath.Join(dir, "data")),
			SIP: net.JoinHostPort(ip, strconv.Itoa(sip)), HTTP: fmt.Sprintf("http://%s:%d", ip, web),
			config: cfg, dataDir: filepath.Join(dir, "data")}
		t.Logf("node%d at %s", i, n.SIP)
		nodes = append(nodes, n)
		addrs = append(addrs, n.SIP)
	}
	k := startKamailio(t, ctx, addrs, 256)
	for _, n := range nodes {
		n.waitProbed(t, ctx)
	}

	// Spread: round-robin gives every node its share; the in-dialog requests
	// follow the Record-Route to the node that answered.
	const calls = 30
	sippThrough(t, ctx, k, calls, 20)
	before := make([]map[string]int, len(nodes))
	total := 0
	for i, n := range nodes {
		c := n.requests(t)
		before[i] = c
		t.Logf("node%d: %d INVITE, %d ACK, %d BYE, %d OPTIONS", i, c["INVITE"], c["ACK"], c["BYE"], c["OPTIONS"])
		if c["INVITE"] == 0 {
			t.Errorf("node%d got no call: %v", i, c)
		}
		if c["ACK"] != c["INVITE"] || c["BYE"] != c["INVITE"] {
			t.Errorf("node%d: in-dialog requests did not follow the calls: %v", i, c)
		}
		total += c["INVITE"]
	}
	if total != calls {
		t.Fatalf("nodes saw %d INVITEs for %d calls", total, calls)
	}

	// An agent's REGISTER and its digest retry reach the same node (hash on the
	// To user): the nonce a node hands out is only good on that node, so with
	// round-robin REGISTERs these independent nodes would answer 401.
	for _, id := range []string{"1001", "1002", "1003"} {
		if code, err := newPhone(t, id).Register(ctx, k.Addr, "pw"+id, 300); err != nil || code != 200 {
			t.Fatalf("register %s through kamailio: %d %v", id, code, err)
		}
	}
	registers := 0
	for i, n := range nodes {
		c := n.requests(t)
		registers += c["REGISTER"] - before[i]["REGISTER"]
		before[i] = c
	}
	if registers != 6 {
		t.Fatalf("nodes saw %d REGISTERs for 3 agents with one challenge each", registers)
	}

	// An idle node dies: only the probes can notice.
	killed := time.Now()
	nodes[0].proc.cmd.Process.Kill()
	<-nodes[0].proc.done
	at, err := k.waitFlag(ctx, addrs[0], "I")
	if err != nil {
		t.Fatalf("%v\n%s", err, k.log())
	}
	fmt.Printf("kamailio: idle node killed -> marked inactive by OPTIONS probes in %.2f s\n", at.Sub(killed).Seconds())
	sippThrough(t, ctx, k, 20, 20)
	survivors := 0
	for i := 1; i < len(nodes); i++ {
		c := nodes[i].requests(t)
		survivors += c["INVITE"] - before[i]["INVITE"]
		before[i] = c
	}
	if survivors != 20 {
		t.Fatalf("survivors took %d of 20 calls", survivors)
	}

	// A second node dies and calls keep coming at once: until the probes mark
	// it, the INVITEs that pick it time out after fr_timer and go to the last
	// node, so every call still completes.
	killed = time.Now()
	nodes[1].proc.cmd.Process.Kill()
	<-nodes[1].proc.done
	marked := make(chan time.Time, 1)
	go func() {
		at, err := k.waitFlag(ctx, addrs[1], "I")
		if err != nil {
			t.Error(err)
		}
		marked <- at
	}()
	sippThrough(t, ctx, k, 20, 20)
	at = <-marked
	fmt.Printf("kamailio: node killed under calls -> marked inactive in %.2f s; 20 of 20 calls completed on the last node (%d failovers)\n",
		at.Sub(killed).Seconds(), strings.Count(k.log(), "failover: node sip:"+addrs[1]))
	if strings.Count(k.log(), "failover: node sip:"+addrs[1]) == 0 {
		t.Fatalf("no INVITE went to the dead node and over to the next: the failover path was not tried\n%s", k.log())
	}
	if c := nodes[2].requests(t); c["INVITE"]-before[2]["INVITE"] != 20 {
		t.Fatalf("the last node took %d of 20 calls", c["INVITE"]-before[2]["INVITE"])
	}

	// No node left: Kamailio refuses at once with 503 and Retry-After, so a
	// carrier can try another site instead of waiting out its timer.
	nodes[2].proc.cmd.Process.Kill()
	<-nodes[2].proc.done
	if _, err := k.waitFlag(ctx, addrs[2], "I"); err != nil {
		t.Fatal(err)
	}
	caller := newPhone(t, "01070001234")
	host, port, _ := net.SplitHostPort(k.Addr)
	p, _ := strconv.Atoi(port)
	req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "110", Host: host, Port: p})
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(testua.Offer(40000, 0))
	res, err := caller.Request(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if ra := res.GetHeader("Retry-After"); res.StatusCode != 503 || res.Reason != "No frontdoor node available" || ra == nil || ra.Value() != "5" {
		t.Fatalf("with every node dead: %s", res.StartLine())
	}

	// The first node restarts: two answered probes bring it back, and calls
	// reach it again without anyone touching Kamailio.
	restarted := time.Now()
	nodes[0].proc = startBinary(t, ctx, bin, nodes[0].config, nodes[0].dataDir)
	if at, err = k.waitFlag(ctx, addrs[0], "A"); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("kamailio: restarted node active again after %.2f s\n", at.Sub(restarted).Seconds())
	sippThrough(t, ctx, k, 5, 20)
	if c := nodes[0].requests(t); c["INVITE"] != 5 {
		t.Fatalf("the restarted node took %d of 5 calls", c["INVITE"])
	}
}

// BenchmarkKamailioCallSetup offers the call-setup load (INVITE -> IVR 200 ->
// ACK -> BYE) at fixed rates to one node directly, and through the shipped
// kamailio.cfg (1 GB shm, 2 workers) to one node, to three independent nodes
// on 127.0.0.2-4, and to three nodes of one cluster on a real three-member
// etcd (every call's active-call record and CDR written to etcd), one after
// the other on the same box, so the figures compare (docs/performance.md).
func BenchmarkKamailioCallSetup(b *testing.B) {
	for tool, pkg := range map[string]string{"sipp": "sip-tester", "kamailio": "kamailio", "kamcmd": "kamailio"} {
		if _, err := exec.LookPath(tool); err != nil {
			b.Skip("SKIP: needs " + pkg)
		}
	}
	for _, rate := range []int{250, 500, 750, 1000, 1500, 2000} {
		b.Run(fmt.Sprintf("direct-1-node/rate=%d", rate), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				benchSetupRate(b, rate, 10*time.Second)
			}
		})
		for _, ips := range [][]string{{"127.0.0.2"}, {"127.0.0.2", "127.0.0.3", "127.0.0.4"}} {
			b.Run(fmt.Sprintf("kamailio-%d-nodes/rate=%d", len(ips), rate), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					benchThroughKamailio(b, ips, rate, nil)
				}
			})
		}
		b.Run(fmt.Sprintf("kamailio-cluster-3-nodes/rate=%d", rate), func(b *testing.B) {
			etcd := etcdtest.Start(b, 3) // fresh each rate: no earlier run's data
			for i := 0; i < b.N; i++ {
				benchThroughKamailio(b, []string{"127.0.0.2", "127.0.0.3", "127.0.0.4"}, rate, etcd)
			}
		})
	}
}

// benchThroughKamailio runs one node per address in-process behind Kamailio and
// offers rate calls/s through it for 10 s. With etcd the nodes are one cluster,
// under a prefix of their own (a fresh center, no earlier run's log to replay).
func benchThroughKamailio(b *testing.B, ips []string, rate int, etcd *etcdtest.Cluster) {
	prefix := fmt.Sprintf("/bench%d", time.Now().UnixNano())
	var addrs []string
	for i, ip := range ips {
		cluster := ""
		if etcd != nil {
			cluster = fmt.Sprintf("cluster: { node_id: node-%d, etcd: [%s], prefix: %s }\n", i, strings.Join(etcd.Endpoints(), ", "), prefix)
		}
		addr, stop := benchNode(b, ip, freePortOn(b, ip), cluster)
		defer stop()
		addrs = append(addrs, addr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	k := startKamailio(b, ctx, addrs, 1024)
	cancel()
	sippLoad(b, "uac_setup_proxy.xml", k.Addr, rate, 10*time.Second)
	// INVITEs a node was too late to take (fr_timer) and that went to another.
	b.ReportMetric(float64(strings.Count(k.log(), "failover: node")), "failovers")
}
