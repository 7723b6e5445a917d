package metrics

import (
	"bytes"
	"os/exec"
	"testing"
)

// busySnapshot is a moment in a center: tax has callers waiting and a
// service level under its goal; police is closed and idle.
func busySnapshot() Snapshot {
	return Snapshot{
		ActiveCalls: 7,
		Agents:      map[string]int{"ready": 2, "busy": 3, "not_ready": 1, "wrap_up": 1, "logged_out": 4},
		Queues: []QueueGauge{
			{Agency: "tax", Waiting: 4, OldestWait: 42.5,
				AgentsByState: map[string]int{"ready": 1, "ringing": 1, "busy": 2, "wrap_up": 1, "not_ready": 3, "logged_out": 2},
				Offered:       40, Abandoned: 6, ServiceLevel: 0.65, ServiceLevelGoal: 0.8, ServiceLevelThreshold: 20,
				ASA: 18.5, AverageHandle: 175, Open: true},
			{Agency: "police", ServiceLevel: 1, ServiceLevelGoal: 0.9, ServiceLevelThreshold: 10},
			{Agency: "not-configured", Waiting: 99},
		},
	}
}

// TestSupervisorFiguresShowInTheScrape checks every real-time figure a
// supervisor reads from Asterisk's QueueSummary or Amazon Connect's
// real-time metrics, as the official parser reads it.
func TestSupervisorFiguresShowInTheScrape(t *testing.T) {
	m := New(testAgencies)
	m.SetSource(busySnapshot)
	fams := parse(t, scrape(t, m))
	tax := map[string]string{"agency": "tax"}
	police := map[string]string{"agency": "police"}
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"frontdoor_queue_waiting", tax, 4},
		{"frontdoor_queue_oldest_wait_seconds", tax, 42.5},
		{"frontdoor_queue_agents_online", tax, 8},
		{"frontdoor_queue_agents_available", tax, 1},
		{"frontdoor_queue_agents_on_contact", tax, 3},
		{"frontdoor_queue_agents_after_contact_work", tax, 1},
		{"frontdoor_queue_agents_non_productive", tax, 3},
		{"frontdoor_queue_service_level_ratio", tax, 0.65},
		{"frontdoor_queue_service_level_target_ratio", tax, 0.8},
		{"frontdoor_queue_service_level_threshold_seconds", tax, 20},
		{"frontdoor_queue_abandon_ratio", tax, 0.15},
		{"frontdoor_queue_answer_speed_seconds", tax, 18.5},
		{"frontdoor_queue_handle_seconds", tax, 175},
		{"frontdoor_queue_open", tax, 1},
		{"frontdoor_queue_open", police, 0},
		{"frontdoor_queue_abandon_ratio", police, 0},
		{"frontdoor_queue_service_level_ratio", police, 1},
		{"frontdoor_queue_service_level_target_ratio", police, 0.9},
		{"frontdoor_center_agents", map[string]string{"state": "busy"}, 3},
		{"frontdoor_center_agents", map[string]string{"state": "ringing"}, 0},
		{"frontdoor_active_calls", map[string]string{}, 7},
	} {
		if got := value(t, fams, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	// A configured agency missing from the snapshot is at zero; an unknown one is dropped.
	if got := value(t, fams, "frontdoor_queue_agents_online", map[string]string{"agency": "civil-affairs"}); got != 0 {
		t.Errorf("civil-affairs online = %v, want 0", got)
	}
	if n := len(fams["frontdoor_queue_waiting"].GetMetric()); n != len(testAgencies) {
		t.Errorf("queue_waiting has %d series, want one per configured agency (%d)", n, len(testAgencies))
	}
}

// TestPromtoolAcceptsTheBusyScrape lints a scrape with every gauge filled.
func TestPromtoolAcceptsTheBusyScrape(t *testing.T) {
	promtool := needPromtool(t)
	m := New(testAgencies)
	m.SetSource(busySnapshot)
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(scrape(t, m))
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) != 0 {
		t.Fatalf("promtool check metrics reports problems (err %v):\n%s", err, out)
	}
}
