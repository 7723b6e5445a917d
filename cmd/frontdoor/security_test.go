package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/internal/testua"
)

// securityNode runs the test centre with the guard trusting nobody (so the
// legitimate callers on 127.0.0.1 are held to the same limits as attackers on
// other 127.0.0.x addresses) and the given security keys.
func securityNode(t *testing.T, keys string) *testNode {
	t.Helper()
	rtpBase += 100
	yaml := strings.Replace(fmt.Sprintf(testConfig, freeSIPPort(t), rtpBase, rtpBase+99),
		`number: "110"`, "number: \"110\"\nsecurity: { trusted_sources: [], "+keys+" }", 1)
	return startNode(t, yaml)
}

// legitCall is a citizen on 127.0.0.1 reaching agent 1001 through the legacy tax
// number: answered, bridged, the agent hears the caller's tone, hung up, CDR answered.
func legitCall(t *testing.T, ctx context.Context, n *testNode, agent *testua.Phone) {
	t.Helper()
	out := dial(t, ctx, n, "126", nil, 1000, "")
	in, err := agent.NextIncoming(ctx)
	if err != nil {
		t.Fatalf("legitimate call never reached the agent: %v", err)
	}
	if !in.RTP.WaitTone(ctx, 1000) {
		t.Fatal("agent never heard the legitimate caller")
	}
	call := in.Req.GetHeader("X-Frontdoor-Call").Value()
	out.Hangup(ctx)
	if cdr := n.waitCDR(t, ctx, call); cdr.Outcome != "answered" {
		t.Fatalf("legitimate call's CDR: %+v", cdr)
	}
}

