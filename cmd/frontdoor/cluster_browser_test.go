package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/frontdoor-project/frontdoor/cluster/etcdtest"
	"github.com/frontdoor-project/frontdoor/internal/netns"
)

// prebuiltBinEnv carries the frontdoor binary built outside the network
// namespace to the test run inside it (no module downloads in there).
const prebuiltBinEnv = "FRONTDOOR_TEST_BINARY"

// Issue 12's proof in a real browser: a 3-member etcd, three nodes, and
// agent 1003's softphone in Chromium on node B. A SIP caller on node A is
// offered to it node to node, the agent answers in the page, and each side
// hears the other's tone. Then kill -9 of the ACD leader (A), later of the
// follower C, while A's caller talks to the page and while C's rings it:
// the page's call ends (node_lost, not the RTP timeout), the page and the survivors' API
// keep 1003 ready, and the next caller on a surviving node is offered to
// the page and heard both ways. CDRs, read on the last survivor: answered
// by 1003, or cut_off for the calls whose node died.
func TestClusterChromiumSoftphone(t *testing.T) {
	bin := prebuilt(t)
	if !netns.Isolate(t) {
		return
	}
	ctx := timeout(t, 150*time.Second)
	etcd := etcdtest.Start(t, 3)
	nodes := startClusterNodes(t, ctx, bin, etcd, "127.0.0.2", "127.0.0.3", "127.0.0.4")
	a, b, c := nodes[0], nodes[1], nodes[2]
	if l := waitLeader(t, ctx, nodes); l != a {
		t.Fatalf("%s leads, want %s (started first)", l.name, a.name)
	}

	browser := chromiumWithMic(t)
	agent := toneTab(t, browser, 1400)
	if err := pageDo(agent, softphoneOn(b.http, "1003")); err != nil {
		t.Fatalf("agent page on %s: %v (%s)", b.name, err, agentPageState(agent))
	}
	waitAgentState(t, ctx, a.http, "1003", "not_ready") // node A sees node B's softphone
	if err := pageDo(agent, chromedp.Click(chromedp.CSS("#set-ready"))); err != nil {
		t.Fatal(err)
	}
	waitAgentState(t, ctx, c.http, "1003", "ready")

	x := dialCluster(t, ctx, "01071120031", 1000, a, "126", "ringing", a)
	answerInPage(t, ctx, agent, x, 1400)
	waitCall(t, ctx, c, x.user, "connected", a.name)
	x.out.Hangup(ctx)
	if err := pageDo(agent, poll(callEnded)); err != nil {
		t.Fatalf("the page's call outlived the caller's hang-up on %s: %v", a.name, err)
	}
	keptReady(t, ctx, agent, b, c)

	// kill -9 of the leader while its caller talks to the page. B
	// campaigned before C, so B should lead next; either way the next
	// victim is the other node that is not B.
	w := dialCluster(t, ctx, "01071120032", 1100, a, "126", "ringing", a)
	answerInPage(t, ctx, agent, w, 1400)
	killUntil(t, agent, a, callEnded)
	next := waitLeader(t, ctx, []*clusterNodeProc{b, c})
	t.Logf("after %s's kill %s leads; %s is killed next (%s)", a.name, next.name, c.name, map[bool]string{true: "a follower", false: "the leader again"}[next == b])
	keptReady(t, ctx, agent, b, c)

	y := dialCluster(t, ctx, "01071120033", 1200, c, "126", "ringing", c)
	answerInPage(t, ctx, agent, y, 1400)
	// This time the agent hangs up in the page: B sends BYE to C.
	if err := pageDo(agent, chromedp.Click(chromedp.CSS("#hangup")), poll(callEnded)); err != nil {
		t.Fatal(err)
	}
	waitDone(t, ctx, y.out.Done(), "the caller's dialog on node C outlived the agent's hang-up in the page")
	keptReady(t, ctx, agent, b, c)

	// kill -9 of the follower C while its caller rings the page.
	v := dialCluster(t, ctx, "01071120034", 1300, c, "126", "ringing", c)
	if err := pageDo(agent, chromedp.WaitVisible(chromedp.CSS("#incoming"))); err != nil {
		t.Fatalf("%s's call never rang the page: %v", v.user, err)
	}
	killUntil(t, agent, c, stoppedRinging)
	waitLeader(t, ctx, []*clusterNodeProc{b})
	keptReady(t, ctx, agent, b)

	z := dialCluster(t, ctx, "01071120035", 1500, b, "126", "ringing", b)
	answerInPage(t, ctx, agent, z, 1400)
	z.out.Hangup(ctx)
	if err := pageDo(agent, poll(callEnded)); err != nil {
		t.Fatal(err)
	}

	// The calls whose node died mid-call are cut off (the leader's sweep,
	// from the calls in progress); the others were answered by 1003.
	for _, call := range []*clusterCaller{w, v} {
		waitCDROutcome(t, ctx, b, call.id, "cut_off")
	}
	// w was talking to 1003 when its node died: its CDR still says so; v only rang.
	if cdr := clusterCDRs(t, b)[w.id][0]; cdr.Agent != "1003" || cdr.AnsweredAt == nil {
		t.Errorf("cut-off call w's CDR %+v, want answered by 1003 before the cut", cdr)
	}
	if cdr := clusterCDRs(t, b)[v.id][0]; cdr.Agent != "" || cdr.AnsweredAt != nil {
		t.Errorf("cut-off call v's CDR %+v, want no agent (it only rang)", cdr)
	}
	for _, call := range []*clusterCaller{x, y, z} {
		waitCDROutcome(t, ctx, b, call.id, "answered")
		if cdr := clusterCDRs(t, b)[call.id][0]; cdr.Agent != "1003" || cdr.Agency != "tax" {
			t.Fatalf("%s's CDR %+v, want tax answered by 1003", call.user, cdr)
		}
	}
	keptReady(t, ctx, agent, b)
}

