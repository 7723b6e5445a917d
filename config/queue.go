package config

import (
	"fmt"
	"slices"
	"sort"
	"time"
	_ "time/tzdata" // hours.timezone must work on hosts without a zoneinfo database

	"github.com/frontdoor-project/frontdoor/routing"
)

// Queue holds one agency's ACD settings (the `queue:` key of an agency).
// Owned by the routing work: cmd/frontdoor converts it to routing.QueueConfig;
// routing/README.md documents every key.
type Queue struct {
	Strategy            string  `yaml:"strategy"`
	RingTimeoutSeconds  int     `yaml:"ring_timeout_seconds"`
	WrapupSeconds       int     `yaml:"wrapup_seconds"`
	ServiceLevelSeconds int     `yaml:"service_level_seconds"`
	ServiceLevelTarget  float64 `yaml:"service_level_target"`
	MaxWaitSeconds      int     `yaml:"max_wait_seconds"`
	MaxWaiting          int     `yaml:"max_waiting"`
	RonaMisses          int     `yaml:"rona_misses"`

	MinLevel  int            `yaml:"min_level"`
	Widen     []Widen        `yaml:"widen"`
	Partners  []string       `yaml:"partners"`
	Penalties map[string]int `yaml:"penalties"` // agent id -> penalty in this queue

	PriorityStepSeconds int            `yaml:"priority_step_seconds"`
	Priority            []PriorityRule `yaml:"priority"`

	Overflow   Overflow `yaml:"overflow"`
	JoinEmpty  string   `yaml:"join_empty"`
	LeaveEmpty string   `yaml:"leave_empty"`
	Hours      *Hours   `yaml:"hours"`

	AnnounceEverySeconds int    `yaml:"announce_every_seconds"`
	MessageEverySeconds  int    `yaml:"message_every_seconds"`
	MessagePrompt        string `yaml:"message_prompt"`
	DefaultHandleSeconds int    `yaml:"default_handle_seconds"`
}

// Widen lets more agents take a call once it has waited AfterSeconds.
type Widen struct {
	AfterSeconds int  `yaml:"after_seconds"`
	MinLevel     int  `yaml:"min_level"`
	Partners     bool `yaml:"partners"`
}

// PriorityRule raises the priority of calls whose attributes match.
type PriorityRule struct {
	Attrs    map[string]string `yaml:"attrs"`
	MinAge   int               `yaml:"min_age"`
	Priority int               `yaml:"priority"`
}

// Overflow moves calls to another agency's queue.
type Overflow struct {
	To           string `yaml:"to"`
	AfterSeconds int    `yaml:"after_seconds"`
}

// Hours are opening hours; no hours key = always open.
type Hours struct {
	Timezone string            `yaml:"timezone"`
	Weekly   map[string]string `yaml:"weekly"` // "mon-fri": "09:00-18:00", "sat": "closed"
	Holidays []string          `yaml:"holidays"`
}

// applyDefaults fills what the file left out.
func (q *Queue) applyDefaults() {
	setString(&q.Strategy, routing.StrategyLongestIdle)
	setInt(&q.RingTimeoutSeconds, int(routing.DefaultRingTimeout/time.Second))
	setInt(&q.ServiceLevelSeconds, int(routing.DefaultServiceLevel/time.Second))
	if q.ServiceLevelTarget == 0 {
		q.ServiceLevelTarget = 0.8
	}
	setInt(&q.RonaMisses, 1)
	setInt(&q.MinLevel, 1)
	setInt(&q.PriorityStepSeconds, int(routing.DefaultPriorityStep/time.Second))
	setString(&q.JoinEmpty, routing.EmptyAllow)
	setString(&q.LeaveEmpty, routing.EmptyAllow)
	setInt(&q.DefaultHandleSeconds, int(routing.DefaultHandleTime/time.Second))
	if q.Hours != nil {
		setString(&q.Hours.Timezone, "UTC")
	}
}

