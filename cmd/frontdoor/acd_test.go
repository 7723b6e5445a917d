package main

import (
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/config"
	"github.com/frontdoor-project/frontdoor/routing"
)

const fullQueue = `number: "110"
identity: { mode: "off" }
agencies:
  - id: tax
    name: Tax
    digit: "1"
    queue:
      strategy: fewest-calls
      ring_timeout_seconds: 20
      wrapup_seconds: 30
      service_level_seconds: 15
      service_level_target: 0.9
      max_wait_seconds: 900
      max_waiting: 50
      rona_misses: 2
      min_level: 6
      widen:
        - { after_seconds: 30, min_level: 3 }
        - { after_seconds: 90, min_level: 1, partners: true }
      partners: [civil]
      penalties: { "1002": 3 }
      priority_step_seconds: 45
      priority:
        - { attrs: { identity: verified }, min_age: 65, priority: 2 }
        - { attrs: { disability: "*" }, priority: 1 }
      overflow: { to: civil, after_seconds: 300 }
      join_empty: logged-in
      leave_empty: available
      hours:
        timezone: Asia/Seoul
        weekly: { mon-fri: "09:00-12:00,13:00-18:00", sat: "09:00-13:00" }
        holidays: ["2026-03-03"]
      announce_every_seconds: 60
      message_every_seconds: 120
      message_prompt: web
      default_handle_seconds: 240
  - id: civil
    name: Civil
    digit: "2"
agents:
  - { id: "1001", password: pw1001, skills: { tax: 8 } }
  - { id: "1002", password: pw1002, skills: { tax: 5, civil: 5 } }
`

func TestRoutingConfigFromQueueSection(t *testing.T) {
	cfg, err := config.Parse("fd.yaml", []byte(fullQueue))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := routingConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	q, civil := rc.Queues[0], rc.Queues[1]
	if q.Strategy != routing.StrategyFewestCalls || q.RingTimeout != 20*time.Second || q.Wrapup != 30*time.Second ||
		q.ServiceLevel != 15*time.Second || q.ServiceLevelTarget != 0.9 || q.MaxWait != 15*time.Minute || q.MaxWaiting != 50 ||
		q.RonaMisses != 2 || q.MinLevel != 6 || q.PriorityStep != 45*time.Second || q.OverflowTo != "civil" ||
		q.OverflowAfter != 5*time.Minute || q.JoinEmpty != routing.EmptyLoggedIn || q.LeaveEmpty != routing.EmptyAvailable ||
		q.AnnounceEvery != time.Minute || q.MessageEvery != 2*time.Minute || q.MessagePrompt != "web" || q.DefaultHandle != 4*time.Minute {
		t.Fatalf("tax queue %+v", q)
	}
	if len(q.Widen) != 2 || q.Widen[1] != (routing.WidenStep{After: 90 * time.Second, MinLevel: 1, Partners: true}) || q.Partners[0] != "civil" {
		t.Fatalf("widen %+v partners %v", q.Widen, q.Partners)
	}
	if len(q.PriorityRules) != 2 || q.PriorityRules[0].MinAge != 65 || q.PriorityRules[1].Attrs["disability"] != "*" {
		t.Fatalf("priority %+v", q.PriorityRules)
	}
	if rc.Agents[1].Penalties["tax"] != 3 || rc.Agents[0].Penalties != nil {
		t.Fatalf("penalties %+v", rc.Agents)
	}
	// Seoul 12:30 on a Monday is lunch; 10:00 is open; the holiday is shut.
	seoul, _ := time.LoadLocation("Asia/Seoul")
	for at, open := range map[string]bool{"2026-03-02 10:00": true, "2026-03-02 12:30": false, "2026-03-03 10:00": false, "2026-03-07 12:59": true, "2026-03-08 10:00": false} {
		tm, _ := time.ParseInLocation("2006-01-02 15:04", at, seoul)
		if q.Hours.Open(tm) != open {
			t.Errorf("open at %s = %v, want %v", at, !open, open)
		}
	}
	if civil.Strategy != routing.StrategyLongestIdle || civil.RingTimeout != 15*time.Second || civil.Hours != nil {
		t.Fatalf("civil defaults %+v", civil)
	}
	if _, err := routing.NewEngine(rc, fixedClock{}, 1); err != nil {
		t.Fatalf("engine refused the converted config: %v", err)
	}
}

type fixedClock struct{}

func (fixedClock) Now() time.Time { return time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC) }

// Each bad queue key is reported on its own line, naming the key.
func TestQueueSectionRefusals(t *testing.T) {
	cases := []struct{ from, to, want string }{
		{"strategy: fewest-calls", "strategy: fastest", `fd.yaml:8: agencies[0].queue.strategy: unknown strategy "fastest"`},
		{"ring_timeout_seconds: 20", "ring_timeout_seconds: -1", "fd.yaml:9: agencies[0].queue.ring_timeout_seconds: must be at least 1 (got -1)"},
		{"service_level_target: 0.9", "service_level_target: 1.5", "fd.yaml:12: agencies[0].queue.service_level_target: must be in (0, 1]"},
		{"min_level: 6", "min_level: 11", "fd.yaml:16: agencies[0].queue.min_level: must be 1..10 (got 11)"},
		{"{ after_seconds: 30, min_level: 3 }", "{ after_seconds: 30, min_level: 8 }", "fd.yaml:18: agencies[0].queue.widen[0].min_level: must be 1..6"},
		{"partners: [civil]", "partners: [police]", `fd.yaml:20: agencies[0].queue.partners[0]: "police" is not an agency`},
		{"overflow: { to: civil", "overflow: { to: nowhere", `fd.yaml:26: agencies[0].queue.overflow.to: "nowhere" is not an agency`},
		{"join_empty: logged-in", "join_empty: yes", `fd.yaml:27: agencies[0].queue.join_empty: "yes" is not one of [always logged-in available]`},
		{"timezone: Asia/Seoul", "timezone: Mars/Olympus", `fd.yaml:30: agencies[0].queue.hours.timezone: unknown time zone "Mars/Olympus"`},
		{`sat: "09:00-13:00"`, `sat: "9 to 1"`, `fd.yaml:31: agencies[0].queue.hours.weekly: sat: "9 to 1" is not HH:MM-HH:MM or closed`},
		{`sat: "09:00-13:00"`, `fri: "09:00-13:00"`, "fd.yaml:31: agencies[0].queue.hours.weekly: mon-fri: Friday is named twice"},
		{`"2026-03-03"`, `"03/03/2026"`, `fd.yaml:32: agencies[0].queue.hours.holidays[0]: "03/03/2026" is not a date YYYY-MM-DD`},
		{"message_prompt: web", "message_prompt: ''", "fd.yaml:35: agencies[0].queue.message_prompt: message_every_seconds and message_prompt go together"},
		{"default_handle_seconds: 240", "default_handle_secs: 240", `fd.yaml:36: agencies[0].queue: unknown key "default_handle_secs"`},
	}
	for _, tc := range cases {
		y := strings.Replace(fullQueue, tc.from, tc.to, 1)
		_, err := config.Parse("fd.yaml", []byte(y))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s -> %s: err = %v\nwant a line %q", tc.from, tc.to, err, tc.want)
		}
	}
	cfg, err := config.Parse("fd.yaml", []byte(strings.Replace(fullQueue, `penalties: { "1002": 3 }`, `penalties: { "9999": 3 }`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := routingConfig(cfg); err == nil || !strings.Contains(err.Error(), `queue.penalties: "9999" is not an agent`) {
		t.Fatalf("penalty for an unknown agent: %v", err)
	}
}
