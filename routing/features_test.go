package routing

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/agents"
)

func TestPriorityRulesWithAging(t *testing.T) {
	q := QueueConfig{ID: "q", PriorityStep: time.Minute, PriorityRules: []PriorityRule{
		{Attrs: map[string]string{"identity": "verified"}, MinAge: 65, Priority: 2},
		{Attrs: map[string]string{"disability": "*"}, Priority: 1},
	}}
	r := newRig(t, oneQueue(q, "a1"))
	arrive := func(id string, attrs map[string]string) {
		r.keep(r.e.Arrive(Call{ID: id, Queue: "q", Attrs: attrs}))
		r.clk.t = r.clk.t.Add(30 * time.Second)
	}
	arrive("plain", nil)                                                                   // t=0
	arrive("senior", map[string]string{"identity": "verified", "birthdate": "1950-05-01"}) // t=30: place -90
	arrive("young", map[string]string{"identity": "verified", "birthdate": "2000-05-01"})  // t=60: no rule
	arrive("unverified-senior", map[string]string{"birthdate": "1950-05-01"})              // t=90: no rule
	arrive("disabled", map[string]string{"disability": "hearing"})                         // t=120: place 60
	r.clk.t = r.clk.t.Add(200 * time.Second)
	arrive("late-senior", map[string]string{"identity": "verified", "birthdate": "1940-01-01"}) // t=350: place 230
	var order []string
	r.keep(r.e.Login("a1"))
	acts, _ := r.e.SetReady("a1")
	for len(only(acts, Offer)) > 0 {
		o := only(acts, Offer)[0]
		order = append(order, o.CallID)
		r.e.Answered(o.CallID, "a1")
		acts = r.e.AgentHangup(o.CallID)
	}
	want := []string{"senior", "plain", "young", "disabled", "unverified-senior", "late-senior"}
	if !slices.Equal(order, want) {
		t.Fatalf("served %v, want %v", order, want)
	}
	if s, _ := r.e.Call("x"); s.ID != "" {
		t.Fatal("snapshot of an unknown call")
	}
}

func TestSkillWideningAndPartners(t *testing.T) {
	cfg := Config{
		Queues: []QueueConfig{{ID: "tax", MinLevel: 7, Partners: []string{"civil"}, Widen: []WidenStep{
			{After: 30 * time.Second, MinLevel: 3},
			{After: 60 * time.Second, MinLevel: 3, Partners: true},
		}}, {ID: "civil"}},
		Agents: []AgentConfig{
			{ID: "expert", Skills: map[string]int{"tax": 9}},
			{ID: "novice", Skills: map[string]int{"tax": 3}},
			{ID: "partner", Skills: map[string]int{"civil": 5}},
		},
	}
	r := newRig(t, cfg)
	r.ready("novice", "partner")
	if got := offers(r.arrive("c1", "tax")); len(got) != 0 {
		t.Fatalf("fresh call offered to %v; only level 7+ may take it", got)
	}
	if got := offers(r.advance(29 * time.Second)); len(got) != 0 {
		t.Fatalf("offered before widening: %v", got)
	}
	if got := offers(r.advance(time.Second)); !slices.Equal(got, []string{"c1->novice"}) {
		t.Fatalf("after 30s offers %v, want c1->novice", got)
	}
	r.keep(r.e.Answered("c1", "novice"))
	r.arrive("c2", "tax")
	if got := offers(r.advance(59 * time.Second)); len(got) != 0 {
		t.Fatalf("partner offered before 60s: %v", got)
	}
	if got := offers(r.advance(time.Second)); !slices.Equal(got, []string{"c2->partner"}) {
		t.Fatalf("after 60s offers %v, want c2->partner", got)
	}
	// The expert takes a fresh call at once.
	r.ready("expert")
	if got := offers(r.arrive("c3", "tax")); !slices.Equal(got, []string{"c3->expert"}) {
		t.Fatalf("offers %v, want c3->expert", got)
	}
}

