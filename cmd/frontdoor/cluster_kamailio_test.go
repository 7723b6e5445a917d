package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/cluster/etcdtest"
	"github.com/frontdoor-project/frontdoor/internal/testua"
)

// The three-node cluster (real three-member etcd) behind the shipped
// kamailio.cfg, as a carrier would reach it: sipp citizens call 110 through
// Kamailio, pick tax by INFO and stream a 1 kHz tone; five Go agent phones
// register through Kamailio (each REGISTER hashes to its home node). Calls are
// spread over the three nodes and answered by agents whichever node their phone
// registered on, the agent hearing the caller's tone.
//   - etcd's raft leader is killed with kill -9 and restarted while calls
//     arrive: two of three elect a new leader and keep quorum, no call fails.
//   - The ACD leader node is killed with kill -9 with five calls up: its calls
//     fail on sipp's side and are cut_off in the CDRs, the others complete;
//     Kamailio's OPTIONS probes mark it inactive, the agents homed there
//     register again (their refresh lands on a survivor) and every new call
//     succeeds on the survivors.
//
// Finally each sipp call is matched with the CDRs read from a survivor by its
// caller number: every call sipp completed has exactly one CDR, answered; each
// call the killed node carried has one, cut_off; and the killed node, started
// again, restores the ACD snapshot the survivors wrote.
func TestClusterBehindKamailio(t *testing.T) {
	needTool(t, "kamailio", "kamailio")
	needTool(t, "kamcmd", "kamailio")
	needTool(t, "sipp", "sip-tester")
	ctx := timeout(t, 150*time.Second)
	etcd := etcdtest.Start(t, 3)
	bin := buildBinary(t)
	nodes := startClusterNodes(t, ctx, bin, etcd, "127.0.0.2", "127.0.0.3", "127.0.0.4")
	var addrs []string
	for _, n := range nodes {
		addrs = append(addrs, n.sip)
	}
	k := startKamailio(t, ctx, addrs, 256)
	for _, n := range nodes {
		n.kam().waitProbed(t, ctx)
	}
	dir := t.TempDir()
	tone := writeToneWAV(t, dir, 1000, 2)
	calls := watchCalls(t, ctx, nodes)

	// Agents register through Kamailio; the node whose REGISTER counter moved is
	// the agent's home.
	agentIDs := []string{"1001", "1003", "1004", "1005", "1006"}
	phones := map[string]*testua.Phone{}
	home := map[string]*clusterNodeProc{}
	offers := make(chan clusterOffer, 100)
	for _, id := range agentIDs {
		phones[id] = newPhone(t, id)
		phones[id].AutoAnswer = 2000
		home[id] = registerThrough(t, ctx, k, phones[id], nodes)
		t.Logf("agent %s registered through kamailio on %s", id, home[id].name)
		apiPut(t, nodes[0].http, "/api/v1/agents/"+id+"/state", `{"state":"ready"}`)
		waitAgentState(t, ctx, nodes[2].http, id, "ready")
		go answerOffers(ctx, phones[id], offers)
	}
	var seen []clusterOffer
	waitOffers := func(n int) {
		t.Helper()
		for len(seen) < n {
			select {
			case o := <-offers:
				seen = append(seen, o)
			case <-ctx.Done():
				t.Fatalf("only %d of %d calls were offered to an agent", len(seen), n)
			}
		}
	}

	// Phase 1: 15 calls at 1.5/s; an etcd member is killed after the third
	// offer and restarted after the seventh.
	run1 := startSippCallers(t, ctx, k, dir, tone, "110", 15, "3", "2000", 2000)
	waitOffers(3)
	// The raft leader: its death opens an election, which the nodes' quorum
	// watch must ride out (cluster/center electionGrace) rather than 503
	// every new call at once (Kamailio then answers 500).
	victim := etcd.Leader(t)
	etcd.Kill(victim)
	t.Logf("etcd member %d (the raft leader) killed after %d offers", victim, len(seen))
	waitOffers(7)
	etcd.Restart(victim)
	t.Logf("etcd member %d restarted after %d offers", victim, len(seen))
	done1, failed1 := run1.finish(t, ctx)
	if failed1 != 0 || len(done1) != 15 {
		t.Fatalf("with an etcd member killed and restarted: %d of 15 calls completed, %d failed\n%s", len(done1), failed1, run1.p.out.String())
	}
	waitOffers(15)
	cross := 0
	for _, o := range seen {
		if !o.heard {
			t.Errorf("agent %s did not hear the caller's tone on call %s from %s (%d RTP packets)", o.agent, o.call, o.from, o.packets)
		}
		if o.node != home[o.agent].ip {
			cross++
		}
	}
	if cross == 0 {
		t.Errorf("no call was answered by an agent homed on another node than the caller's: %+v", seen)
	}
	t.Logf("%d of %d calls answered by an agent homed on another node than the caller's", cross, len(seen))
	for _, n := range nodes {
		c := n.kam().requests(t)
		t.Logf("%s: %d INVITE, %d ACK, %d INFO, %d BYE, %d REGISTER", n.name, c["INVITE"], c["ACK"], c["INFO"], c["BYE"], c["REGISTER"])
		if c["INVITE"] == 0 {
			t.Errorf("%s took no call", n.name)
		}
	}

	// Phase 2: five calls up and talking, then kill -9 of the ACD leader.
	leader := waitLeader(t, ctx, nodes)
	var survivors []*clusterNodeProc
	for _, n := range nodes {
		if n != leader {
			survivors = append(survivors, n)
		}
	}
	run2 := startSippCallers(t, ctx, k, dir, tone, "110", 5, "5", "8000", 1000)
	held := map[string]string{} // caller number -> node holding the call
	for _, num := range run2.numbers() {
		held[num] = waitCallAnywhere(t, ctx, survivors[0], num, "connected")
	}
	if c := calls.byFrom(); len(c) != 15+5 {
		t.Fatalf("the event streams showed %d calls, want 20: %v", len(c), c)
	}
	killed := time.Now()
	leader.kill()
	at, err := k.waitFlag(ctx, leader.sip, "I")
	if err != nil {
		t.Fatalf("%v\n%s", err, k.log())
	}
	fmt.Printf("cluster behind kamailio: ACD leader %s killed -> marked inactive by OPTIONS probes in %.2f s\n", leader.name, at.Sub(killed).Seconds())
	done2, failed2 := run2.finish(t, ctx)
	cutOff := 0
	for num, node := range held {
		onLeader := node == leader.name
		if onLeader {
			cutOff++
		}
		if done2[num] == onLeader {
			t.Errorf("call %s held by %s: completed for sipp %v, want %v", num, node, done2[num], !onLeader)
		}
	}
	if cutOff == 0 || failed2 != cutOff {
		t.Fatalf("leader %s held %d of the 5 calls; sipp failed %d", leader.name, cutOff, failed2)
	}

	// The agents homed on the dead node are logged out; their next REGISTER
	// goes through Kamailio to a survivor and they are ready again.
	for _, id := range agentIDs {
		if home[id] != leader {
			continue
		}
		waitAgentState(t, ctx, survivors[0].http, id, "logged_out")
		home[id] = registerThrough(t, ctx, k, phones[id], survivors)
		apiPut(t, survivors[1].http, "/api/v1/agents/"+id+"/state", `{"state":"ready"}`)
		waitAgentState(t, ctx, survivors[0].http, id, "ready")
	}

	// Phase 3: new calls all succeed, on the survivors only.
	before := 0
	for _, n := range survivors {
		before += n.kam().requests(t)["INVITE"]
	}
	run3 := startSippCallers(t, ctx, k, dir, tone, "110", 6, "3", "1500", 1000)
	done3, failed3 := run3.finish(t, ctx)
	if failed3 != 0 || len(done3) != 6 {
		t.Fatalf("after the leader's death: %d of 6 calls completed, %d failed\n%s", len(done3), failed3, run3.p.out.String())
	}
	after := 0
	for _, n := range survivors {
		after += n.kam().requests(t)["INVITE"]
	}
	if after-before != 6 {
		t.Fatalf("the survivors took %d of 6 new calls", after-before)
	}

	// sipp's view against the CDRs on a survivor, matched by the call ids the
	// event streams gave each caller number.
	ids := calls.byFrom()
	want := map[string]string{} // call id -> the one outcome its CDR must have
	for _, done := range []map[string]bool{done1, done2, done3} {
		for num := range done {
			want[ids[num].ID] = "answered"
		}
	}
	for num, node := range held {
		if node == leader.name {
			want[ids[num].ID] = "cut_off"
		}
	}
	if len(want) != 15+5+6-failed2+cutOff {
		t.Fatalf("sipp's calls map to %d call ids: %v", len(want), ids)
	}
	got := waitCDRs(t, ctx, survivors[1], want)
	for id, outcome := range want {
		if c := got[id]; len(c) != 1 || c[0].Outcome != outcome {
			t.Errorf("call %s: CDRs %+v, want one %s", id, c, outcome)
		}
	}
	if t.Failed() {
		t.Logf("every CDR on %s: %+v", survivors[1].name, got)
	}

	// cluster.snapshot.every_entries: 100 took effect: the log was
	// snapshotted, and the dead node, started again, restores the snapshot
	// instead of replaying the log from its start (which is trimmed).
	res, err := etcd.Client(t).Get(ctx, "/fdtest/acd/snapshot")
	if err != nil || len(res.Kvs) != 1 {
		t.Fatalf("no ACD snapshot in etcd after %d calls: %v", len(want), err)
	}
	leader.start(t, ctx, bin)
	if !leader.proc.waitLog(ctx, "cluster: restored snapshot") {
		t.Fatalf("%s started again without restoring the snapshot:\n%s", leader.name, leader.proc.logText())
	}
	// entries=: how far past every_entries the test's traffic went.
	for _, n := range nodes {
		for _, line := range strings.Split(n.proc.logText(), "\n") {
			if strings.Contains(line, "cluster: restored snapshot") || strings.Contains(line, "cluster: snapshot written") {
				t.Log(line)
			}
		}
	}
}