// callEnded is true once the page's call is over.
var callEnded = text("#phone-line") + ` === "The call has ended."`

// stoppedRinging is true once the page's offer was withdrawn.
var stoppedRinging = text("#phone-line") + `.startsWith("The call stopped ringing")`

// killUntil kills -9 the node holding the page's current call and waits
// until the page says so (expr): once the cluster has noticed (node_lost),
// well before B's relay leg would time out for want of RTP (30 s): the wait
// is shorter.
func killUntil(t *testing.T, agent context.Context, n *clusterNodeProc, expr string) {
	t.Helper()
	n.kill()
	pctx, cancel := context.WithTimeout(agent, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(pctx, poll(expr)); err != nil {
		line, _ := chromedp.Run(agent, chromedp.Text(chromedp.CSS("#phone-line")))
		t.Fatalf("after %s's kill -9 the page still says %q: %v", n.name, line, err)
	}
}

// prebuilt builds the frontdoor and fdetcd binaries before the test enters
// its network namespace and hands them in through the environment; inside,
// it returns what the outer run built.
func prebuilt(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv(prebuiltBinEnv); bin != "" {
		return bin
	}
	bin := buildBinary(t)
	t.Setenv(prebuiltBinEnv, bin)
	t.Setenv(etcdtest.BinaryEnv, etcdtest.Binary(t))
	return bin
}

// toneTab is tab (a microphone of freq Hz) whose page also measures what
// it hears: window.__tone is the dominant frequency of the last call's
// received audio (a WebAudio analyser on the receiver's track) and for how
// many 20 ms samples in a row it has held.
func toneTab(t *testing.T, browser context.Context, freq float64) context.Context {
	t.Helper()
	ctx := tab(t, browser, freq)
	const analyser = `(() => {
		window.__tone = { hz: 0, n: 0 };
		let track = null, an = null, buf = null, ac = null;
		setInterval(() => {
			const pc = window.__pcs[window.__pcs.length - 1];
			const r = pc && pc.getReceivers().find((r) => r.track && r.track.kind === "audio");
			if (!r) return;
			if (r.track !== track) {
				track = r.track;
				ac = ac || new AudioContext();
				an = ac.createAnalyser();
				an.fftSize = 4096;
				an.smoothingTimeConstant = 0;
				ac.createMediaStreamSource(new MediaStream([track])).connect(an);
				buf = new Float32Array(an.frequencyBinCount);
				window.__tone = { hz: 0, n: 0 };
			}
			an.getFloatFrequencyData(buf);
			let best = 1;
			for (let i = 2; i < buf.length; i++) if (buf[i] > buf[best]) best = i;
			const hz = buf[best] > -70 ? best * ac.sampleRate / an.fftSize : 0;
			const same = hz > 0 && Math.abs(hz - window.__tone.hz) < 25;
			window.__tone = { hz, n: same ? window.__tone.n + 1 : 0 };
		}, 20);
	})()`
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: analyser}); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// hearsTone is true once the page has heard freq for half a second.
func hearsTone(freq float64) string {
	return fmt.Sprintf(`window.__tone.n >= 25 && Math.abs(window.__tone.hz - %g) < 30`, freq)
}

// answerInPage waits for the page's screen pop for call c, answers it with
// a click, and checks the tones both ways: the page hears c's, c hears
// the page's pageFreq.
func answerInPage(t *testing.T, ctx context.Context, agent context.Context, c *clusterCaller, pageFreq float64) {
	t.Helper()
	if err := pageDo(agent, chromedp.WaitVisible(chromedp.CSS("#incoming"))); err != nil {
		t.Fatalf("%s's call never rang the page: %v", c.user, err)
	}
	info, err := chromedp.Run(agent, chromedp.Text(chromedp.CSS("#incoming-info")))
	if err != nil || !strings.Contains(info, "National Tax Service") {
		t.Fatalf("screen pop for %s: %q %v", c.user, info, err)
	}
	if err := pageDo(agent, chromedp.Click(chromedp.CSS("#accept")), chromedp.WaitVisible(chromedp.CSS("#in-call")), poll(hearsTone(c.freq))); err != nil {
		hz, _ := chromedp.Run(agent, chromedp.Evaluate[float64](`window.__tone.hz`))
		t.Fatalf("the page never heard %s's %g Hz (it hears %g Hz): %v", c.user, c.freq, hz, err)
	}
	tctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if !c.out.RTP.WaitTone(tctx, pageFreq) {
		t.Fatalf("%s never heard the page's %g Hz", c.user, pageFreq)
	}
}

// keptReady checks agent 1003 is ready in the page (its own node's event
// stream) and in each survivor's API.
func keptReady(t *testing.T, ctx context.Context, agent context.Context, survivors ...*clusterNodeProc) {
	t.Helper()
	if err := pageDo(agent, poll(`document.querySelector("#my-state").className === "state-ready"`)); err != nil {
		st, _ := chromedp.Run(agent, chromedp.Text(chromedp.CSS("#my-state")))
		t.Fatalf("the page does not show 1003 ready: %q %v", st, err)
	}
	for _, n := range survivors {
		waitAgentState(t, ctx, n.http, "1003", "ready")
	}
}

// pageDo runs steps in the page within pageWait: a page waiting on an
// event that never comes fails the test instead of running to the
// browser's own deadline.
func pageDo(page context.Context, steps ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(page, pageWait)
	defer cancel()
	return chromedp.Do(ctx, steps...)
}

// pageWait bounds one wait in the page (the box is shared and slow).
const pageWait = 30 * time.Second
