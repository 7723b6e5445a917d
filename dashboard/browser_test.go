package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/frontdoor-project/frontdoor/calls"
	"github.com/frontdoor-project/frontdoor/internal/browsertest"
	"github.com/frontdoor-project/frontdoor/internal/netns"
)

// browser starts headless Debian Chromium, or skips (fails under CI=true). Call it
// only inside netns.Isolate: Chromium must see nothing but loopback.
// Every console error and uncaught exception of the page (CSP violations are
// console errors) is collected for the test to check at its end.
func browser(t *testing.T) (context.Context, func() []string) {
	t.Helper()
	ctx := browsertest.Chromium(t)

	var mu sync.Mutex
	var problems []string
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			// A refused login is a 401 the page expects and handles.
			if (m.Type == chromedp.ConsoleError || m.IsException()) && !strings.Contains(m.Text, "401") {
				mu.Lock()
				problems = append(problems, m.String())
				mu.Unlock()
			}
		}
	}()
	return ctx, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), problems...)
	}
}

// waitJS waits until a page expression is true; the page changes on events.
func waitJS(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Poll[bool](expr, chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(0))(ctx, t)
		return err
	})
}

// agentCell is the text of column col of the agents table row for id.
func agentCell(id string, col int) string {
	return fmt.Sprintf(`(() => { for (const tr of document.querySelectorAll("#agents tbody tr"))
		if (tr.cells[0].textContent === %q) return tr.cells[%d].textContent; return null })()`, id, col)
}

func TestSupervisorPageInChromium(t *testing.T) {
	if !netns.Isolate(t) {
		return
	}
	ctx, problems := browser(t)
	e := newEnv(t, fastFeed)

	err := chromedp.Do(ctx,
		chromedp.Navigate(e.srv.URL+"/"),
		chromedp.WaitVisible(chromedp.ID("login-id")),
		chromedp.SendKeys(chromedp.ID("login-id"), "2001"),
		chromedp.SendKeys(chromedp.ID("login-password"), "wrong"),
		chromedp.Click(chromedp.CSS(`#login button[type="submit"]`)),
		waitJS(`document.querySelector("#status").textContent === "Wrong id or password."`),
		// The page empties the password field after a refusal.
		waitJS(`document.querySelector("#login-password").value === ""`),
		chromedp.SendKeys(chromedp.ID("login-password"), "pw-2001"),
		chromedp.Click(chromedp.CSS(`#login button[type="submit"]`)),
		// The wallboard snapshot fills the tiles, the tables and the charts.
		waitJS(`document.querySelectorAll("#queues .tile").length === 2`),
		waitJS(agentCell("1001", 2)+` === "not ready"`),
		waitJS(`document.querySelectorAll(".uplot canvas").length === 2`),
	)
	if err != nil {
		t.Fatalf("sign in and see the tables: %v (page problems: %v)", err, problems())
	}
	queueText, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#queues .tile[data-agency="tax"]`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(queueText, "National Tax Service") || !strings.Contains(queueText, "70 %") {
		t.Errorf("tax tile reads %q", queueText)
	}

	// A change elsewhere (the admin API) reaches the page through the event stream.
	if resp, body := e.do("PUT", "/api/v1/agents/1001/state", testAdminToken, `{"state":"ready"}`); resp.StatusCode != http.StatusOK {
		t.Fatalf("set ready: %d %s", resp.StatusCode, body)
	}
	if err := chromedp.Do(ctx, waitJS(agentCell("1001", 2)+` === "ready"`)); err != nil {
		t.Fatalf("page did not follow the change: %v", err)
	}

	// The supervisor's own button changes the agent in the core.
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#agents button[aria-label="Not ready: Kim Minji"]`)),
		waitJS(agentCell("1001", 2)+` === "not ready"`),
	)
	if err != nil {
		t.Fatalf("not-ready button: %v", err)
	}
	for _, a := range e.core.Agents() {
		if a.ID == "1001" && (a.State != "not_ready" || a.Reason != "supervisor") {
			t.Errorf("core has 1001 %s (%s), want not_ready (supervisor)", a.State, a.Reason)
		}
	}

	// Signing out ends the token on the server too.
	token, err := chromedp.Run(ctx, chromedp.Evaluate[string](`sessionStorage.getItem("fd_token")`))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("logout")), waitJS(`!document.querySelector("#login").hidden`)); err != nil {
		t.Fatalf("sign out: %v", err)
	}
	resp, body := e.do("GET", "/api/v1/agents", token, "")
	wantError(t, resp, body, http.StatusUnauthorized, "unauthorized")
	if p := problems(); len(p) > 0 {
		t.Errorf("page problems: %v", p)
	}
}

// signIn fills the login form of the page at path as id.
func signIn(e *env, path, id string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(e.srv.URL+path),
		chromedp.WaitVisible(chromedp.ID("login-id")),
		chromedp.SendKeys(chromedp.ID("login-id"), id),
		chromedp.SendKeys(chromedp.ID("login-password"), testDirectory[id][0]),
		chromedp.Click(chromedp.CSS(`#login button[type="submit"]`)),
	)
}

