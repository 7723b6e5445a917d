package routing

import (
	"errors"
	"fmt"
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
