package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/frontdoor-project/frontdoor/internal/browsertest"
	"github.com/frontdoor-project/frontdoor/internal/netns"
	"github.com/frontdoor-project/frontdoor/internal/testua"
)

func chromium(t *testing.T) context.Context {
	return browsertest.Chromium(t, chromedp.WindowSize(1600, 1400))
}

// until waits for a page expression to be true; the page changes on events.
func until(expr string) chromedp.Action[chromedp.Void] { return browsertest.Until(expr) }

func signInAs(base, id string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.ID("login-id")),
		chromedp.SendKeys(chromedp.ID("login-id"), id),
		chromedp.SendKeys(chromedp.ID("login-password"), "pw"+id),
		chromedp.Click(chromedp.CSS(`#login button[type="submit"]`)),
	)
}

// tileFigure is the text of one figure of an agency's tile.
func tileFigure(agency, figure string) string {
	return fmt.Sprintf(`(document.querySelector('#queues .tile[data-agency=%q] .%s .value') || {}).textContent`, agency, figure)
}

// callRow is the text of column col of the calls table row of the first call.
func callRow(col int) string {
	return fmt.Sprintf(`((document.querySelector("#calls tbody tr") || {cells: []}).cells[%d] || {}).textContent`, col)
}

func agentState(id string) string {
	return fmt.Sprintf(`(() => { for (const tr of document.querySelectorAll("#agents tbody tr"))
		if (tr.cells[0].textContent === %q) return tr.cells[2].textContent; return null })()`, id)
}