func TestAgentPageInChromium(t *testing.T) {
	if !netns.Isolate(t) {
		return
	}
	ctx, problems := browser(t)
	e := newEnv(t)
	myState := `document.querySelector("#my-state").textContent`
	if err := chromedp.Do(ctx, signIn(e, "/agent", "1001"), waitJS(myState+`.startsWith("You are not ready")`)); err != nil {
		t.Fatalf("sign in: %v (page problems: %v)", err, problems())
	}

	// Ready, then not ready with a chosen reason: the core changes.
	err := chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("set-ready")),
		waitJS(myState+`.startsWith("You are ready")`),
		chromedp.SetValue(chromedp.ID("reason"), "lunch"),
		chromedp.Click(chromedp.ID("set-not-ready")),
		waitJS(myState+`.startsWith("You are not ready (lunch)")`),
	)
	if err != nil {
		t.Fatalf("state buttons: %v (page problems: %v)", err, problems())
	}
	for _, a := range e.core.Agents() {
		if a.ID == "1001" && (a.State != "not_ready" || a.Reason != "lunch") {
			t.Errorf("core has 1001 %s (%s), want not_ready (lunch)", a.State, a.Reason)
		}
	}

	// A call reaches the agent: the page shows it and offers a verification.
	call := calls.CallStatus{ID: "c-7", Number: "110", Agency: "tax", State: "connected", Agent: "1001"}
	e.core.mu.Lock()
	e.core.calls = append(e.core.calls, call)
	e.core.mu.Unlock()
	e.core.publish(calls.Event{Type: "call", Data: call})
	err = chromedp.Do(ctx,
		waitJS(`document.querySelector("#call").textContent.includes("c-7")`),
		chromedp.Click(chromedp.ID("verify")),
		waitJS(`document.querySelector("#verify-code").textContent.includes("Read this code")`),
	)
	if err != nil {
		t.Fatalf("verification offer: %v (page problems: %v)", err, problems())
	}
	code, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("verify-code")))
	if err != nil {
		t.Fatal(err)
	}
	sess, ok := e.id.sessionForCall("c-7")
	if !ok || !strings.Contains(code, strings.Join(strings.Split(sess.Code, ""), " ")) {
		t.Errorf("page says %q; session for c-7: %+v (%v)", code, sess, ok)
	}

	// The caller verifies: the page shows the claims.
	e.core.mu.Lock()
	last := len(e.core.calls) - 1
	e.core.calls[last].Verified = true
	e.core.calls[last].Identity = map[string]string{"given_name": "Minho", "family_name": "Choi"}
	e.core.mu.Unlock()
	e.core.publish(calls.Event{Type: "call", Data: e.core.calls[last]})
	if err := chromedp.Do(ctx, waitJS(`document.querySelector("#call").textContent.includes("Minho")`),
		waitJS(`document.querySelector("#verify").hidden`)); err != nil {
		t.Fatalf("verified caller: %v", err)
	}
	if p := problems(); len(p) > 0 {
		t.Errorf("page problems: %v", p)
	}
}

// An agent signing in on the supervisor page gets no wallboard and no
// actions; trying the supervisor API from the page anyway is refused.
func TestAgentCannotReachSupervisorActionsInChromium(t *testing.T) {
	if !netns.Isolate(t) {
		return
	}
	ctx, problems := browser(t)
	e := newEnv(t, fastFeed)
	err := chromedp.Do(ctx, signIn(e, "/", "1001"), waitJS(`!document.querySelector("#not-supervisor").hidden`))
	if err != nil {
		t.Fatalf("agent on the supervisor page: %v (page problems: %v)", err, problems())
	}
	state, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify({
		live: document.querySelector("#live").hidden,
		buttons: document.querySelectorAll("#agents button").length })`))
	if err != nil {
		t.Fatal(err)
	}
	if state != `{"live":true,"buttons":0}` {
		t.Errorf("agent sees %s, want the live section hidden and no buttons", state)
	}
	// The page's own API helper, used by hand, meets the server's refusals.
	for _, c := range []struct{ js, want string }{
		{`fd.api("PUT", "/api/v1/agents/1002/state", {state: "logged_out"})`, "an agent may change only its own state"},
		{`fd.api("GET", "/api/v1/cdrs")`, "this needs the supervisor role or higher"},
		{`fd.api("GET", "/api/v1/queue_log")`, "this needs the supervisor role or higher"},
		{`fetch("/api/v1/events?view=wallboard").then(r => r.json()).then(b => { throw new Error(b.detail) })`, "the wallboard needs the supervisor role or higher"},
	} {
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](c.js+`.then(() => "allowed", e => e.message)`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%s: %q, want %q", c.js, got, c.want)
		}
	}
	for _, a := range e.core.Agents() {
		if a.ID == "1002" && a.State != "busy" {
			t.Errorf("1002 is %s after an agent's attempt", a.State)
		}
	}
}