func TestOverflowAfterTimeoutAndWhenFull(t *testing.T) {
	cfg := Config{
		Queues: []QueueConfig{
			{ID: "tax", OverflowTo: "civil", OverflowAfter: time.Minute, MaxWaiting: 2},
			{ID: "civil", MaxWaiting: 1},
		},
		Agents: []AgentConfig{{ID: "c-agent", Skills: map[string]int{"civil": 5}}},
	}
	r := newRig(t, cfg)
	r.arrive("c1", "tax")
	acts := r.advance(time.Minute)
	if ov := only(acts, Overflow); len(ov) != 1 || ov[0].CallID != "c1" || ov[0].Wait != time.Minute {
		t.Fatalf("after a minute: overflow %+v, want c1 having waited 1m", ov)
	}
	r.arrive("c2", "tax")
	r.arrive("c3", "tax")
	acts = r.arrive("c4", "tax") // tax full: straight on to civil, full too: rejected there
	if ov := only(acts, Overflow); len(ov) != 1 || ov[0].From != "tax" || ov[0].Queue != "civil" || ov[0].Outcome != OutcomeOverflowed {
		t.Fatalf("full queue: overflow %+v", ov)
	}
	if end := only(acts, EndCall); len(end) != 1 || end[0].Outcome != OutcomeRejected || end[0].Prompt != PromptBusy || end[0].Queue != "civil" {
		t.Fatalf("both full: end %+v, want rejected/busy in civil", end)
	}
	if fin := only(acts, Finished); len(fin) != 1 || fin[0].Outcome != OutcomeRejected {
		t.Fatalf("finished %+v, want one rejected", fin)
	}
	// After a minute c2 and c3 would overflow, but civil is full: they stay.
	if acts := r.advance(time.Minute); len(only(acts, Overflow)) != 0 {
		t.Fatalf("overflowed into a full queue: %v", only(acts, Overflow))
	}
	qs := r.e.Queues()
	if tax, civil := qs[0], qs[1]; tax.Overflowed != 2 || tax.Waiting != 2 || civil.Rejected != 1 || civil.Waiting != 1 || civil.Offered != 2 {
		t.Fatalf("tax %+v\ncivil %+v", tax, civil)
	}
}

func TestOpeningHours(t *testing.T) {
	seoul, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		t.Skipf("SKIP: needs tzdata: %v", err)
	}
	weekdays, err := ParseSpans("09:00-12:00,13:00-18:00")
	if err != nil {
		t.Fatal(err)
	}
	h := &Hours{Location: seoul, Holidays: []string{"2026-03-03"}}
	days, _ := ParseDays("mon-fri")
	for _, d := range days {
		h.Weekly[d] = weekdays
	}
	r := newRig(t, oneQueue(QueueConfig{ID: "q", Hours: h}, "a1"))
	cases := []struct {
		at   string // Seoul time
		open bool
	}{
		{"2026-03-02 08:59", false}, {"2026-03-02 09:00", true}, {"2026-03-02 12:30", false},
		{"2026-03-02 17:59", true}, {"2026-03-02 18:00", false}, {"2026-03-03 10:00", false}, // holiday
		{"2026-03-07 10:00", false}, // Saturday
	}
	for i, tc := range cases {
		at, _ := time.ParseInLocation("2006-01-02 15:04", tc.at, seoul)
		r.clk.t = at
		acts := r.arrive(string(rune('a'+i)), "q")
		closed := len(only(acts, EndCall)) == 1 && only(acts, EndCall)[0].Outcome == OutcomeClosed
		if closed == tc.open {
			t.Errorf("%s: open=%v, got actions %v", tc.at, tc.open, acts)
		}
	}
	for _, bad := range []string{"9-18", "18:00-09:00", "09:00-25:00", "09:60-10:00"} {
		if _, err := ParseSpans(bad); err == nil {
			t.Errorf("ParseSpans(%q) accepted", bad)
		}
	}
	if _, err := ParseDays("mon-xyz"); err == nil {
		t.Error("ParseDays accepted mon-xyz")
	}
}

func TestJoinAndLeaveEmpty(t *testing.T) {
	r := newRig(t, oneQueue(QueueConfig{ID: "q", JoinEmpty: EmptyLoggedIn, LeaveEmpty: EmptyAvailable}, "a1"))
	if end := only(r.arrive("c1", "q"), EndCall); len(end) != 1 || end[0].Outcome != OutcomeRejected {
		t.Fatalf("join with nobody logged in: %v, want rejected", end)
	}
	r.keep(r.e.Login("a1")) // logged in, not ready: may join
	if end := only(r.arrive("c2", "q"), EndCall); len(end) != 0 {
		t.Fatalf("join with an agent logged in refused: %v", end)
	}
	r.ready("a1")
	r.keep(r.e.Answered("c2", "a1"))
	r.arrive("c3", "q")
	r.keep(r.e.AgentHangup("c2")) // a1 goes ready and takes c3
	acts, err := r.e.SetNotReady("a1", "lunch")
	if err != nil {
		t.Fatal(err)
	}
	if end := only(acts, EndCall); len(end) != 1 || end[0].CallID != "c3" {
		t.Fatalf("ringing call withdrawn from the only agent going on lunch: %v, want c3 to leave", end)
	}
	var exit bool
	for _, l := range only(acts, QueueLog) {
		exit = exit || strings.Contains(l.Line, "|c3|q|NONE|EXITEMPTY|1|1|")
	}
	if !exit {
		t.Errorf("no EXITEMPTY line in %v", only(acts, QueueLog))
	}
}