// kam is the node seen as a Kamailio destination (its SIP counters).
func (n *clusterNodeProc) kam() kamNode { return kamNode{SIP: n.sip, HTTP: n.http} }

// registerThrough registers phone through Kamailio and returns the node that
// took the REGISTER (its counter moved by two: the challenge and the retry).
func registerThrough(t *testing.T, ctx context.Context, k *kamailioProxy, phone *testua.Phone, nodes []*clusterNodeProc) *clusterNodeProc {
	t.Helper()
	before := make([]int, len(nodes))
	for i, n := range nodes {
		before[i] = n.kam().requests(t)["REGISTER"]
	}
	if code, err := phone.Register(ctx, k.Addr, "pw"+phone.User, 3600); err != nil || code != 200 {
		t.Fatalf("register %s through kamailio: %d %v", phone.User, code, err)
	}
	for i, n := range nodes {
		if n.kam().requests(t)["REGISTER"]-before[i] == 2 {
			waitAgentState(t, ctx, n.http, phone.User, "not_ready")
			return n
		}
	}
	t.Fatalf("no single node took %s's REGISTER and its retry", phone.User)
	return nil
}

// clusterOffer is one call offered to an agent phone and answered.
type clusterOffer struct {
	agent, call, from string
	node              string // the IP the INVITE came from: the node holding the caller
	heard             bool   // the agent heard the caller's 1 kHz tone
	packets           int    // RTP packets the agent got
}

