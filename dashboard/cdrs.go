package dashboard

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/frontdoor-project/frontdoor/store"
)

// CDR is one finished call as the API shows it: the store's record, whose JSON
// names are the contract's.
type CDR = store.CDR

// cdrColumns is the contract's column order.
var cdrColumns = []string{"call_id", "started_at", "answered_at", "ended_at", "number", "agency",
	"agent", "outcome", "wait_seconds", "talk_seconds", "identity"}

// defaultCDRWindow applies when ?since is absent.
const defaultCDRWindow = 24 * time.Hour

func (s *Server) cdrs(w http.ResponseWriter, r *http.Request) {
	if s.cfg.CDRs == nil {
		writeError(w, http.StatusServiceUnavailable, "cdrs_unavailable", "this server keeps no call records")
		return
	}
	q := r.URL.Query()
	since := s.clock.Now().Add(-defaultCDRWindow)
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			writeError(w, http.StatusBadRequest, "bad_since", "since must be an RFC 3339 time such as 2026-01-02T09:00:00Z")
			return
		}
		since = t
	}
	until := time.Time{}
	if v := q.Get("until"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			writeError(w, http.StatusBadRequest, "bad_until", "until must be an RFC 3339 time such as 2026-01-02T18:00:00Z")
			return
		}
		if !t.After(since) {
			writeError(w, http.StatusBadRequest, "bad_period", "until must be after since")
			return
		}
		until = t
	}
	agencies, rerr := s.agencyFilter(q["agency"])
	if rerr != nil {
		rerr.write(w)
		return
	}
	format := q.Get("format")
	if format != "" && format != "json" && format != "csv" {
		writeError(w, http.StatusBadRequest, "bad_format", `format must be "json" or "csv"`)
		return
	}
	list, err := s.cfg.CDRs.CDRs(r.Context(), since)
	if err != nil {
		s.log.Error("read cdrs", "since", since, "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "could not read call records")
		return
	}
	list = filterCDRs(list, until, agencies)
	if format != "csv" {
		writeJSON(w, http.StatusOK, nonNil(list))
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="cdrs.csv"`)
	w.WriteHeader(http.StatusOK)
	cw := csv.NewWriter(w)
	_ = cw.Write(cdrColumns)
	for _, c := range list {
		_ = cw.Write(cdrRow(c))
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		s.log.Warn("write cdr csv", "err", err)
	}
}

// noAgencyFilter selects calls that ended before reaching an agency (in the
// IVR), whose records have no agency; metrics count them as "none" too.
const noAgencyFilter = "none"

// agencyFilter checks ?agency= values (repeatable) against the configured
// agencies; nil means every agency.
func (s *Server) agencyFilter(values []string) (map[string]bool, *requestError) {
	if len(values) == 0 {
		return nil, nil
	}
	known := map[string]bool{noAgencyFilter: true}
	for _, q := range s.cfg.View.Queues() {
		known[q.Agency] = true
	}
	want := map[string]bool{}
	for _, v := range values {
		for _, a := range strings.Split(v, ",") {
			if !known[a] {
				return nil, &requestError{http.StatusBadRequest, "unknown_agency",
					fmt.Sprintf("no agency %q; use a configured agency id or %q", a, noAgencyFilter)}
			}
			if a == noAgencyFilter {
				a = ""
			}
			want[a] = true
		}
	}
	return want, nil
}

// filterCDRs keeps records that ended before until (zero: no end) of the
// wanted agencies (nil: all).
func filterCDRs(list []CDR, until time.Time, agencies map[string]bool) []CDR {
	if until.IsZero() && agencies == nil {
		return list
	}
	out := list[:0]
	for _, c := range list {
		if (!until.IsZero() && !c.EndedAt.Before(until)) || (agencies != nil && !agencies[c.Agency]) {
			continue
		}
		out = append(out, c)
	}
	return out
}

func cdrRow(c CDR) []string {
	answered := ""
	if c.AnsweredAt != nil {
		answered = stamp(*c.AnsweredAt)
	}
	identity := "unverified"
	if c.Identity != nil {
		identity = "verified"
	}
	return []string{
		cell(c.CallID), stamp(c.StartedAt), answered, stamp(c.EndedAt),
		cell(c.Number), cell(c.Agency), cell(c.Agent), cell(c.Outcome),
		strconv.FormatFloat(c.WaitSeconds, 'f', 3, 64), strconv.FormatFloat(c.TalkSeconds, 'f', 3, 64),
		identity,
	}
}

// stamp writes times in UTC, whole seconds, as the contract's RFC 3339.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

var plainNumber = regexp.MustCompile(`^[+-]?[0-9][0-9.]*$`)

// cell defuses spreadsheet formulas: the number comes from a caller's SIP
// headers, and a cell starting with = + - @ would run in Excel or Calc.
// Plain numbers such as +8210… stay as they are.
func cell(v string) string {
	if v == "" || plainNumber.MatchString(v) {
		return v
	}
	switch v[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + v
	}
	return v
}
