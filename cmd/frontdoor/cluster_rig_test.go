package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emiago/sipgo"

	"github.com/frontdoor-project/frontdoor/cluster/etcdtest"
	"github.com/frontdoor-project/frontdoor/internal/testua"
)

// clusterConfig is testConfig's center as one node of a cluster: tax has
// agents 1001, 1003 and 1004, customs 1002 (1005 and 1006, tax too, only
// where a test needs more agents); 2001 supervises.
const clusterConfig = `
listen: { sip: "%[1]s:%[2]d", http: "%[1]s:%[3]d" }
media: { rtp_ports: "%[4]d-%[5]d", advertise_ip: %[1]s, rtp_timeout_seconds: 30 }
number: "110"
api: { admin_token: "test-admin-token" }
identity: { mode: off }
ivr: { interdigit_timeout_ms: 700, menu_timeout_seconds: 4, menu_retries: 2 }
agencies:
  - { id: tax, name: National Tax Service, digit: "1", numbers: ["126"], queue: { ring_timeout_seconds: 5, wrapup_seconds: 0 } }
  - { id: customs, name: Korea Customs Service, digit: "2", numbers: ["125"], queue: { ring_timeout_seconds: 5, wrapup_seconds: 0 } }
agents:
  - { id: "1001", name: Kim Minji, password: "pw1001", skills: { tax: 5 } }
  - { id: "1002", name: Lee Junho, password: "pw1002", skills: { customs: 5 } }
  - { id: "1003", name: Park Sora, password: "pw1003", skills: { tax: 5 } }
  - { id: "1004", name: Jung Hana, password: "pw1004", skills: { tax: 5 } }
  - { id: "1005", name: Choi Yuna, password: "pw1005", skills: { tax: 5 } }
  - { id: "1006", name: Kang Dohyun, password: "pw1006", skills: { tax: 5 } }
  - { id: "2001", name: Choi Supervisor, password: "pw2001", role: supervisor }
cluster:
  node_id: %[6]s
  etcd: [%[7]s]
  prefix: /fdtest
  # Far below the defaults (10,000 entries, 10 min): the tests' traffic
  # snapshots, trims the log and compacts etcd on the way, as a
  # long-running center does.
  snapshot: { every_entries: 100, interval_seconds: 10 }
`

// clusterNodeProc is one `frontdoor serve` process of the test cluster.
type clusterNodeProc struct {
	name, ip, sip, http string
	cfg, data           string
	proc                *process
}

// startClusterNodes writes each node's config on its own loopback address
// and starts the binary for each, one after the other, so the first leads.
// Against a TLS etcd each node gets cluster.tls with a client certificate.
func startClusterNodes(t *testing.T, ctx context.Context, bin string, etcd *etcdtest.Cluster, ips ...string) []*clusterNodeProc {
	t.Helper()
	return startClusterNodesWith(t, ctx, bin, etcd, clusterConfig, ips...)
}

// startClusterNodesWith is startClusterNodes with configs from template (clusterConfig's arguments).
func startClusterNodesWith(t *testing.T, ctx context.Context, bin string, etcd *etcdtest.Cluster, template string, ips ...string) []*clusterNodeProc {
	t.Helper()
	var endpoints []string
	for _, e := range etcd.Endpoints() {
		endpoints = append(endpoints, `"`+e+`"`)
	}
	dir := t.TempDir()
	var nodes []*clusterNodeProc
	for i, ip := range ips {
		rtpBase += 100
		n := &clusterNodeProc{name: fmt.Sprintf("node-%c", 'a'+i), ip: ip}
		sipPort, httpPort := freePortOn(t, ip), freePortOn(t, ip)
		n.sip, n.http = fmt.Sprintf("%s:%d", ip, sipPort), fmt.Sprintf("http://%s:%d", ip, httpPort)
		n.cfg, n.data = filepath.Join(dir, n.name+".yaml"), filepath.Join(dir, n.name)
		yaml := fmt.Sprintf(template, ip, sipPort, httpPort, rtpBase, rtpBase+99, n.name, strings.Join(endpoints, ", "))
		if tl := etcd.TLS(); tl != nil { // each node its own client certificate
			cert, key := tl.IssueClient(t, n.name, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
			yaml += fmt.Sprintf("  tls: { ca_file: %q, cert_file: %q, key_file: %q }\n", tl.CA, cert, key)
		}
		if err := os.WriteFile(n.cfg, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		n.start(t, ctx, bin)
		if i == 0 {
			waitLeader(t, ctx, []*clusterNodeProc{n})
		}
		nodes = append(nodes, n)
	}
	return nodes
}

func (n *clusterNodeProc) start(t *testing.T, ctx context.Context, bin string) {
	t.Helper()
	n.proc = startBinary(t, ctx, bin, n.cfg, n.data)
	proc := n.proc
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("--- %s log:\n%s", n.name, proc.logText())
		}
	})
}

