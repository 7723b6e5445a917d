package dashboard

import (
	"math"
	"slices"
	"time"

	"github.com/frontdoor-project/frontdoor/agents"
	"github.com/frontdoor-project/frontdoor/calls"
)

// The wallboard feed (GET /api/v1/events?view=wallboard) sends a compact
// picture of the center: a "snapshot" first, then at most one "delta" per
// interval holding only what changed. Times are Unix seconds so that a
// caller's growing wait is not a change: the page counts it up itself.

// wbStates is the order of a queue's agent counts.
var wbStates = func() []string {
	out := make([]string, len(agents.States))
	for i, s := range agents.States {
		out[i] = string(s)
	}
	return out
}()

// wbQueue is one agency's tile.
type wbQueue struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Waiting int    `json:"waiting"`
	// OldestSince is when the longest-waiting caller started waiting; 0: nobody waits.
	OldestSince int64   `json:"oldest_since"`
	Agents      []int   `json:"agents"` // counts in the snapshot's "states" order
	Offered     int     `json:"offered"`
	Answered    int     `json:"answered"`
	Abandoned   int     `json:"abandoned"`
	SL          float64 `json:"sl"`      // today, 0..1
	SLGoal      float64 `json:"sl_goal"` // 0..1
	SLSecs      int     `json:"sl_secs"`
	ASA         float64 `json:"asa"` // seconds
	Open        bool    `json:"open"`
}

// wbAgent is one row of the agent table.
type wbAgent struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
	Since  int64  `json:"since"`
	Call   string `json:"call,omitempty"`
	Agency string `json:"agency,omitempty"`
	Today  int    `json:"today"`
}

// wbCall is one call in progress; never the caller's claims, only whether
// they were verified.
type wbCall struct {
	ID       string `json:"id"`
	From     string `json:"from"`
	Number   string `json:"number"`
	Agency   string `json:"agency,omitempty"`
	State    string `json:"state"`
	Agent    string `json:"agent,omitempty"`
	Verified bool   `json:"verified"`
	Started  int64  `json:"started"`
	Queued   int64  `json:"queued,omitempty"`
	Answered int64  `json:"answered,omitempty"` // when the agent picked up
}

// wbHistoryPoint is one minute of the last hour's charts, all agencies together.
type wbHistoryPoint struct {
	Minute    int64 `json:"t"` // start of the minute
	Offered   int   `json:"offered"`
	Answered  int   `json:"answered"`
	Abandoned int   `json:"abandoned"`
	Waiting   int   `json:"waiting"` // most callers waiting at once
}

// wbSnapshot is the first event of a wallboard stream.
type wbSnapshot struct {
	Now     int64            `json:"now"`
	States  []string         `json:"states"`
	Queues  []wbQueue        `json:"queues"`
	Agents  []wbAgent        `json:"agents"`
	Calls   []wbCall         `json:"calls"`
	History []wbHistoryPoint `json:"history"`
}

// wbDelta is what changed since the previous version: changed or new
// entries in full, ended calls by id.
type wbDelta struct {
	Now     int64            `json:"now"`
	Queues  []wbQueue        `json:"queues,omitempty"`
	Agents  []wbAgent        `json:"agents,omitempty"`
	Calls   []wbCall         `json:"calls,omitempty"`
	Gone    []string         `json:"gone,omitempty"`
	History []wbHistoryPoint `json:"history,omitempty"`
}

func (d *wbDelta) empty() bool {
	return len(d.Queues)+len(d.Agents)+len(d.Calls)+len(d.Gone)+len(d.History) == 0
}

func unix(t time.Time) int64 {
	if t.IsZero() || t.Year() < 2000 {
		return 0
	}
	return t.Unix()
}

func wbQueueOf(q calls.QueueStatus, now time.Time) wbQueue {
	w := wbQueue{ID: q.Agency, Name: q.Name, Waiting: q.Waiting, Offered: q.Offered, Answered: q.Answered,
		Abandoned: q.Abandoned, SL: round3(q.ServiceLevel), SLGoal: q.ServiceLevelGoal, SLSecs: q.ServiceLevelSecs,
		ASA: math.Round(q.ASASeconds*10) / 10, Open: q.Open, Agents: make([]int, len(wbStates))}
	if q.Waiting > 0 {
		w.OldestSince = now.Add(-time.Duration(q.OldestWaitSeconds * float64(time.Second))).Unix()
	}
	for i, s := range wbStates {
		w.Agents[i] = q.Agents[s]
	}
	return w
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

func wbAgentOf(a calls.AgentStatus) wbAgent {
	return wbAgent{ID: a.ID, Name: a.Name, State: a.State, Reason: a.Reason, Since: unix(a.Since),
		Call: a.CurrentCall, Agency: a.Agency, Today: a.CallsToday}
}

// wbCallOf takes the answer time from the agent: a busy agent's state
// started when it picked the call up.
func wbCallOf(c calls.CallStatus, byAgent map[string]calls.AgentStatus) wbCall {
	w := wbCall{ID: c.ID, From: c.From, Number: c.Number, Agency: c.Agency, State: c.State, Agent: c.Agent,
		Verified: c.Verified, Started: unix(c.StartedAt)}
	if c.QueuedAt != nil {
		w.Queued = unix(*c.QueuedAt)
	}
	if a, ok := byAgent[c.Agent]; ok && c.State == string(calls.StateConnected) && a.CurrentCall == c.ID {
		w.Answered = unix(a.Since)
	}
	return w
}

func sameQueue(a, b wbQueue) bool {
	// A waiting caller's start, worked out from a wait in seconds, may move
	// by a second between samples; that is not a change.
	oldest := a.OldestSince == b.OldestSince ||
		(a.OldestSince != 0 && b.OldestSince != 0 && abs(a.OldestSince-b.OldestSince) <= 1)
	a.OldestSince, b.OldestSince = 0, 0
	return oldest && slices.Equal(a.Agents, b.Agents) && a.ID == b.ID && a.Name == b.Name &&
		a.Waiting == b.Waiting && a.Offered == b.Offered && a.Answered == b.Answered &&
		a.Abandoned == b.Abandoned && a.SL == b.SL && a.SLGoal == b.SLGoal && a.SLSecs == b.SLSecs &&
		a.ASA == b.ASA && a.Open == b.Open
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