// validate reports problems with one agency's queue; path is e.g. "agencies[2].queue".
// agencies holds every configured agency id (for overflow targets and partners).
func (q *Queue) validate(v *validator, path string, agencies map[string]bool) {
	if !slices.Contains(routing.Strategies, q.Strategy) {
		v.errf(path+".strategy", "unknown strategy %q (known: %v)", q.Strategy, routing.Strategies)
	}
	for _, f := range []struct {
		key string
		n   int
		min int
	}{
		{"ring_timeout_seconds", q.RingTimeoutSeconds, 1}, {"service_level_seconds", q.ServiceLevelSeconds, 1},
		{"rona_misses", q.RonaMisses, 1}, {"priority_step_seconds", q.PriorityStepSeconds, 1},
		{"default_handle_seconds", q.DefaultHandleSeconds, 1},
		{"wrapup_seconds", q.WrapupSeconds, 0}, {"max_wait_seconds", q.MaxWaitSeconds, 0},
		{"max_waiting", q.MaxWaiting, 0}, {"announce_every_seconds", q.AnnounceEverySeconds, 0},
		{"message_every_seconds", q.MessageEverySeconds, 0}, {"overflow.after_seconds", q.Overflow.AfterSeconds, 0},
	} {
		if f.n < f.min {
			v.errf(path+"."+f.key, "must be at least %d (got %d)", f.min, f.n)
		}
	}
	if q.ServiceLevelTarget <= 0 || q.ServiceLevelTarget > 1 {
		v.errf(path+".service_level_target", "must be in (0, 1] (got %v)", q.ServiceLevelTarget)
	}
	q.validateSkills(v, path, agencies)
	for i, r := range q.Priority {
		p := fmt.Sprintf("%s.priority[%d]", path, i)
		if len(r.Attrs) == 0 && r.MinAge == 0 {
			v.errf(p, "needs attrs or min_age")
		}
		if r.MinAge < 0 || r.Priority < 1 {
			v.errf(p, "min_age must not be negative and priority must be at least 1")
		}
	}
	// An agency naming itself (overflow.to, partners) is refused when the
	// ACD is built: validate is not told which agency it checks.
	if q.Overflow.To != "" && !agencies[q.Overflow.To] {
		v.errf(path+".overflow.to", "%q is not an agency", q.Overflow.To)
	}
	if q.Overflow.AfterSeconds > 0 && q.Overflow.To == "" {
		v.errf(path+".overflow.after_seconds", "needs overflow.to")
	}
	if !slices.Contains(routing.EmptyPolicies, q.JoinEmpty) {
		v.errf(path+".join_empty", "%q is not one of %v", q.JoinEmpty, routing.EmptyPolicies)
	}
	if !slices.Contains(routing.EmptyPolicies, q.LeaveEmpty) {
		v.errf(path+".leave_empty", "%q is not one of %v", q.LeaveEmpty, routing.EmptyPolicies)
	}
	if (q.MessageEverySeconds > 0) != (q.MessagePrompt != "") {
		v.errf(path+".message_prompt", "message_every_seconds and message_prompt go together")
	}
	if q.Hours != nil {
		q.Hours.validate(v, path+".hours")
	}
}

// validateSkills checks min_level, widen, partners and penalties.
func (q *Queue) validateSkills(v *validator, path string, agencies map[string]bool) {
	if q.MinLevel < 1 || q.MinLevel > routing.MaxSkillLevel {
		v.errf(path+".min_level", "must be 1..%d (got %d)", routing.MaxSkillLevel, q.MinLevel)
	}
	prev := Widen{MinLevel: q.MinLevel}
	for i, w := range q.Widen {
		p := fmt.Sprintf("%s.widen[%d]", path, i)
		switch {
		case w.AfterSeconds <= prev.AfterSeconds:
			v.errf(p+".after_seconds", "must be more than the step before (%d)", prev.AfterSeconds)
		case w.MinLevel < 1 || w.MinLevel > prev.MinLevel:
			v.errf(p+".min_level", "must be 1..%d: a step never asks for more skill", prev.MinLevel)
		case prev.Partners && !w.Partners:
			v.errf(p+".partners", "a later step cannot take partners back")
		case w.Partners && len(q.Partners) == 0:
			v.errf(p+".partners", "the queue has no partners")
		}
		prev = w
	}
	for i, a := range q.Partners {
		if !agencies[a] {
			v.errf(fmt.Sprintf("%s.partners[%d]", path, i), "%q is not an agency", a)
		}
	}
	ids := make([]string, 0, len(q.Penalties))
	for id := range q.Penalties {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if q.Penalties[id] < 0 {
			v.errf(path+".penalties."+id, "must not be negative")
		}
	}
}

func (h *Hours) validate(v *validator, path string) {
	if _, err := time.LoadLocation(h.Timezone); err != nil {
		v.errf(path+".timezone", "unknown time zone %q", h.Timezone)
	}
	if len(h.Weekly) == 0 {
		v.errf(path+".weekly", "required: the open hours of each day (e.g. mon-fri: \"09:00-18:00\")")
	}
	if _, err := h.week(); err != nil {
		v.errf(path+".weekly", "%v", err)
	}
	for i, d := range h.Holidays {
		if _, err := time.Parse(time.DateOnly, d); err != nil {
			v.errf(fmt.Sprintf("%s.holidays[%d]", path, i), "%q is not a date YYYY-MM-DD", d)
		}
	}
}

// week turns the weekly map into spans per weekday; a day named twice is
// an error, a day not named is closed.
func (h *Hours) week() ([7][]routing.Span, error) {
	var week [7][]routing.Span
	var named [7]bool
	keys := make([]string, 0, len(h.Weekly))
	for k := range h.Weekly {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		days, err := routing.ParseDays(k)
		if err != nil {
			return week, err
		}
		spans, err := routing.ParseSpans(h.Weekly[k])
		if err != nil {
			return week, fmt.Errorf("%s: %w", k, err)
		}
		for _, d := range days {
			if named[d] {
				return week, fmt.Errorf("%s: %s is named twice", k, d)
			}
			named[d] = true
			week[d] = spans
		}
	}
	return week, nil
}

// RoutingHours converts the hours for the ACD; nil hours = always open.
func (h *Hours) RoutingHours() (*routing.Hours, error) {
	if h == nil {
		return nil, nil
	}
	loc, err := time.LoadLocation(h.Timezone)
	if err != nil {
		return nil, fmt.Errorf("hours: %w", err)
	}
	week, err := h.week()
	if err != nil {
		return nil, fmt.Errorf("hours: %w", err)
	}
	return &routing.Hours{Location: loc, Weekly: week, Holidays: slices.Clone(h.Holidays)}, nil
}
