package dashboard

import (
	"context"
	"slices"
	"time"
)

// historyFromCDRs rebuilds the charts' last hour from stored call records,
// so a restart does not blank them: a call counts as offered in the minute
// it started, answered in the minute it was answered, abandoned in the
// minute it ended. Calls that never reached an agency are left out, as the
// live counters leave them out. The most callers waiting at once cannot be
// rebuilt and stays 0.
func historyFromCDRs(list []CDR, now time.Time) []wbHistoryPoint {
	from := now.Truncate(time.Minute).Add(-(historyMinutes - 1) * time.Minute)
	points := map[int64]*wbHistoryPoint{}
	add := func(t time.Time, f func(p *wbHistoryPoint)) {
		if t.Before(from) || t.After(now) {
			return
		}
		m := t.Truncate(time.Minute).Unix()
		p := points[m]
		if p == nil {
			p = &wbHistoryPoint{Minute: m}
			points[m] = p
		}
		f(p)
	}
	for _, c := range list {
		if c.Agency == "" {
			continue
		}
		add(c.StartedAt, func(p *wbHistoryPoint) { p.Offered++ })
		if c.AnsweredAt != nil {
			add(*c.AnsweredAt, func(p *wbHistoryPoint) { p.Answered++ })
		}
		if c.Outcome == "abandoned" {
			add(c.EndedAt, func(p *wbHistoryPoint) { p.Abandoned++ })
		}
	}
	out := make([]wbHistoryPoint, 0, len(points))
	for _, p := range points {
		out = append(out, *p)
	}
	slices.SortFunc(out, func(a, b wbHistoryPoint) int { return int(a.Minute - b.Minute) })
	return out
}

// pastHour reads the last hour's call records for the charts; without a
// record source, or when reading fails, the charts start empty.
func (s *Server) pastHour() []wbHistoryPoint {
	if s.cfg.CDRs == nil {
		return nil
	}
	now := s.clock.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// A call that started within the hour may have ended any time since.
	list, err := s.cfg.CDRs.CDRs(ctx, now.Add(-historyMinutes*time.Minute))
	if err != nil {
		s.log.Warn("wallboard: the last hour's call records could not be read; the charts start empty", "err", err)
		return nil
	}
	return historyFromCDRs(list, now)
}