// kill is kill -9: no drain, no goodbye to etcd.
func (n *clusterNodeProc) kill() {
	n.proc.cmd.Process.Signal(syscall.SIGKILL)
	<-n.proc.done
}

var leaderRE = regexp.MustCompile(`frontdoor_cluster_leader\{node="([^"]+)"\} 1`)

// waitLeader polls the nodes' /metrics until exactly one says it leads.
func waitLeader(t *testing.T, ctx context.Context, nodes []*clusterNodeProc) *clusterNodeProc {
	t.Helper()
	for {
		var leaders []*clusterNodeProc
		for _, n := range nodes {
			if m := leaderRE.FindStringSubmatch(scrapeURL(n.http)); m != nil && m[1] == n.name {
				leaders = append(leaders, n)
			}
		}
		if len(leaders) == 1 {
			return leaders[0]
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no single ACD leader among %d nodes (%d say they lead)", len(nodes), len(leaders))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func scrapeURL(base string) string {
	res, err := http.Get(base + "/metrics")
	if err != nil {
		return ""
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

// clusterAgent registers agent id's phone on node (answering with tone freq)
// and puts it in state ready, as seen from another node's API.
func clusterAgent(t *testing.T, ctx context.Context, id string, freq float64, on, via *clusterNodeProc) *testua.Phone {
	t.Helper()
	a := newPhone(t, id)
	a.AutoAnswer = freq
	if code, err := a.Register(ctx, on.sip, "pw"+id, 3600); err != nil || code != 200 {
		t.Fatalf("register %s on %s: %d %v", id, on.name, code, err)
	}
	waitAgentState(t, ctx, via.http, id, "not_ready")
	apiPut(t, via.http, "/api/v1/agents/"+id+"/state", `{"state":"ready"}`)
	waitAgentState(t, ctx, via.http, id, "ready")
	return a
}

// clusterCaller is one citizen's call into the cluster.
type clusterCaller struct {
	user string
	freq float64
	out  *testua.Outgoing
	id   string // the call's id, from the calls view
}

// dial calls number on node sending tone freq and returns once the call is in
// the center-wide calls view (seen from node via) in state want.
func dialCluster(t *testing.T, ctx context.Context, user string, freq float64, node *clusterNodeProc, number, want string, via *clusterNodeProc) *clusterCaller {
	t.Helper()
	p := newPhone(t, user)
	out, err := p.Call(ctx, node.sip, number, nil, freq)
	if err != nil {
		t.Fatalf("%s calls %s on %s: %v", user, number, node.name, err)
	}
	c := &clusterCaller{user: user, freq: freq, out: out}
	c.id = waitCall(t, ctx, via, user, want, node.name)
	return c
}

type clusterCallView struct {
	ID    string `json:"call_id"`
	From  string `json:"from"`
	State string `json:"state"`
	Agent string `json:"agent"`
	Node  string `json:"node"`
}

// waitCall polls via's /api/v1/calls until from's call held by node is in state
// (or in one of several, written "a|b").
func waitCall(t *testing.T, ctx context.Context, via *clusterNodeProc, from, state, node string) string {
	t.Helper()
	for {
		var list []clusterCallView
		apiGet(t, via.http, "/api/v1/calls", &list)
		for _, c := range list {
			if c.From == from && slices.Contains(strings.Split(state, "|"), c.State) && c.Node == node {
				return c.ID
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("call from %s on %s never %s in %s's view: %+v", from, node, state, via.name, list)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// answered waits for agent's next offer, checks it is for c, and that each
// side hears the other's tone (the node holding c relays the media).
func answered(t *testing.T, ctx context.Context, agent *testua.Phone, c *clusterCaller) *testua.Incoming {
	t.Helper()
	in, err := agent.NextIncoming(ctx)
	if err != nil {
		t.Fatalf("agent %s: %v (waiting for %s's call)", agent.User, err, c.user)
	}
	if got := in.Req.GetHeader("X-Frontdoor-Call").Value(); got != c.id {
		t.Fatalf("agent %s was offered %s, want %s's call %s (the longest waiting)", agent.User, got, c.user, c.id)
	}
	hearBoth(t, ctx, in, c, agent.AutoAnswer)
	return in
}

func hearBoth(t *testing.T, ctx context.Context, in *testua.Incoming, c *clusterCaller, agentFreq float64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if !c.out.RTP.WaitTone(ctx, agentFreq) || !in.RTP.WaitTone(ctx, c.freq) {
		t.Fatalf("%s and agent %s: no two-way audio (caller hears agent: %v, agent hears caller: %v)",
			c.user, in.Req.To().Address.User, c.out.RTP.Hears(agentFreq), in.RTP.Hears(c.freq))
	}
}

// clusterCDRs is every CDR of the center by call id, read from node.
func clusterCDRs(t *testing.T, node *clusterNodeProc) map[string][]cdrView {
	t.Helper()
	var list []cdrView
	apiGet(t, node.http, "/api/v1/cdrs?since="+time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), &list)
	by := map[string][]cdrView{}
	for _, c := range list {
		by[c.CallID] = append(by[c.CallID], c)
	}
	return by
}

// waitCDROutcome polls node's CDRs until callID has one, and checks its outcome.
func waitCDROutcome(t *testing.T, ctx context.Context, node *clusterNodeProc, callID, outcome string) {
	t.Helper()
	for {
		if list := clusterCDRs(t, node)[callID]; len(list) > 0 {
			if len(list) != 1 || list[0].Outcome != outcome {
				t.Fatalf("call %s: CDRs %+v, want one %s", callID, list, outcome)
			}
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("call %s: no CDR (want %s)", callID, outcome)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// inviteStatus sends a new call to node and returns its final status and Retry-After.
func inviteStatus(t *testing.T, ctx context.Context, user string, node *clusterNodeProc) (int, string) {
	t.Helper()
	p := newPhone(t, user)
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := p.Call(cctx, node.sip, "126", nil, 900)
	var re *sipgo.ErrDialogResponse
	if errors.As(err, &re) {
		retry := ""
		if h := re.Res.GetHeader("Retry-After"); h != nil {
			retry = h.Value()
		}
		return re.Res.StatusCode, retry
	}
	if err != nil {
		return 0, ""
	}
	out.Hangup(cctx)
	return out.Status, ""
}

// offersTo waits for one INVITE at each agent phone and returns them by
// call id, and when the first arrived.
func offersTo(t *testing.T, ctx context.Context, phones ...*testua.Phone) (map[string]*testua.Incoming, time.Time) {
	t.Helper()
	got := make(chan *testua.Incoming, len(phones))
	for _, ph := range phones {
		go func() {
			if in, err := ph.NextIncoming(ctx); err == nil {
				got <- in
			}
		}()
	}
	by := map[string]*testua.Incoming{}
	var first time.Time
	for range phones {
		select {
		case in := <-got:
			if first.IsZero() {
				first = time.Now()
			}
			by[in.Req.GetHeader("X-Frontdoor-Call").Value()] = in
		case <-ctx.Done():
			t.Fatalf("offers: only %d of %d agents were offered a call", len(by), len(phones))
		}
	}
	return by, first
}

// servedBoth checks the offers are for calls p and q, each with two-way audio
// (agents answer with 2000 Hz).
func servedBoth(t *testing.T, ctx context.Context, offers map[string]*testua.Incoming, p, q *clusterCaller) {
	t.Helper()
	for _, c := range []*clusterCaller{p, q} {
		in, ok := offers[c.id]
		if !ok {
			t.Fatalf("call %s was not offered (offers: %v)", c.id, offers)
		}
		hearBoth(t, ctx, in, c, 2000)
	}
}

// dialUntilQueued calls tax on node until the call is answered and queued
// (while etcd recovers, new calls may still be refused with 503).
func dialUntilQueued(t *testing.T, ctx context.Context, user string, node *clusterNodeProc) *clusterCaller {
	t.Helper()
	p := newPhone(t, user)
	for {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		out, err := p.Call(cctx, node.sip, "126", nil, 1600)
		cancel()
		if err == nil {
			c := &clusterCaller{user: user, freq: 1600, out: out}
			// A ready agent may take it at once: queued, ringing or connected all
			// say the ACD has it (waiting for "queued" alone raced the agent).
			c.id = waitCall(t, ctx, node, user, "queued|ringing|connected", node.name)
			return c
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no new call taken after quorum came back: %v", err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// waitEvent reads the event stream until an event of type typ whose data holds every one of want.
func waitEvent(t *testing.T, ctx context.Context, events <-chan [2]string, typ string, want ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("event stream ended before a %s event with %v", typ, want)
			}
			if ev[0] != typ {
				continue
			}
			all := true
			for _, w := range want {
				all = all && strings.Contains(ev[1], w)
			}
			if all {
				return
			}
		case <-ctx.Done():
			t.Fatalf("no %s event with %v on the stream", typ, want)
		}
	}
}
