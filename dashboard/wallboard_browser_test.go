package dashboard

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/frontdoor-project/frontdoor/calls"
	"github.com/frontdoor-project/frontdoor/internal/netns"
)

// demoCenter is the demo's 11 agencies at a busy moment: tax has a caller
// past its 20 s target, customs one nearing it, immigration a service level
// under its goal, legal aid is closed; the rest are fine.
func demoCenter(now time.Time) ([]calls.QueueStatus, []calls.AgentStatus, []calls.CallStatus) {
	names := [][2]string{{"tax", "National Tax Service"}, {"customs", "Korea Customs Service"},
		{"immigration", "Immigration Contact Center"}, {"military-manpower", "Military Manpower Administration"},
		{"police-civil", "Police Civil Complaints"}, {"employment-labor", "Employment and Labor Counselling"},
		{"health-insurance", "National Health Insurance Service"}, {"national-pension", "National Pension Service"},
		{"legal-aid", "Legal Aid Corporation"}, {"consumer", "Consumer Counselling Center"}, {"civil", "Government Civil Affairs"}}
	var qs []calls.QueueStatus
	for i, n := range names {
		q := calls.QueueStatus{Agency: n[0], Name: n[1], Offered: 40 + i*7, Answered: 36 + i*6, Abandoned: 1 + i%3,
			ServiceLevel: 0.86, ServiceLevelSecs: 20, ServiceLevelGoal: 0.8, ASASeconds: 8 + float64(i), Open: true,
			Agents: map[string]int{"logged_out": 1, "not_ready": i % 2, "ready": 1 + i%2, "ringing": 0, "busy": 2, "wrap_up": i % 3 / 2}}
		qs = append(qs, q)
	}
	qs[0].Waiting, qs[0].OldestWaitSeconds = 3, 31
	qs[1].Waiting, qs[1].OldestWaitSeconds = 1, 16
	qs[2].ServiceLevel = 0.62
	qs[8].Open, qs[8].Agents = false, map[string]int{"logged_out": 3}
	as := []calls.AgentStatus{
		{ID: "1001", Name: "Kim Minji", State: "busy", Since: now.Add(-3 * time.Minute), CurrentCall: "c-11", Agency: "tax", CallsToday: 14},
		{ID: "1002", Name: "Lee Jiho", State: "ringing", Since: now.Add(-4 * time.Second), CurrentCall: "c-12", Agency: "customs", CallsToday: 11},
		{ID: "1003", Name: "Park Seoyeon", State: "ready", Since: now.Add(-40 * time.Second), CallsToday: 9},
		{ID: "1004", Name: "Choi Junwoo", State: "not_ready", Reason: "lunch", Since: now.Add(-25 * time.Minute), CallsToday: 7},
		{ID: "1005", Name: "Jung Hayoon", State: "wrap_up", Since: now.Add(-20 * time.Second), CallsToday: 12},
		{ID: "1006", Name: "Kang Doyun", State: "not_ready", Reason: "rona", Since: now.Add(-2 * time.Minute), CallsToday: 5},
		{ID: "1007", Name: "Yoon Seojin", State: "logged_out", Since: now.Add(-3 * time.Hour)},
	}
	at := func(d time.Duration) *time.Time { t := now.Add(-d); return &t }
	cs := []calls.CallStatus{
		{ID: "c-11", From: "01023456789", Number: "110", Agency: "tax", State: "connected", Agent: "1001", Verified: true,
			StartedAt: now.Add(-4 * time.Minute), QueuedAt: at(3*time.Minute + 12*time.Second)},
		{ID: "c-12", From: "01087654321", Number: "125", Agency: "customs", State: "ringing", Agent: "1002",
			StartedAt: now.Add(-20 * time.Second), QueuedAt: at(16 * time.Second)},
		{ID: "c-13", From: "0215770000", Number: "110", Agency: "tax", State: "queued", Verified: true,
			StartedAt: now.Add(-50 * time.Second), QueuedAt: at(31 * time.Second)},
		{ID: "c-14", From: "01011112222", Number: "110", Agency: "tax", State: "queued",
			StartedAt: now.Add(-30 * time.Second), QueuedAt: at(12 * time.Second)},
	}
	return qs, as, cs
}

// The wallboard colours each tile by its figures: red past the answer
// target or under the service-level goal, amber nearing the target, dimmed
// when closed. With FRONTDOOR_SCREENSHOTS=DIR the board is saved as
// DIR/wallboard.png.
func TestWallboardColoursThresholdsInChromium(t *testing.T) {
	if !netns.Isolate(t) {
		return
	}
	ctx, problems := browser(t)
	// The center is busy before the server starts: its first sample is the baseline of the charts.
	e := newEnv(t, fastFeed, func(c *Config) {
		core := c.View.(*core)
		core.queues, core.agents, core.calls = demoCenter(c.Clock.Now())
	})
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1600, 1200), signIn(e, "/", "2001"),
		waitJS(`document.querySelectorAll("#queues .tile").length === 11`)); err != nil {
		t.Fatalf("wallboard: %v (page problems: %v)", err, problems())
	}
	// The center line counts each agent once and finds the longest wait anywhere.
	center, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("center")))
	if err != nil {
		t.Fatal(err)
	}
	// The longest wait counts up in the page: 0:31 when the board arrived.
	if !regexp.MustCompile(`^Center: 4 waiting · longest wait 0:3\d · agents 1 ready · 2 on call · 1 wrap-up · 2 not ready · 1 logged out$`).MatchString(center) {
		t.Errorf("center line %q", center)
	}
	classes, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`Object.fromEntries(
		[...document.querySelectorAll("#queues .tile")].map(t => [t.dataset.agency, t.className]))`))
	if err != nil {
		t.Fatal(err)
	}
	for agency, want := range map[string]string{"tax": "tile breach", "customs": "tile warn", "immigration": "tile breach",
		"legal-aid": "tile ok closed", "civil": "tile ok"} {
		if classes[agency] != want {
			t.Errorf("%s tile is %q, want %q", agency, classes[agency], want)
		}
	}
	// Red is red on the screen, not just a class name.
	colours, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`["tax", "civil"].map(a =>
		getComputedStyle(document.querySelector('#queues .tile[data-agency="' + a + '"]')).borderLeftColor)`))
	if err != nil {
		t.Fatal(err)
	}
	if colours[0] != "rgb(198, 40, 40)" || colours[1] != "rgb(31, 122, 58)" {
		t.Errorf("tax and civil borders %v, want red and green", colours)
	}
	if dir := os.Getenv("FRONTDOOR_SCREENSHOTS"); dir != "" {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "wallboard.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if p := problems(); len(p) > 0 {
		t.Errorf("page problems: %v", p)
	}
}
