package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/internal/testua"
)

// process is the real frontdoor binary running `serve`.
type process struct {
	cmd  *exec.Cmd
	done chan error
	log  *strings.Builder
	mu   *sync.Mutex
}

// buildBinary builds cmd/frontdoor once for the test.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "frontdoor")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startBinary runs `frontdoor serve` and returns once it printed where it
// listens (the listeners are bound before that line).
func startBinary(t *testing.T, ctx context.Context, bin, cfg, data string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(bin, "serve", "-config", cfg, "-data", data), done: make(chan error, 1),
		log: &strings.Builder{}, mu: &sync.Mutex{}}
	stdout, _ := p.cmd.StdoutPipe()
	stderr, _ := p.cmd.StderrPipe()
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.cmd.Process.Kill() })
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		once := sync.Once{}
		for sc.Scan() {
			if strings.Contains(sc.Text(), "SIP (UDP+TCP)") {
				once.Do(func() { close(ready) })
			}
		}
	}()
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.log.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
		}
	}()
	go func() { p.done <- p.cmd.Wait() }()
	select {
	case <-ready:
	case err := <-p.done:
		t.Fatalf("frontdoor exited at start: %v\n%s", err, p.logText())
	case <-ctx.Done():
		t.Fatalf("frontdoor never became ready\n%s", p.logText())
	}
	return p
}

func (p *process) logText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

// waitLog waits until the process has logged a line containing line (its
// stderr is read on its own goroutine, behind the ready line on stdout).
func (p *process) waitLog(ctx context.Context, line string) bool {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !strings.Contains(p.logText(), line) {
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
	return true
}

// apiGet reads a JSON API path with the admin token.
func apiGet(t *testing.T, base, path string, out any) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+path, nil)
	req.Header.Set("Authorization", "Bearer test-admin-token")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", path, res.StatusCode, raw)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