func TestAnnouncementsUseMovingHandleTime(t *testing.T) {
	r := newRig(t, oneQueue(QueueConfig{ID: "q", AnnounceEvery: 30 * time.Second, DefaultHandle: 100 * time.Second,
		MessageEvery: 45 * time.Second, MessagePrompt: "web"}, "a1"))
	r.ready("a1")
	r.arrive("c1", "q")
	r.keep(r.e.Answered("c1", "a1"))
	acts := r.arrive("c2", "q")
	ann := only(acts, Announce)
	if len(ann) != 1 || ann[0].Position != 1 || ann[0].EWT != 100*time.Second {
		t.Fatalf("join announce %+v, want position 1 EWT 100s (default handle, one agent)", ann)
	}
	acts = r.arrive("c3", "q")
	if ann := only(acts, Announce); len(ann) != 1 || ann[0].Position != 2 || ann[0].EWT != 200*time.Second {
		t.Fatalf("second caller announce %+v, want position 2, 200s", ann)
	}
	r.clk.t = r.clk.t.Add(20 * time.Second)
	acts = r.keep(r.e.AgentHangup("c1")) // 20s handle; a1 takes c2 at once
	if len(only(acts, Announce)) != 0 {
		t.Fatalf("announced to a call being offered: %v", only(acts, Announce))
	}
	r.keep(r.e.Answered("c2", "a1"))
	acts = r.advance(25 * time.Second) // c3's 30s announcement, as position 1, 20s handle
	if ann := only(acts, Announce); len(ann) != 1 || ann[0].CallID != "c3" || ann[0].Position != 1 || ann[0].EWT != 20*time.Second {
		t.Fatalf("periodic announce %+v, want c3 position 1 EWT 20s", ann)
	}
	if p := only(acts, Play); len(p) != 1 || p[0].Prompt != "web" || p[0].CallID != "c3" {
		t.Fatalf("message at 45s: %v", p)
	}
}

func TestRONAPolicyAndDecline(t *testing.T) {
	r := newRig(t, oneQueue(QueueConfig{ID: "q", RonaMisses: 2, RingTimeout: 5 * time.Second}, "a1", "a2"))
	r.ready("a1")
	r.arrive("c1", "q")
	r.advance(5 * time.Second) // first miss: ready again, and c1 comes straight back
	if st, _ := r.agentState("a1"); st != agents.Ringing {
		t.Fatalf("after one miss a1 = %s, want ringing again", st)
	}
	acts := r.keep(r.e.Declined("c1", "a1")) // second miss
	if st, why := r.agentState("a1"); st != agents.NotReady || why != ReasonRONA {
		t.Fatalf("after two misses a1 = %s/%s, want not_ready/rona (%v)", st, why, acts)
	}
	if got := offers(r.ready("a2")); !slices.Equal(got, []string{"c1->a2"}) {
		t.Fatalf("offers %v, want c1 to a2", got)
	}
	if c := only(r.e.Answered("c1", "a1"), CancelOffer); len(c) != 1 {
		t.Fatal("stale answer from a1 not told to hang up")
	}
}

func TestPendingStatesWhileBusy(t *testing.T) {
	r := newRig(t, oneQueue(QueueConfig{ID: "q", Wrapup: 10 * time.Second}, "a1", "a2"))
	r.ready("a1", "a2")
	r.keep(r.e.Answered("c1", offers(r.arrive("c1", "q"))[0][4:]))
	r.keep(r.e.Answered("c2", offers(r.arrive("c2", "q"))[0][4:]))
	if _, err := r.e.SetNotReady("a1", "meeting"); err != nil {
		t.Fatal(err)
	}
	r.keep(r.e.Logout("a2"))
	if st, _ := r.agentState("a2"); st != agents.Busy {
		t.Fatalf("logout while busy: a2 = %s, want still busy", st)
	}
	r.keep(r.e.CallerHangup("c1"))
	r.keep(r.e.CallerHangup("c2"))
	if st, _ := r.agentState("a2"); st != agents.LoggedOut {
		t.Fatalf("a2 = %s after its call, want logged_out", st)
	}
	r.advance(10 * time.Second)
	if st, why := r.agentState("a1"); st != agents.NotReady || why != "meeting" {
		t.Fatalf("a1 = %s/%s after wrap-up, want not_ready/meeting", st, why)
	}
	if _, err := r.e.SetReady("a2"); err == nil {
		t.Fatal("SetReady of a logged-out agent accepted")
	}
	if _, err := r.e.SetReady("nobody"); err == nil {
		t.Fatal("SetReady of an unknown agent accepted")
	}
}

