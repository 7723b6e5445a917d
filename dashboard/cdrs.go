package dashboard

import (
	"encoding/csv"
	"net/http"
	"regexp"
	"strconv"
	"time"
)

// CDR is one finished call as the API shows it (mirrors store.CDR).
type CDR struct {
	CallID      string            `json:"call_id"`
	StartedAt   time.Time         `json:"started_at"`
	AnsweredAt  *time.Time        `json:"answered_at"`
	EndedAt     time.Time         `json:"ended_at"`
	Number      string            `json:"number"`
	Agency      string            `json:"agency"`
	Agent       string            `json:"agent"`
	Outcome     string            `json:"outcome"`
	WaitSeconds float64           `json:"wait_seconds"`
	TalkSeconds float64           `json:"talk_seconds"`
	Identity    map[string]string `json:"identity"` // nil: unverified
}

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