func apiPut(t *testing.T, base, path, body string) {
	t.Helper()
	req, _ := http.NewRequest("PUT", base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer test-admin-token")
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("PUT %s: %v", path, err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("PUT %s: %d", path, res.StatusCode)
	}
}

// callerSaw is one call as its caller experienced it.
type callerSaw struct {
	id       string // from the agent's X-Frontdoor-Call ("" if it never reached one)
	finished bool   // the caller's BYE was answered: the call is over for sure
}

// caller places calls to number, each connected to agent, held briefly and hung
// up, until stop; it reports every call the node answered.
func caller(ctx context.Context, sipAddr, number string, agent *testua.Phone, stop <-chan struct{}, seen chan<- callerSaw) {
	p, err := testua.NewPhone("0107000" + number)
	if err != nil {
		return
	}
	defer p.Close()
	for {
		select {
		case <-stop:
			return
		default:
		}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		out, err := p.Call(cctx, sipAddr, number, nil, 1000)
		if err != nil {
			cancel()
			continue // refused or no answer: the node never answered this call
		}
		saw := callerSaw{}
		if in, err := agent.NextIncoming(cctx); err == nil {
			saw.id = in.Req.GetHeader("X-Frontdoor-Call").Value()
			select {
			case <-time.After(time.Duration(100+rand.IntN(400)) * time.Millisecond): // talk
			case <-stop:
			}
		}
		hctx, hcancel := context.WithTimeout(ctx, time.Second)
		saw.finished = out.Hangup(hctx) == nil
		hcancel()
		cancel()
		seen <- saw
	}
}

// kill -9 at random moments under load loses nothing: every call a caller saw
// end has its answered CDR after the restart, every call in progress at the kill
// is recorded (cut_off, or answered if it ended just before), no call is recorded
// twice, the agents' profiles are all there and the registered agents come back
// logged in and ready. Then SIGTERM drains: a new call gets 503, the call in
// progress goes on until its caller hangs up, the process exits 0, and that
// call's CDR is kept.
func TestKill9UnderLoadLosesNothing(t *testing.T) {
	ctx := timeout(t, 150*time.Second+time.Duration(crashKills())*5*time.Second)
	bin := buildBinary(t)
	dir := t.TempDir()
	sipPort, httpPort := freeSIPPort(t), freeSIPPort(t)
	rtpBase += 100
	yaml := strings.Replace(fmt.Sprintf(testConfig, sipPort, rtpBase, rtpBase+99), `http: "127.0.0.1:0"`,
		fmt.Sprintf(`http: "127.0.0.1:%d"`, httpPort), 1)
	cfgPath, data := filepath.Join(dir, "frontdoor.yaml"), filepath.Join(dir, "data")
	if err := os.WriteFile(cfgPath, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	sipAddr, base := fmt.Sprintf("127.0.0.1:%d", sipPort), fmt.Sprintf("http://127.0.0.1:%d", httpPort)

	// Agents 1001 (tax, number 126) and 1002 (customs, number 125) take the calls.
	proc := startBinary(t, ctx, bin, cfgPath, data)
	agents := map[string]*testua.Phone{}
	for _, id := range []string{"1001", "1002"} {
		a := newPhone(t, id)
		a.AutoAnswer = 2000
		if code, err := a.Register(ctx, sipAddr, "pw"+id, 3600); err != nil || code != 200 {
			t.Fatalf("register %s: %d %v", id, code, err)
		}
		agents[id] = a
		waitAgentState(t, ctx, base, id, "not_ready")
		apiPut(t, base, "/api/v1/agents/"+id+"/state", `{"state":"ready"}`)
	}

	var all []callerSaw
	kills := crashKills()
	for round := range kills {
		waitAgentState(t, ctx, base, "1001", "ready")
		waitAgentState(t, ctx, base, "1002", "ready")
		for _, a := range agents {
			drainIncoming(ctx, a) // offers left over from the last round's kill
		}
		stop := make(chan struct{})
		seen := make(chan callerSaw, 1000)
		var wg sync.WaitGroup
		for number, agent := range map[string]string{"126": "1001", "125": "1002"} {
			wg.Add(1)
			go func() { defer wg.Done(); caller(ctx, sipAddr, number, agents[agent], stop, seen) }()
		}
		time.Sleep(time.Duration(700+rand.IntN(1500)) * time.Millisecond) // a random point under load
		proc.cmd.Process.Signal(syscall.SIGKILL)
		<-proc.done
		close(stop)
		wg.Wait()
		close(seen)
		n := 0
		for s := range seen {
			all = append(all, s)
			n++
		}
		t.Logf("round %d: killed after %d calls seen by callers", round+1, n)
		proc = startBinary(t, ctx, bin, cfgPath, data)
	}

	// The store against what the callers saw.
	var cdrs []cdrView
	apiGet(t, base, "/api/v1/cdrs?since="+time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), &cdrs)
	byID := map[string][]cdrView{}
	cutOff := 0
	for _, c := range cdrs {
		byID[c.CallID] = append(byID[c.CallID], c)
		if c.Outcome == "cut_off" {
			cutOff++
		}
	}
	for id, list := range byID {
		if len(list) > 1 {
			t.Errorf("call %s recorded %d times: %+v", id, len(list), list)
		}
	}
	finished, finishedCutOff, inProgress, unknown := 0, 0, 0, 0
	for _, s := range all {
		switch {
		case s.id == "":
			unknown++ // answered by the IVR but killed before reaching an agent
		case s.finished:
			// The caller's BYE is answered just before the CDR is written (a few
			// ms): a kill in between leaves the call recorded as cut_off, never lost.
			finished++
			c := byID[s.id]
			switch {
			case len(c) == 0 || (c[0].Outcome != "answered" && c[0].Outcome != "cut_off"):
				t.Errorf("finished call %s: CDR %+v, want answered", s.id, c)
			case c[0].Outcome == "cut_off":
				finishedCutOff++
			}
		default:
			inProgress++
			if c := byID[s.id]; len(c) == 0 || (c[0].Outcome != "cut_off" && c[0].Outcome != "answered") {
				t.Errorf("call %s in progress at the kill: CDR %+v, want cut_off (or answered)", s.id, c)
			}
		}
	}
	// A call cut off while talking keeps its agent: the trace is written
	// again once the agent answers (calls/recovery.go recordAnswered).
	wantAgent := map[string]string{"126": "1001", "125": "1002"}
	withAgent := 0
	for _, c := range cdrs {
		if c.Outcome != "cut_off" || c.Agent == "" {
			continue
		}
		withAgent++
		if c.Agent != wantAgent[c.Number] || c.AnsweredAt == nil || c.TalkSeconds < 0 {
			t.Errorf("cut-off call %s: agent %q answered %v talk %.2fs, want agent %s and an answer time", c.CallID, c.Agent, c.AnsweredAt, c.TalkSeconds, wantAgent[c.Number])
		}
	}
	t.Logf("%d of %d cut_off CDRs name the agent who had the call", withAgent, cutOff)
	if cutOff < unknown {
		t.Errorf("%d calls answered but never connected when killed, only %d cut_off CDRs", unknown, cutOff)
	}
	if finished == 0 || inProgress+unknown == 0 {
		t.Errorf("the load proved little: %d finished, %d in progress at a kill", finished, inProgress+unknown)
	}
	t.Logf("FIGURE kill -9 x%d: %d calls finished (all with CDRs; %d ended within ms of a kill and were recorded cut_off), %d in progress at a kill (%d cut_off CDRs), %d CDRs in all",
		kills, finished, finishedCutOff, inProgress+unknown, cutOff, len(cdrs))

	// Profiles and login states came back.
	var list []agentView
	apiGet(t, base, "/api/v1/agents", &list)
	if len(list) != 4 {
		t.Errorf("agents after the kills: %+v, want the 4 configured", list)
	}
	waitAgentState(t, ctx, base, "1001", "ready")
	waitAgentState(t, ctx, base, "1002", "ready")

	// SIGTERM drains.
	p := newPhone(t, "01088889999")
	out, err := p.Call(ctx, sipAddr, "126", nil, 1000)
	if err != nil {
		t.Fatal(err)
	}
	in, err := agents["1001"].NextIncoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	drained := in.Req.GetHeader("X-Frontdoor-Call").Value()
	if !out.RTP.WaitTone(ctx, 2000) {
		t.Fatal("the call to drain never connected")
	}
	proc.cmd.Process.Signal(syscall.SIGTERM)
	late := newPhone(t, "01088880000")
	var code int
	for range 50 { // the signal is handled asynchronously: until new calls are refused
		if code, _ = late.CallRaw(ctx, sipAddr, "110", "application/sdp", testua.Offer(40200)); code == 503 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code != 503 {
		t.Fatalf("a new call while draining got %d, want 503", code)
	}
	if !out.RTP.WaitTone(ctx, 2000) {
		t.Fatal("the call in progress lost its audio while draining")
	}
	select {
	case err := <-proc.done:
		t.Fatalf("frontdoor exited (%v) with a call in progress", err)
	default:
	}
	out.Hangup(ctx)
	if err := <-proc.done; err != nil {
		t.Fatalf("frontdoor after draining: %v\n%s", err, proc.logText())
	}
	proc = startBinary(t, ctx, bin, cfgPath, data)
	apiGet(t, base, "/api/v1/cdrs?since="+time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), &cdrs)
	found := false
	for _, c := range cdrs {
		found = found || (c.CallID == drained && c.Outcome == "answered")
	}
	if !found {
		t.Fatalf("the drained call %s has no answered CDR", drained)
	}
	proc.cmd.Process.Signal(syscall.SIGTERM)
	<-proc.done
}

// crashKills is how many times the crash test kills the node: 4 in make test,
// CRASH_KILLS (scripts/crash.sh) for longer runs.
func crashKills() int {
	if v, err := strconv.Atoi(os.Getenv("CRASH_KILLS")); err == nil && v > 0 {
		return v
	}
	return 4
}

// drainIncoming forgets INVITEs an agent phone got that no caller claimed.
func drainIncoming(ctx context.Context, a *testua.Phone) {
	for {
		c, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		_, err := a.NextIncoming(c)
		cancel()
		if err != nil {
			return
		}
	}
}

// waitAgentState polls the API until agent id is in state (the process runs
// apart from the test: there is no event stream to wait on in-process).
func waitAgentState(t *testing.T, ctx context.Context, base, id, state string) {
	t.Helper()
	for {
		var list []agentView
		apiGet(t, base, "/api/v1/agents", &list)
		for _, a := range list {
			if a.ID == id && a.State == state {
				return
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("agent %s never reached %s: %+v", id, state, list)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