func TestSnapshotsAndQueueLog(t *testing.T) {
	r := newRig(t, oneQueue(QueueConfig{ID: "q", ServiceLevel: 20 * time.Second}, "a1"))
	r.ready("a1")
	r.arrive("c1", "q")
	r.clk.t = r.clk.t.Add(5 * time.Second)
	r.keep(r.e.Answered("c1", "a1"))
	r.arrive("c2", "q")
	r.arrive("c3", "q")
	r.clk.t = r.clk.t.Add(30 * time.Second)
	r.keep(r.e.CallerHangup("c2"))
	r.keep(r.e.AgentHangup("c1")) // a1 takes c3 after 30s
	r.keep(r.e.Answered("c3", "a1"))
	q := r.e.Queues()[0]
	if q.Offered != 3 || q.Answered != 2 || q.Abandoned != 1 || q.AnsweredWithinSL != 1 || q.Waiting != 0 {
		t.Fatalf("snapshot %+v", q)
	}
	if q.ASA != (5+30)*time.Second/2 || q.ServiceLevel != 1.0/3 || q.Agents[agents.Busy] != 1 {
		t.Fatalf("ASA %v SL %v agents %v", q.ASA, q.ServiceLevel, q.Agents)
	}
	a := r.e.Agents()[0]
	if a.CallID != "c3" || a.CallsTaken != 2 || a.TalkTime != 30*time.Second || a.State != agents.Busy {
		t.Fatalf("agent snapshot %+v", a)
	}
	var lines []string
	for _, l := range only(r.log, QueueLog) {
		lines = append(lines, l.Line)
	}
	ts := func(d int) string { return itoa(int(epoch.Unix()) + d) }
	for _, want := range []string{
		ts(0) + "|NONE|q|a1|ADDMEMBER|",
		ts(0) + "|NONE|q|a1|UNPAUSE|",
		ts(0) + "|c1|q|NONE|ENTERQUEUE||",
		ts(5) + "|c1|q|a1|CONNECT|5|c1|5",
		ts(35) + "|c2|q|NONE|ABANDON|1|1|30",
		ts(35) + "|c1|q|a1|COMPLETEAGENT|5|30|1",
		ts(35) + "|c3|q|a1|CONNECT|30|c3|0",
	} {
		if !slices.Contains(lines, want) {
			t.Errorf("queue_log lacks %q; have\n%s", want, strings.Join(lines, "\n"))
		}
	}
}

func TestLoginDuringCallCancelsPendingLogout(t *testing.T) {
	r := newRig(t, oneQueue(QueueConfig{ID: "q"}, "a1"))
	r.ready("a1")
	r.arrive("c1", "q")
	r.keep(r.e.Answered("c1", "a1"))
	r.keep(r.e.Logout("a1")) // phone unregistered mid-call...
	r.keep(r.e.Login("a1"))  // ...and registered again
	r.keep(r.e.AgentHangup("c1"))
	if st, _ := r.agentState("a1"); st != agents.Ready {
		t.Fatalf("a1 = %s, want ready (the logout was called off)", st)
	}
}

// A steady stream of high-priority callers never starves an ordinary one:
// callers arriving more than priority*step after it are served after it.
func TestPriorityNeverStarves(t *testing.T) {
	q := QueueConfig{ID: "q", PriorityStep: time.Minute, PriorityRules: []PriorityRule{{Attrs: map[string]string{"vip": "*"}, Priority: 3}}}
	r := newRig(t, oneQueue(q, "a1"))
	r.ready("a1")
	vip := map[string]string{"vip": "yes"}
	r.keep(r.e.Arrive(Call{ID: "vip-0", Queue: "q", Attrs: vip})) // keeps a1 busy
	r.keep(r.e.Answered("vip-0", "a1"))
	r.keep(r.e.Arrive(Call{ID: "plain", Queue: "q"}))
	arrived := map[string]time.Duration{"plain": 0}
	var served []string
	current := "vip-0"
	// A VIP arrives every 8s; a call ends every 10s: VIPs alone overload a1.
	for i := 1; i <= 60 && !slices.Contains(served, "plain"); i++ {
		id := "vip-" + itoa(i)
		arrived[id] = time.Duration(i) * 8 * time.Second
		r.clk.t = r.clk.t.Add(8 * time.Second)
		r.keep(r.e.Arrive(Call{ID: id, Queue: "q", Attrs: vip}))
		if i%5 == 0 {
			continue
		}
		for _, o := range only(r.keep(r.e.AgentHangup(current)), Offer) {
			current = o.CallID
			served = append(served, o.CallID)
			r.keep(r.e.Answered(o.CallID, "a1"))
		}
	}
	at := slices.Index(served, "plain")
	if at < 0 {
		t.Fatalf("the ordinary caller was never served; served %v", served)
	}
	for _, id := range served[:at] {
		if arrived[id] > 3*time.Minute {
			t.Errorf("%s arrived %v after the ordinary caller and was served before it", id, arrived[id])
		}
	}
	if at < 10 {
		t.Fatalf("plain served after only %d VIPs; those within their 3-minute head start go first", at)
	}
}
