package routing

import (
	"strings"
	"testing"
	"time"
)

// Bad configs are refused with an error naming the queue and the problem.
func TestNewEngineRefusesBadConfig(t *testing.T) {
	ok := func() Config {
		return Config{Queues: []QueueConfig{{ID: "tax"}, {ID: "civil"}}, Agents: []AgentConfig{{ID: "a1", Skills: map[string]int{"tax": 5}}}}
	}
	cases := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"unknown strategy", func(c *Config) { c.Queues[0].Strategy = "fastest" }, `queue tax: strategy "fastest" unknown`},
		{"repeated queue", func(c *Config) { c.Queues[1].ID = "tax" }, `queue id "tax" empty or repeated`},
		{"overflow to itself", func(c *Config) { c.Queues[0].OverflowTo = "tax" }, `overflow target "tax" is not another queue`},
		{"overflow_after alone", func(c *Config) { c.Queues[0].OverflowAfter = time.Minute }, "overflow_after without an overflow target"},
		{"stricter widening", func(c *Config) {
			c.Queues[0].MinLevel = 3
			c.Queues[0].Widen = []WidenStep{{After: time.Minute, MinLevel: 5}}
		}, "min_level 5 must be 1..3"},
		{"partner unknown", func(c *Config) { c.Queues[0].Partners = []string{"x"} }, `partner "x" is not another queue`},
		{"skill level", func(c *Config) { c.Agents[0].Skills["tax"] = 11 }, "skill tax level 11 outside 1..10"},
		{"skill queue", func(c *Config) { c.Agents[0].Skills["x"] = 1 }, `unknown queue "x"`},
		{"repeated agent", func(c *Config) { c.Agents = append(c.Agents, c.Agents[0]) }, `agent id "a1" empty or repeated`},
		{"bad holiday", func(c *Config) { c.Queues[1].Hours = &Hours{Holidays: []string{"2026-13-01"}} }, `holiday "2026-13-01" is not YYYY-MM-DD`},
		{"empty policy", func(c *Config) { c.Queues[1].JoinEmpty = "never" }, "join_empty/leave_empty must be one of"},
		{"message without prompt", func(c *Config) { c.Queues[1].MessageEvery = time.Second }, "message_every and message_prompt go together"},
	}
	if _, err := NewEngine(ok(), &fakeClock{t: epoch}, 1); err != nil {
		t.Fatalf("good config refused: %v", err)
	}
	for _, tc := range cases {
		cfg := ok()
		tc.change(&cfg)
		_, err := NewEngine(cfg, &fakeClock{t: epoch}, 1)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to say %q", tc.name, err, tc.want)
		}
	}
}
