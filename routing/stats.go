package routing

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// dayStats are a queue's counters for the current day in its time zone.
type dayStats struct {
	day        int // yyyymmdd
	offered    int
	answered   int
	abandoned  int
	withinSL   int
	overflowed int
	timeout    int
	rejected   int
	closed     int
	waitSum    int64 // of answered calls
}

// roll starts a new day's counters when the day has changed.
func (s *dayStats) roll(q *queue, now int64) *dayStats {
	loc := time.UTC
	if q.cfg.Hours != nil {
		loc = q.cfg.Hours.loc()
	}
	y, m, d := timeOf(now).In(loc).Date()
	if day := y*10000 + int(m)*100 + d; day != s.day {
		*s = dayStats{day: day}
	}
	return s
}

// serviceLevel is the share of calls that left the queue (answered,
// abandoned, timed out, overflowed) which were answered within the
// threshold; 1 when none has.
func (s *dayStats) serviceLevel() float64 {
	n := s.answered + s.abandoned + s.timeout + s.overflowed
	if n == 0 {
		return 1
	}
	return float64(s.withinSL) / float64(n)
}

// movingAverage is the mean of the last handleSamplesForEWT handle times.
type movingAverage struct {
	buf [handleSamplesForEWT]int64
	n   int
	pos int
	sum int64
}

func (m *movingAverage) add(v int64) {
	if m.n == len(m.buf) {
		m.sum -= m.buf[m.pos]
	} else {
		m.n++
	}
	m.buf[m.pos] = v
	m.sum += v
	m.pos = (m.pos + 1) % len(m.buf)
}

func (m *movingAverage) mean(def time.Duration) time.Duration {
	if m.n == 0 {
		return def
	}
	return time.Duration(m.sum / int64(m.n))
}

// ewt estimates the wait of the call at position pos: that many handle
// times shared by the agents working the queue; 0 = unknown (nobody works
// the queue).
func (e *Engine) ewt(q *queue, pos int) time.Duration {
	working := q.counts[2] + q.counts[3] + q.counts[4] + q.counts[5]
	if working == 0 {
		return 0
	}
	aht := q.handle.mean(q.cfg.DefaultHandle)
	return time.Duration(int64(pos) * int64(aht) / int64(working)).Round(time.Second)
}

// priorityOf is the highest of the call's own priority and every rule of
// the queue it matches.
func priorityOf(q *QueueConfig, base int, attrs map[string]string, now time.Time) int {
	p := base
	for _, r := range q.PriorityRules {
		if r.Priority > p && ruleMatches(r, attrs, now) {
			p = r.Priority
		}
	}
	return p
}

func ruleMatches(r PriorityRule, attrs map[string]string, now time.Time) bool {
	for k, want := range r.Attrs {
		got := attrs[k]
		if got == "" || (want != "*" && got != want) {
			return false
		}
	}
	if r.MinAge > 0 {
		born, err := time.Parse(time.DateOnly, attrs[birthdateAttr])
		if err != nil || born.AddDate(r.MinAge, 0, 0).After(now) {
			return false
		}
	}
	return true
}

// qlog emits one Asterisk queue_log line:
// epoch|callid|queuename|agent|event|data1|data2|...
// Every field passes qlogField, so no outside text (a caller id, an agent's
// pause reason) can add a field or forge a line.
func (e *Engine) qlog(q *queue, callID, agentID, event string, data ...string) {
	if e.noQlog {
		return
	}
	if agentID == "" {
		agentID = "NONE"
	}
	var b strings.Builder
	b.WriteString(strconv.FormatInt(e.now/int64(time.Second), 10))
	for _, f := range []string{callID, q.cfg.ID, agentID, event} {
		b.WriteByte('|')
		b.WriteString(qlogField(f))
	}
	for _, d := range data {
		b.WriteByte('|')
		b.WriteString(qlogField(d))
	}
	e.emit(Action{Kind: QueueLog, CallID: callID, AgentID: agentID, Queue: q.cfg.ID, Line: b.String()})
}

// qlogField makes s safe as one queue_log field: the separator '|' becomes
// '_', a control character (newline, carriage return, tab, NUL, ...) a
// space, invalid UTF-8 the replacement character.
func qlogField(s string) string {
	clean := true
	for _, r := range s {
		if r == '|' || r == utf8.RuneError || unicode.IsControl(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r == '|':
			return '_'
		case unicode.IsControl(r):
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, string(utf8.RuneError)))
}

func timeOf(ns int64) time.Time  { return time.Unix(0, ns) }
func dur(ns int64) time.Duration { return time.Duration(ns) }
func itoa(n int) string          { return strconv.Itoa(n) }
func secs(ns int64) string       { return strconv.FormatInt(ns/int64(time.Second), 10) }