// A supervisor watches a real call on the wallboard: it enters the tax queue,
// the supervisor makes the only tax agent ready, the agent's phone answers,
// the caller hangs up; then the supervisor logs the agent out. Each action
// is in the audit log. An agent on the same page gets no wallboard.
// With FRONTDOOR_SCREENSHOTS=DIR the wallboard with a caller waiting is saved
// as DIR/wallboard-call.png (docs/screenshots/wallboard.png is dashboard's
// TestWallboardColoursThresholdsInChromium, with all 11 demo agencies).
func TestWallboardFollowsARealCallInChromium(t *testing.T) {
	if !netns.Isolate(t) {
		return
	}
	browser := chromium(t)
	n := startNode(t, "")
	ctx := timeout(t, 90*time.Second)
	started := time.Now().Add(-time.Second)

	phone := newPhone(t, "1001")
	phone.AutoAnswer = 2000
	if code, err := phone.Register(ctx, n.SIP, "pw1001", 300); err != nil || code != 200 {
		t.Fatalf("register 1001: %d %v", code, err)
	}
	n.waitAgent(t, ctx, "1001", "not_ready")

	err := chromedp.Do(browser, signInAs(n.HTTP, "2001"),
		until(`document.querySelectorAll("#queues .tile").length === 3`),
		until(agentState("1001")+` === "not ready"`),
		until(tileFigure("tax", "waiting")+` === "0"`))
	if err != nil {
		t.Fatalf("supervisor signs in: %v", err)
	}

	caller := newPhone(t, "01055556666")
	out, err := caller.Call(ctx, n.SIP, "126", nil, 1000) // the tax legacy number: straight to the queue
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { out.Hangup(context.Background()) })
	err = chromedp.Do(browser,
		until(tileFigure("tax", "waiting")+` === "1"`),
		until(callRow(2)+` === "tax" && `+callRow(4)+` === "queued" && `+callRow(3)+` === "unverified"`),
		until(`document.querySelector('#queues .tile[data-agency="tax"]').textContent.includes("0 ready")`))
	if err != nil {
		t.Fatalf("the waiting caller on the wallboard: %v", err)
	}
	if dir := os.Getenv("FRONTDOOR_SCREENSHOTS"); dir != "" {
		png, err := chromedp.Run(browser, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "wallboard-call.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// The supervisor forces the agent ready; the ACD offers the call, the phone answers.
	err = chromedp.Do(browser,
		chromedp.Click(chromedp.CSS(`#agents button[aria-label="Ready: Kim Minji"]`)),
		until(agentState("1001")+` === "busy"`),
		until(tileFigure("tax", "waiting")+` === "0"`),
		until(tileFigure("tax", "counts")+` === "1 / 1"`),
		until(callRow(4)+` === "connected" && `+callRow(7)+` === "1001"`))
	if err != nil {
		t.Fatalf("answered call on the wallboard: %v", err)
	}
	if !out.RTP.WaitTone(ctx, 2000) {
		t.Fatal("caller never heard the agent")
	}
	// The supervisor listens in from the wallboard: its own phone rings into the call.
	supPhone := newPhone(t, "2001")
	supPhone.AutoAnswer = 3000
	if code, err := supPhone.Register(ctx, n.SIP, "pw2001", 300); err != nil || code != 200 {
		t.Fatalf("register 2001: %d %v", code, err)
	}
	if err := chromedp.Do(browser, chromedp.Click(chromedp.CSS(`#calls button[data-coach="listen"]`))); err != nil {
		t.Fatalf("click Listen: %v", err)
	}
	sup, err := supPhone.NextIncoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !sup.RTP.WaitShare(ctx, 1000, 0.2) {
		t.Fatal("the listening supervisor does not hear the caller")
	}
	sup.Dialog.Bye(ctx)
	out.Hangup(ctx)
	n.waitCDR(t, ctx, "")
	err = chromedp.Do(browser,
		until(`document.querySelectorAll("#calls tbody tr").length === 0`),
		until(agentState("1001")+` === "ready"`),
		chromedp.Click(chromedp.CSS(`#agents button[aria-label="Log out: Kim Minji"]`)),
		until(agentState("1001")+` === "logged out"`))
	if err != nil {
		t.Fatalf("after the call: %v", err)
	}

	records, err := n.store.Audit(ctx, started)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, r := range records {
		if r.Kind == "supervisor.agent_state" {
			actions = append(actions, r.Actor+" "+r.Result+" "+r.Detail)
		}
	}
	if want := "2001 ok agent=1001 state=ready|2001 ok agent=1001 state=logged_out"; strings.Join(actions, "|") != want {
		t.Errorf("audit log %q, want %q", actions, want)
	}

	// An agent on the supervisor page: no wallboard, no actions.
	err = chromedp.Do(browser,
		chromedp.Click(chromedp.ID("logout")),
		until(`!document.querySelector("#login").hidden`),
		signInAs(n.HTTP, "1003"),
		until(`!document.querySelector("#not-supervisor").hidden && document.querySelector("#live").hidden`))
	if err != nil {
		t.Fatalf("agent on the supervisor page: %v", err)
	}
	refusal, err := chromedp.Run(browser, chromedp.Evaluate[string](
		`fd.api("PUT", "/api/v1/agents/1001/state", {state: "ready"}).then(() => "allowed", e => e.message)`, chromedp.EvalAwaitPromise))
	if err != nil || refusal != "an agent may change only its own state" {
		t.Errorf("agent forcing another agent's state: %q %v", refusal, err)
	}
	n.waitAgent(t, ctx, "1001", "logged_out")
}

// An agent on a desk phone transfers its call from the agent page: it picks
// customs and clicks Transfer; the customs agent's phone rings with where the
// call came from, and the caller reaches it.
func TestAgentPageTransfersACallInChromium(t *testing.T) {
	if !netns.Isolate(t) {
		return
	}
	browser := chromium(t)
	n := startNode(t, "")
	ctx := timeout(t, 90*time.Second)
	tax := n.readyAgent(t, ctx, "1001", func(p *testua.Phone) { p.AutoAnswer = 2000 })
	customs := n.readyAgent(t, ctx, "1002", func(p *testua.Phone) { p.AutoAnswer = 3000 })
	err := chromedp.Do(browser,
		chromedp.Navigate(n.HTTP+"/agent"),
		chromedp.WaitVisible(chromedp.ID("login-id")),
		chromedp.SendKeys(chromedp.ID("login-id"), "1001"),
		chromedp.SendKeys(chromedp.ID("login-password"), "pw1001"),
		chromedp.Click(chromedp.CSS(`#login button[type="submit"]`)),
		until(`document.querySelectorAll("#transfer-to option").length === 3`))
	if err != nil {
		t.Fatalf("agent signs in: %v", err)
	}
	out := dial(t, ctx, n, "126", nil, 1000, "")
	if _, err := tax.NextIncoming(ctx); err != nil {
		t.Fatal(err)
	}
	if !out.RTP.WaitTone(ctx, 2000) {
		t.Fatal("not connected to 1001")
	}
	err = chromedp.Do(browser,
		until(`!document.querySelector("#transfer").hidden`),
		chromedp.SetValue(chromedp.ID("transfer-to"), "customs"),
		chromedp.Click(chromedp.ID("transfer-go")))
	if err != nil {
		t.Fatalf("transfer from the page: %v", err)
	}
	in, err := customs.NextIncoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := in.Req.GetHeader("X-Frontdoor-Transferred-From"); got == nil || got.Value() != "tax/1001" {
		t.Errorf("X-Frontdoor-Transferred-From = %v", got)
	}
	if !out.RTP.WaitTone(ctx, 3000) {
		t.Fatal("caller not connected to customs")
	}
	if err := chromedp.Do(browser, until(`document.querySelector("#transfer").hidden`)); err != nil {
		t.Fatalf("transfer control still shown: %v", err)
	}
}
