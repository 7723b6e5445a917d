package routing

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Hours are a queue's opening hours in its own time zone. A call arriving
// while closed ends with outcome closed (prompt "closed"); calls already
// queued at closing time are still served.
type Hours struct {
	Location *time.Location // nil = UTC
	// Weekly holds the open spans of each day, indexed by time.Weekday; a
	// day without spans is closed.
	Weekly [7][]Span
	// Holidays are local dates ("2006-01-02") closed all day.
	Holidays []string
}

// Span is an open interval of a day, [From, To), as offsets from local
// midnight; To may be 24h.
type Span struct{ From, To time.Duration }

func (h *Hours) loc() *time.Location {
	if h.Location == nil {
		return time.UTC
	}
	return h.Location
}

// Open says whether the queue takes calls at t.
func (h *Hours) Open(t time.Time) bool {
	if h == nil {
		return true
	}
	lt := t.In(h.loc())
	date := lt.Format(time.DateOnly)
	for _, d := range h.Holidays {
		if d == date {
			return false
		}
	}
	y, m, d := lt.Date()
	midnight := time.Date(y, m, d, 0, 0, 0, 0, h.loc())
	off := lt.Sub(midnight)
	for _, s := range h.Weekly[lt.Weekday()] {
		if off >= s.From && off < s.To {
			return true
		}
	}
	return false
}

func (h *Hours) validate() error {
	var errs []error
	for day, spans := range h.Weekly {
		for _, s := range spans {
			if s.From < 0 || s.To > 24*time.Hour || s.From >= s.To {
				errs = append(errs, fmt.Errorf("%s: span %v-%v is not within one day", time.Weekday(day), s.From, s.To))
			}
		}
	}
	for _, d := range h.Holidays {
		if _, err := time.Parse(time.DateOnly, d); err != nil {
			errs = append(errs, fmt.Errorf("holiday %q is not YYYY-MM-DD", d))
		}
	}
	return errors.Join(errs...)
}

var dayNames = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// ParseDays reads a day key of a weekly schedule: "mon", or a range such as
// "mon-fri" (wrapping ranges like "sat-sun" and "fri-mon" are allowed).
func ParseDays(key string) ([]time.Weekday, error) {
	from, to, isRange := strings.Cut(strings.ToLower(strings.TrimSpace(key)), "-")
	if !isRange {
		to = from
	}
	a, ok1 := dayNames[from]
	b, ok2 := dayNames[to]
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("%q is not a day (mon..sun) or a range of days (mon-fri)", key)
	}
	days := []time.Weekday{a}
	for d := a; d != b; {
		d = (d + 1) % 7
		days = append(days, d)
	}
	return days, nil
}

// ParseSpans reads a day's opening times: "09:00-18:00", several separated
// by commas ("09:00-12:00,13:00-18:00"), or "closed". "24:00" ends a day.
func ParseSpans(s string) ([]Span, error) {
	s = strings.TrimSpace(s)
	if s == "closed" {
		return nil, nil
	}
	var spans []Span
	for _, part := range strings.Split(s, ",") {
		a, b, ok := strings.Cut(strings.TrimSpace(part), "-")
		if !ok {
			return nil, fmt.Errorf("%q is not HH:MM-HH:MM or closed", part)
		}
		from, err1 := clockTime(a)
		to, err2 := clockTime(b)
		if err := errors.Join(err1, err2); err != nil {
			return nil, err
		}
		if from >= to {
			return nil, fmt.Errorf("%q ends before it starts", part)
		}
		spans = append(spans, Span{From: from, To: to})
	}
	return spans, nil
}

// clockTime reads "HH:MM" as an offset from midnight (up to 24:00).
func clockTime(s string) (time.Duration, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(m) != 2 || hh < 0 || mm < 0 || mm > 59 || hh*60+mm > 24*60 {
		return 0, fmt.Errorf("%q is not a time HH:MM (00:00..24:00)", s)
	}
	return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute, nil
}
