package store

import (
	"encoding/csv"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"time"
)

// CDRColumns are the contract's CDR fields, in order: the CSV header.
var CDRColumns = []string{"call_id", "started_at", "answered_at", "ended_at", "number", "agency",
	"agent", "outcome", "wait_seconds", "talk_seconds", "identity"}

// WriteCSV writes a header and one row per CDR. Times are RFC 3339 in UTC,
// durations seconds with millisecond precision, identity is "verified" or
// "unverified" (claims never leave through CSV exports).
func WriteCSV(w io.Writer, cdrs []CDR) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CDRColumns); err != nil {
		return fmt.Errorf("cdr csv: %w", err)
	}
	for _, c := range cdrs {
		if err := cw.Write(csvRow(c)); err != nil {
			return fmt.Errorf("cdr csv %s: %w", c.CallID, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("cdr csv: %w", err)
	}
	return nil
}

func csvRow(c CDR) []string {
	answered := ""
	if c.AnsweredAt != nil {
		answered = csvTime(*c.AnsweredAt)
	}
	identity := "unverified"
	if c.Identity != nil {
		identity = "verified"
	}
	return []string{
		csvText(c.CallID), csvTime(c.StartedAt), answered, csvTime(c.EndedAt),
		csvText(c.Number), csvText(c.Agency), csvText(c.Agent), csvText(c.Outcome),
		strconv.FormatFloat(c.WaitSeconds, 'f', 3, 64), strconv.FormatFloat(c.TalkSeconds, 'f', 3, 64),
		identity,
	}
}

func csvTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

var csvNumber = regexp.MustCompile(`^[+-]?[0-9][0-9.]*$`)

// csvText defuses spreadsheet formulas: a caller controls the number (SIP
// From), and a cell starting with = + - @ runs as a formula in Excel or
// Calc. Plain numbers such as +8210... stay as they are.
func csvText(v string) string {
	if v == "" || csvNumber.MatchString(v) {
		return v
	}
	switch v[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + v
	}
	return v
}