// answerOffers reports every call offered to phone (which answers by itself)
// until ctx ends, after listening for the caller's tone.
func answerOffers(ctx context.Context, phone *testua.Phone, out chan<- clusterOffer) {
	for {
		in, err := phone.NextIncoming(ctx)
		if err != nil {
			return
		}
		o := clusterOffer{agent: phone.User, call: in.Req.GetHeader("X-Frontdoor-Call").Value(), from: in.Req.From().Address.User}
		o.node, _, _ = net.SplitHostPort(in.Req.Source())
		hctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		o.heard = in.RTP.WaitTone(hctx, 1000)
		cancel()
		o.packets = in.RTP.Packets()
		out <- o
	}
}

// sippCallers is one sipp run of test/sipp/caller.xml through Kamailio.
type sippCallers struct {
	p     *peer
	dir   string
	calls int
}

// startSippCallers places calls through k, perPeriod calls every periodMS,
// each picking tax and hanging up talkMS after its choice.
func startSippCallers(t *testing.T, ctx context.Context, k *kamailioProxy, dir, tone, service string, calls int, perPeriod, talkMS string, periodMS int) *sippCallers {
	t.Helper()
	run := &sippCallers{dir: filepath.Join(dir, fmt.Sprintf("sipp%d", time.Now().UnixNano())), calls: calls}
	if err := os.Mkdir(run.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	run.p = startPeer(t, ctx, run.dir, "sipp", sippArgs("-sf", scenario(t, run.dir, "caller.xml", tone), "-s", service,
		"-m", strconv.Itoa(calls), "-r", perPeriod, "-rp", strconv.Itoa(periodMS), "-set", "key", "1", "-d", talkMS,
		"-trace_logs", "-log_file", filepath.Join(run.dir, "completed.log"), k.Addr)...)
	return run
}

// numbers are the caller numbers of the run's calls (caller.xml: 010<pid><n>).
func (r *sippCallers) numbers() []string {
	var out []string
	for i := 1; i <= r.calls; i++ {
		out = append(out, fmt.Sprintf("010%d%d", r.p.cmd.Process.Pid, i))
	}
	return out
}

// finish waits for sipp to end and returns the numbers of the calls it
// completed (logged by the scenario after the BYE's 200) and how many failed.
func (r *sippCallers) finish(t *testing.T, ctx context.Context) (map[string]bool, int) {
	t.Helper()
	r.p.wait(ctx) // non-zero when a call failed: counted below
	failed := -1
	for _, m := range sippCounter.FindAllStringSubmatch(r.p.out.String(), -1) {
		if m[1] == "Failed call" {
			failed, _ = strconv.Atoi(m[2])
		}
	}
	if failed < 0 {
		t.Fatalf("sipp printed no statistics:\n%s", r.p.out.String())
	}
	raw, _ := os.ReadFile(filepath.Join(r.dir, "completed.log"))
	done := map[string]bool{}
	for _, line := range strings.Fields(string(raw)) {
		done[line] = true
	}
	return done, failed
}

// waitCallAnywhere polls via's calls view until from's call is in state and
// returns the node holding it.
func waitCallAnywhere(t *testing.T, ctx context.Context, via *clusterNodeProc, from, state string) string {
	t.Helper()
	for {
		var list []clusterCallView
		apiGet(t, via.http, "/api/v1/calls", &list)
		for _, c := range list {
			if c.From == from && c.State == state {
				return c.Node
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("call from %s never %s in %s's view: %+v", from, state, via.name, list)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// waitCDRs polls node's CDRs until every call id in want has one (or 15 s
// passed: a missing CDR is then reported by the caller) and returns them all.
func waitCDRs(t *testing.T, ctx context.Context, node *clusterNodeProc, want map[string]string) map[string][]cdrView {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	for {
		by := clusterCDRs(t, node)
		missing := 0
		for id := range want {
			if len(by[id]) == 0 {
				missing++
			}
		}
		if missing == 0 {
			return by
		}
		select {
		case <-ctx.Done():
			return by
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// callLog is every call the nodes' event streams announced, by caller number.
type callLog struct {
	mu   sync.Mutex
	from map[string]clusterCallView
}

// watchCalls follows the SSE feed of every node (a killed node's feed just
// ends) and records each call's id and node by its caller number.
func watchCalls(t *testing.T, ctx context.Context, nodes []*clusterNodeProc) *callLog {
	t.Helper()
	l := &callLog{from: map[string]clusterCallView{}}
	for _, n := range nodes {
		events := sseEvents(t, ctx, n.http, "test-admin-token")
		go func() {
			for ev := range events {
				var c clusterCallView
				if ev[0] != "call" || json.Unmarshal([]byte(ev[1]), &c) != nil || c.From == "" {
					continue
				}
				l.mu.Lock()
				l.from[c.From] = c
				l.mu.Unlock()
			}
		}()
	}
	return l
}

func (l *callLog) byFrom() map[string]clusterCallView {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.from)
}
