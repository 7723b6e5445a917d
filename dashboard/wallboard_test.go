package dashboard

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/calls"
)

func fastFeed(c *Config) { c.LiveInterval = 10 * time.Millisecond }

func wallboardStream(t *testing.T, e *env, token string) *sseStream {
	t.Helper()
	return openStreamAt(t, e.srv.URL+"/api/v1/events?view=wallboard", "Authorization", "Bearer "+token)
}

func decodeEvent[T any](t *testing.T, ev sseEvent, typ string) T {
	t.Helper()
	if ev.Type != typ {
		t.Fatalf("event %q, want %q: %s", ev.Type, typ, ev.Data)
	}
	return decode[T](t, []byte(ev.Data))
}

func TestWallboardStartsWithACompactSnapshot(t *testing.T) {
	e := newEnv(t, fastFeed)
	st := wallboardStream(t, e, e.login("2001"))
	snap := decodeEvent[wbSnapshot](t, st.nextEvent(), "snapshot")
	if strings.Join(snap.States, ",") != "logged_out,not_ready,ready,ringing,busy,wrap_up" {
		t.Errorf("states %v", snap.States)
	}
	if len(snap.Queues) != 2 || len(snap.Agents) != 3 || len(snap.Calls) != 2 || len(snap.History) != 1 {
		t.Fatalf("snapshot: %+v", snap)
	}
	tax := snap.Queues[0]
	// The clock says 10:00:00 and the oldest tax caller has waited 31 s.
	if tax.ID != "tax" || tax.Waiting != 2 || tax.OldestSince != e.clock.Now().Unix()-31 || tax.SL != 0.7 || tax.Agents[1] != 1 {
		t.Errorf("tax tile %+v", tax)
	}
	if h := snap.History[0]; h.Minute != e.clock.Now().Truncate(time.Minute).Unix() || h.Waiting != 2 {
		t.Errorf("history %+v", h)
	}
	// Calls carry whether the caller was verified, never who the caller is.
	ev := wallboardStream(t, e, testAdminToken).nextEvent()
	raw := decode[struct{ Calls []map[string]any }](t, []byte(ev.Data))
	if c := raw.Calls[1]; c["verified"] != true || c["identity"] != nil || strings.Contains(ev.Data, "Minho") {
		t.Errorf("call on the wallboard: %v", c)
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestWallboardSendsOnlyWhatChanged(t *testing.T) {
	e := newEnv(t, fastFeed)
	sup := e.login("2001")
	st := wallboardStream(t, e, sup)
	decodeEvent[wbSnapshot](t, st.nextEvent(), "snapshot")

	if resp, body := e.do("PUT", "/api/v1/agents/1001/state", sup, `{"state":"ready"}`); resp.StatusCode != http.StatusOK {
		t.Fatalf("set ready: %d %s", resp.StatusCode, body)
	}
	d := decodeEvent[wbDelta](t, st.nextEvent(), "delta")
	if len(d.Agents) != 1 || d.Agents[0].ID != "1001" || d.Agents[0].State != "ready" || len(d.Queues)+len(d.Calls)+len(d.Gone) != 0 {
		t.Fatalf("delta after one agent change: %+v", d)
	}

	// A call ends and a caller joins police: one delta names both; the queue
	// figures follow.
	e.core.mu.Lock()
	e.core.calls = e.core.calls[1:]
	queued := e.clock.Now().Add(-5 * time.Second)
	e.core.calls = append(e.core.calls, calls.CallStatus{ID: "c-3", From: "01012345678", Number: "112", Agency: "police",
		State: "queued", StartedAt: queued, QueuedAt: &queued})
	e.core.queues[1].Waiting, e.core.queues[1].OldestWaitSeconds, e.core.queues[1].Offered = 1, 5, 1
	e.core.mu.Unlock()
	d = decodeEvent[wbDelta](t, st.nextEvent(), "delta")
	if len(d.Gone) != 1 || d.Gone[0] != "c-1" || len(d.Calls) != 1 || d.Calls[0].ID != "c-3" || d.Calls[0].Queued != queued.Unix() {
		t.Errorf("calls in the delta: gone %v, changed %+v", d.Gone, d.Calls)
	}
	if len(d.Queues) != 1 || d.Queues[0].ID != "police" || d.Queues[0].Waiting != 1 {
		t.Errorf("queues in the delta: %+v", d.Queues)
	}
	if len(d.History) != 1 || d.History[0].Offered != 1 || d.History[0].Waiting != 3 {
		t.Errorf("history in the delta: %+v", d.History)
	}
}

func TestWallboardRefusals(t *testing.T) {
	e := newEnv(t)
	resp, body := e.do("GET", "/api/v1/events?view=wallboard", e.login("1001"), "")
	wantError(t, resp, body, http.StatusForbidden, "forbidden")
	resp, body = e.do("GET", "/api/v1/events?view=wallboard", "", "")
	wantError(t, resp, body, http.StatusUnauthorized, "unauthorized")
	resp, body = e.do("GET", "/api/v1/events?view=everything", e.login("2001"), "")
	wantError(t, resp, body, http.StatusBadRequest, "bad_view")
}

// A viewer that missed versions gets a whole snapshot, never a delta it
// cannot apply.
func TestFeedGivesALaggingViewerASnapshot(t *testing.T) {
	c := newCore()
	clock := &fakeClock{now: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	f := newFeed(c, clock, time.Hour, discardLogger(), nil)
	_, _, v0 := f.since(0, true)
	for _, st := range []string{"ready", "not_ready"} {
		c.mu.Lock()
		c.agents[0].State = st
		c.mu.Unlock()
		f.tick()
	}
	if typ, _, v := f.since(v0, false); typ != "snapshot" || v != v0+2 {
		t.Errorf("two versions behind: %q at %d, want a snapshot at %d", typ, v, v0+2)
	}
	if typ, body, v := f.since(v0+1, false); typ != "delta" || !strings.Contains(string(body), `"not_ready"`) || v != v0+2 {
		t.Errorf("one version behind: %q %s at %d", typ, body, v)
	}
	if typ, _, v := f.since(v0+2, false); typ != "" || v != v0+2 {
		t.Errorf("up to date: %q at %d", typ, v)
	}
	select {
	case <-f.next(v0 + 2):
		t.Error("next is closed with nothing new")
	default:
	}
}

// The charts count calls per minute from the core's counters for today,
// which start again at midnight.
func TestFeedHistoryAcrossMinutesAndMidnight(t *testing.T) {
	c := newCore()
	clock := &fakeClock{now: time.Date(2026, 3, 2, 23, 59, 10, 0, time.UTC)}
	f := newFeed(c, clock, time.Hour, discardLogger(), nil)
	set := func(offered, waiting int) {
		c.mu.Lock()
		c.queues[0].Offered, c.queues[0].Waiting = offered, waiting
		c.mu.Unlock()
		f.tick()
	}
	set(13, 4) // 3 more than the 10 at start-up
	clock.Advance(time.Minute)
	set(2, 1) // a new day: 2 calls so far
	set(5, 0)
	if len(f.history) != 2 {
		t.Fatalf("history %+v", f.history)
	}
	if h := f.history[0]; h.Offered != 3 || h.Waiting != 4 {
		t.Errorf("23:59 %+v", h)
	}
	if h := f.history[1]; h.Offered != 5 || h.Waiting != 1 {
		t.Errorf("00:00 %+v", h)
	}
	for range 70 {
		clock.Advance(time.Minute)
		f.tick()
	}
	if len(f.history) != historyMinutes {
		t.Errorf("history keeps %d minutes, want %d", len(f.history), historyMinutes)
	}
}

// After a restart the charts show the last hour from the stored records.
func TestWallboardChartsSurviveARestart(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 30, 0, time.UTC)
	at := func(min, sec int) time.Time {
		return now.Truncate(time.Hour).Add(time.Duration(min)*time.Minute + time.Duration(sec)*time.Second)
	}
	ans := at(-5, 40) // 09:55:40
	records := []CDR{
		{CallID: "old", Agency: "tax", StartedAt: at(-70, 0), EndedAt: at(-69, 0), Outcome: "abandoned"}, // before the hour
		{CallID: "a", Agency: "tax", StartedAt: at(-5, 10), AnsweredAt: &ans, EndedAt: at(-2, 0), Outcome: "answered"},
		{CallID: "b", Agency: "police", StartedAt: at(-5, 50), EndedAt: at(0, 5), Outcome: "abandoned"},
		{CallID: "ivr", StartedAt: at(-5, 0), EndedAt: at(-4, 0), Outcome: "rejected"}, // never reached an agency
	}
	e := newEnv(t, func(c *Config) { c.Clock = &fakeClock{now: now}; c.CDRs = &cdrList{list: records} })
	snap := decodeEvent[wbSnapshot](t, wallboardStream(t, e, e.login("2001")).nextEvent(), "snapshot")
	want := []wbHistoryPoint{
		{Minute: at(-5, 0).Unix(), Offered: 2, Answered: 1},
		{Minute: at(0, 0).Unix(), Abandoned: 1, Waiting: 2}, // the live sample adds the callers waiting now
	}
	if len(snap.History) != len(want) {
		t.Fatalf("history %+v, want %+v", snap.History, want)
	}
	for i := range want {
		if snap.History[i] != want[i] {
			t.Errorf("minute %d: %+v, want %+v", i, snap.History[i], want[i])
		}
	}

	// Without readable records the charts simply start empty.
	broken := newEnv(t, func(c *Config) { c.CDRs = &cdrList{fail: true} })
	snap = decodeEvent[wbSnapshot](t, wallboardStream(t, broken, broken.login("2001")).nextEvent(), "snapshot")
	if len(snap.History) != 1 || snap.History[0].Offered != 0 {
		t.Errorf("history with a broken store %+v", snap.History)
	}
}