// SIPVicious against frontdoor: svwar enumerating extensions by REGISTER finds
// nothing (every user, agent or not, gets the same 401 challenge), svwar by
// INVITE finds nothing (agents are not dialable numbers: 404 like any unknown
// number) and is blocked for dialling unknown numbers, svcrack guessing 1001's
// password is blocked before it reaches the right one, and each block is an audit
// record with the source address. A legitimate call still completes afterwards.
func TestSIPViciousFindsNothingAndIsBlocked(t *testing.T) {
	needTool(t, "svwar", "sipvicious")
	needTool(t, "svcrack", "sipvicious")
	n := securityNode(t, "auth_failures: 5, failure_window_seconds: 60, block_seconds: 300")
	ctx := timeout(t, 120*time.Second)
	dir := t.TempDir()
	host, port := splitAddr(t, n.SIP)
	agent := n.readyAgent(t, ctx, "1001", func(p *testua.Phone) { p.AutoAnswer = 2000 })

	// svmap finds the server (it is public: that is no secret), and nothing more.
	smap := sipvicious(t, ctx, dir, "127.0.0.10", "svmap", "-p", port, host)
	smap.wait(ctx)
	t.Logf("svmap:\n%s", smap.out.String())
	if !strings.Contains(smap.out.String(), n.SIP) {
		t.Errorf("svmap did not find the SIP server at %s", n.SIP)
	}

	// Enumeration by REGISTER from 127.0.0.2: 1001-1003 and 2001 are agents.
	war := sipvicious(t, ctx, dir, "127.0.0.2", "svwar", "-p", port, "-e", "990-1010,2000-2002", "-m", "REGISTER",
		"--maximumtime", "5", host)
	war.wait(ctx)
	out := war.out.String()
	t.Logf("svwar REGISTER:\n%s", out)
	for _, ext := range []string{"1001", "1002", "1003", "2001"} {
		if strings.Contains(out, "| "+ext+" ") || strings.Contains(out, "|"+ext+"|") {
			t.Errorf("svwar (REGISTER) found agent extension %s", ext)
		}
	}
	if !strings.Contains(out, "Found nothing") && !strings.Contains(out, "found nothing") {
		t.Errorf("svwar (REGISTER) did not report finding nothing")
	}

	// Forced past its sanity check, svwar lists every extension it tried alike:
	// an agent's answer (401) cannot be told from a stranger's.
	forced := sipvicious(t, ctx, dir, "127.0.0.5", "svwar", "--force", "-p", port, "-e", "998-1002", "-m", "REGISTER",
		"--maximumtime", "3", host)
	forced.wait(ctx)
	outForced := forced.out.String()
	t.Logf("svwar REGISTER --force:\n%s", outForced)
	if a, b := extLine(outForced, "1001"), extLine(outForced, "998"); a != b {
		t.Errorf("agent 1001 answered unlike unknown 998: %q vs %q", a, b)
	}

	// Enumeration by INVITE from 127.0.0.3: 404 for every one; five of those block it.
	warInv := sipvicious(t, ctx, dir, "127.0.0.3", "svwar", "-p", port, "-e", "1000-1010", "-m", "INVITE",
		"--maximumtime", "5", host)
	warInv.wait(ctx)
	outInv := warInv.out.String()
	t.Logf("svwar INVITE:\n%s", outInv)
	if strings.Contains(outInv, "| 1001 ") {
		t.Errorf("svwar (INVITE) found agent extension 1001")
	}
	if !n.edge.Guard().Blocked("127.0.0.3") {
		t.Error("svwar's INVITE scan of unknown numbers did not get 127.0.0.3 blocked")
	}

	// Password guessing from 127.0.0.4: the right password is the 20th guess;
	// the source is blocked after 5 wrong ones, so it is never accepted.
	var dict strings.Builder
	for i := range 19 {
		fmt.Fprintf(&dict, "guess%d\n", i)
	}
	dict.WriteString("pw1001\n")
	dictPath := filepath.Join(dir, "passwords.txt")
	if err := os.WriteFile(dictPath, []byte(dict.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	crack := sipvicious(t, ctx, dir, "127.0.0.4", "svcrack", "-p", port, "-u", "1001", "-d", dictPath,
		"--maximumtime", "5", host)
	crack.wait(ctx)
	outCrack := crack.out.String()
	t.Logf("svcrack:\n%s", outCrack)
	if strings.Contains(outCrack, "pw1001") {
		t.Fatal("svcrack found 1001's password")
	}
	if !n.edge.Guard().Blocked("127.0.0.4") {
		t.Fatal("password guessing from 127.0.0.4 not blocked")
	}
	// Each block is a security event in the audit log, with the source address.
	events := auditKinds(t, n, "sip_source_blocked")
	for _, src := range []string{"127.0.0.3", "127.0.0.4"} {
		if !strings.Contains(events, src) {
			t.Errorf("no audit record of blocking %s; audit: %s", src, events)
		}
	}
	if n.edge.Guard().Blocked("127.0.0.1") {
		t.Fatal("the legitimate source got blocked")
	}
	legitCall(t, ctx, n, agent)
}

// sipvicious runs a SIPVicious tool from src. Its -b (binding address) option is
// not passed on in sipvicious 0.3.3, so the tool runs with its sockets' bind
// patched to src: each attacker gets its own 127.0.0.x address.
func sipvicious(t *testing.T, ctx context.Context, dir, src, tool string, args ...string) *peer {
	t.Helper()
	const wrapper = `import sys, socket, importlib
ip = sys.argv[1]
bind = socket.socket.bind
socket.socket.bind = lambda s, a: bind(s, (ip, a[1]) if a[0] in ("", "0.0.0.0") else a)
sys.path.insert(0, "/usr/share/sipvicious")
sys.argv = sys.argv[2:]
importlib.import_module("sipvicious." + sys.argv[0]).main()
`
	return startPeer(t, ctx, dir, "python3", append([]string{"-c", wrapper, src, tool}, args...)...)
}

// auditKinds returns the actors of stored audit records of kind, waiting for the
// asynchronous write.
func auditKinds(t *testing.T, n *testNode, kind string) string {
	t.Helper()
	var actors []string
	for range 50 {
		recs, err := n.store.Audit(context.Background(), time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		actors = actors[:0]
		for _, r := range recs {
			if r.Kind == kind {
				actors = append(actors, r.Actor+" ("+r.Reason+")")
			}
		}
		if len(actors) >= 2 {
			break
		}
		time.Sleep(100 * time.Millisecond) // bounded poll of a store write with no event to wait on
	}
	return strings.Join(actors, ", ")
}

// extLine is svwar's verdict on ext in its result table ("" when not listed).
func extLine(out, ext string) string {
	for _, line := range strings.Split(out, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) >= 3 && strings.TrimSpace(cells[1]) == ext {
			return strings.TrimSpace(cells[2])
		}
	}
	return ""
}

func splitAddr(t *testing.T, addr string) (host, port string) {
	t.Helper()
	i := strings.LastIndex(addr, ":")
	if i < 0 {
		t.Fatalf("address %q", addr)
	}
	return addr[:i], addr[i+1:]
}

// floodScenario sends one INVITE per sipp "call" and expects nothing back: the
// shape of a flood (the attacker does not care about answers).
const floodScenario = `<?xml version="1.0" encoding="UTF-8" ?>
<scenario name="flood">
  <send><![CDATA[
%s sip:%s@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:flood@[local_ip]:[local_port]>;tag=[call_number]
To: <sip:%s@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 %s
Contact: <sip:flood@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=- 1 1 IN IP4 [local_ip]
s=-
c=IN IP4 [local_ip]
t=0 0
m=audio [media_port] RTP/AVP 0
a=rtpmap:0 PCMU/8000
]]></send>
</scenario>
`

func writeFlood(t *testing.T, dir, method, user string) string {
	t.Helper()
	path := filepath.Join(dir, "flood_"+strings.ToLower(method)+".xml")
	if err := os.WriteFile(path, []byte(fmt.Sprintf(floodScenario, method, user, user, method)), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// floodResult is what one attack run measured.
type floodResult struct {
	legitOK, legitFailed int
	floodSent            int
	floodSeconds         float64
	dropped, refused     uint64
}

// runFlood floods the node from 127.0.0.2 with INVITEs at rate/s (and REGISTERs
// at rate/5 per second) for seconds, while sipp on 127.0.0.1 places legitimate
// calls (INVITE, 200, ACK, BYE) at 10/s. It returns the counts.
func runFlood(t *testing.T, ctx context.Context, n *testNode, dir string, rate, seconds int) floodResult {
	total := rate * seconds
	inv := startPeer(t, ctx, dir, "sipp", "-sf", writeFlood(t, dir, "INVITE", "110"), "-i", "127.0.0.2", "-p", "0",
		"-nostdin", "-r", strconv.Itoa(rate), "-rp", "1000", "-m", strconv.Itoa(total), "-l", strconv.Itoa(total),
		"-timeout", strconv.Itoa(seconds+20)+"s", n.SIP)
	reg := startPeer(t, ctx, dir, "sipp", "-sf", writeFlood(t, dir, "REGISTER", "1001"), "-i", "127.0.0.2", "-p", "0",
		"-nostdin", "-r", strconv.Itoa(rate/5), "-m", strconv.Itoa(total/5), "-l", strconv.Itoa(total),
		"-timeout", strconv.Itoa(seconds+20)+"s", n.SIP)
	legitCalls := 10 * seconds
	start := time.Now()
	legit := startPeer(t, ctx, dir, "sipp", "-sf", repoPath("test", "sipp", "uac_setup.xml"), "-s", "110",
		"-i", "127.0.0.1", "-mi", "127.0.0.1", "-nostdin", "-r", "10", "-m", strconv.Itoa(legitCalls),
		"-timeout", strconv.Itoa(seconds+30)+"s", "-recv_timeout", "8000", n.SIP)
	inv.wait(ctx)
	res := floodResult{floodSent: total, floodSeconds: time.Since(start).Seconds()}
	reg.wait(ctx)
	legit.wait(ctx)
	for _, m := range sippCounter.FindAllStringSubmatch(legit.out.String(), -1) {
		v, _ := strconv.Atoi(m[2])
		if m[1] == "Successful call" {
			res.legitOK = v
		} else {
			res.legitFailed = v
		}
	}
	if res.legitOK+res.legitFailed == 0 {
		t.Fatalf("legitimate sipp reported nothing:\n%s", legit.out.String())
	}
	st := n.edge.Guard().Stats()
	res.dropped, res.refused = st.Dropped, st.Refused503
	return res
}

// While 127.0.0.2 floods INVITEs (and REGISTERs), calls from 127.0.0.1 still
// complete: the flood is dropped unread beyond its per-source rate, the few
// INVITEs within it are held to max_pending_invites (503 beyond), and a citizen's
// call placed during the attack reaches an agent with audio both ways.
func TestFloodFromOneSourceLegitCallsComplete(t *testing.T) {
	needTool(t, "sipp", "sip-tester")
	n := securityNode(t, "")
	rate, seconds := 5000, 4 // FLOOD_RATE, FLOOD_SECONDS=30 for a longer measurement
	if v, err := strconv.Atoi(os.Getenv("FLOOD_RATE")); err == nil && v > 0 {
		rate = v
	}
	if v, err := strconv.Atoi(os.Getenv("FLOOD_SECONDS")); err == nil && v > 0 {
		seconds = v
	}
	ctx := timeout(t, 90*time.Second+3*time.Duration(seconds)*time.Second)
	dir := t.TempDir()
	agent := n.readyAgent(t, ctx, "1001", func(p *testua.Phone) { p.AutoAnswer = 2000 })
	done := make(chan floodResult, 1)
	go func() { done <- runFlood(t, ctx, n, dir, rate, seconds) }()
	legitCall(t, ctx, n, agent) // during the attack
	res := <-done
	share := float64(res.legitOK) / float64(res.legitOK+res.legitFailed)
	t.Logf("FIGURE flood %d INVITE/s (+%d REGISTER/s) from one source for %.1f s: legitimate calls %d ok, %d failed (%.1f%%); packets dropped %d, INVITEs refused 503: %d",
		rate, rate/5, res.floodSeconds, res.legitOK, res.legitFailed, 100*share, res.dropped, res.refused)
	if res.dropped < uint64(res.floodSent/2) {
		t.Errorf("only %d of the %d flood INVITEs were dropped", res.dropped, res.floodSent)
	}
	if share < 0.95 {
		t.Errorf("legitimate calls during the flood: %.1f%% completed, want >= 95%%", 100*share)
	}
	if n.edge.Guard().Blocked("127.0.0.1") {
		t.Error("the legitimate source got blocked")
	}
}

// Oversized and malformed HTTP bodies get 413 and 400 as JSON errors that name
// the problem and show nothing of the server's insides; a bad YAML file is a
// check-config refusal, not a crash.
func TestHTTPAndConfigBadInput(t *testing.T) {
	n := securityNode(t, "")
	cases := []struct {
		name, method, path, body string
		want                     int
		code                     string
	}{
		{"1 MB login body", "POST", "/api/v1/login", `{"id":"` + strings.Repeat("A", 1<<20) + `"}`, 413, "too_large"},
		{"truncated JSON", "POST", "/api/v1/login", `{"id":"1001","password":`, 400, "bad_json"},
		{"JSON of the wrong shape", "PUT", "/api/v1/agents/1001/state", `[1,2,3]`, 400, "bad_json"},
		{"binary body", "PUT", "/api/v1/agents/1001/state", "\x00\xff\xfe{", 400, "bad_json"},
		{"100 KB agent state", "PUT", "/api/v1/agents/1001/state", `{"state":"not_ready","reason":"` + strings.Repeat("r", 100<<10) + `"}`, 413, "too_large"},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, n.HTTP+c.path, strings.NewReader(c.body))
		req.Header.Set("Authorization", "Bearer test-admin-token")
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var e struct{ Error, Detail string }
		json.Unmarshal(raw, &e)
		if res.StatusCode != c.want || e.Error != c.code {
			t.Errorf("%s: %d %s, want %d with error %q", c.name, res.StatusCode, raw, c.want, c.code)
		}
		for _, leak := range []string{"goroutine", "panic", ".go:", "runtime."} {
			if strings.Contains(string(raw), leak) {
				t.Errorf("%s: the answer shows %q: %s", c.name, leak, raw)
			}
		}
	}
	// Bad YAML: one FILE:LINE line per problem, exit 1.
	dir := t.TempDir()
	for name, yaml := range map[string]string{
		"binary.yaml":   "\x00\x01\x02\xff",
		"tabs.yaml":     "listen:\n\tsip: x\n",
		"security.yaml": "number: \"110\"\nsecurity: { trusted_sources: [not-a-cidr], requests_per_second: -1, bogus: 1 }\n",
	} {
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte(yaml), 0o600)
		var out, errb strings.Builder
		if code := run([]string{"check-config", path}, &out, &errb); code != 1 {
			t.Errorf("%s: check-config exit %d, want 1", name, code)
		}
		text := out.String() + errb.String()
		for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
			if !strings.HasPrefix(line, path+":") {
				t.Errorf("%s: line %q is not FILE:LINE: message", name, line)
			}
		}
		if name == "security.yaml" {
			for _, want := range []string{"security.trusted_sources[0]", "security.requests_per_second", `unknown key "bogus"`} {
				if !strings.Contains(text, want) {
					t.Errorf("security.yaml: no problem about %s in:\n%s", want, text)
				}
			}
		}
	}
}

// When the node as a whole has node_pending_invites INVITEs being set up, the
// next INVITE, from any source, gets 503 with Retry-After; once those are
// confirmed by ACK, calls are taken again.
func TestNodeOverloadAnswers503WithRetryAfter(t *testing.T) {
	n := securityNode(t, "node_pending_invites: 2")
	ctx := timeout(t, 30*time.Second)
	// Two INVITEs from two sources, answered 200 but not yet ACKed: pending.
	var pending []*rawCall
	for i, src := range []string{"127.0.0.30", "127.0.0.31"} {
		c := rawInvite(t, src, n.SIP, fmt.Sprintf("pend%d", i))
		if c.status != 200 {
			t.Fatalf("INVITE from %s: %d, want 200", src, c.status)
		}
		pending = append(pending, c)
	}
	third := rawInvite(t, "127.0.0.32", n.SIP, "third")
	if third.status != 503 || !strings.Contains(third.head, "Retry-After: 5") {
		t.Fatalf("INVITE beyond node_pending_invites: %d\n%s\nwant 503 with Retry-After", third.status, third.head)
	}
	for _, c := range pending {
		c.ackAndBye(t)
	}
	// Both calls ended (their CDRs are written): no INVITE is pending any more.
	sub := n.sb.Subscribe(ctx)
	for len(n.cdrs(t)) < 2 {
		select {
		case <-sub:
		case <-ctx.Done():
			t.Fatalf("the confirmed calls never ended: %+v", n.cdrs(t))
		}
	}
	p := newPhone(t, "01012121212")
	if code, err := p.CallRaw(ctx, n.SIP, "110", "application/sdp", testua.Offer(40300)); err != nil || code != 200 {
		t.Fatalf("after the pending INVITEs were confirmed: %d %v, want 200", code, err)
	}
}

// rawCall is an INVITE sent by hand, so the test decides when (if ever) to ACK.
type rawCall struct {
	conn       net.PacketConn
	dst        net.Addr
	tag, head  string
	status     int
	to, callID string
}

func rawInvite(t *testing.T, src, dst, tag string) *rawCall {
	t.Helper()
	c, err := net.ListenPacket("udp", src+":0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	addr, _ := net.ResolveUDPAddr("udp", dst)
	rc := &rawCall{conn: c, dst: addr, tag: tag, callID: tag}
	msg := invite(dst, tag, testua.Offer(40400))
	msg = []byte(strings.Replace(string(msg), "127.0.0.1:5999", c.LocalAddr().String(), -1))
	c.WriteTo(msg, addr)
	buf := make([]byte, 65536)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		n, _, err := c.ReadFrom(buf)
		if err != nil {
			t.Fatalf("INVITE %s: no final answer: %v", tag, err)
		}
		if code := statusOf(buf[:n]); code >= 200 {
			rc.status, rc.head = code, string(buf[:n])
			for _, line := range strings.Split(rc.head, "\r\n") {
				if strings.HasPrefix(line, "To:") {
					rc.to = line
				}
			}
			return rc
		}
	}
}

// ackAndBye confirms the call and ends it.
func (rc *rawCall) ackAndBye(t *testing.T) {
	t.Helper()
	local := rc.conn.LocalAddr().String()
	for i, m := range []string{"ACK", "BYE"} {
		msg := fmt.Sprintf("%s sip:110@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-%s-%s;rport\r\nFrom: <sip:t@127.0.0.1>;tag=%s\r\n%s\r\n"+
			"Call-ID: %s\r\nCSeq: %d %s\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
			m, rc.dst, local, rc.tag, m, rc.tag, rc.to, rc.callID, 1+i, m)
		rc.conn.WriteTo([]byte(msg), rc.dst)
	}
}
