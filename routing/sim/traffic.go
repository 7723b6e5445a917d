package sim

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"time"

	"gopkg.in/yaml.v3"
)

// Traffic is the demand of one simulated run: per agency, Poisson arrivals,
// exponential talk and patience, and a fixed wrap-up.
type Traffic struct {
	Agencies map[string]Demand `yaml:"agencies"`
	// Absent agents stay logged out; every other agent is logged in and
	// ready for the whole run.
	Absent []string `yaml:"absent"`
	// Start is when the virtual clock starts (RFC 3339); default Monday
	// 2026-03-02 09:00 UTC. Opening hours apply to it.
	Start string `yaml:"start"`
}

// Demand is one agency's traffic.
type Demand struct {
	CallsPerHour    float64 `yaml:"calls_per_hour"`   // Poisson arrivals
	HandleSeconds   float64 `yaml:"handle_seconds"`   // mean talk time, exponential
	PatienceSeconds float64 `yaml:"patience_seconds"` // mean patience, exponential; 0 = never abandons
	WrapupSeconds   float64 `yaml:"wrapup_seconds"`   // after-call work in this run (replaces the queue's)
}

var unknownFieldRE = regexp.MustCompile(`field (\S+) not found in type \S+`)

// DefaultStart is the virtual clock's start when the file names none.
var DefaultStart = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// ParseTraffic reads a traffic file strictly: unknown keys and bad values
// are errors naming the key.
func ParseTraffic(data []byte) (Traffic, error) {
	var t Traffic
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&t); err != nil {
		if errors.Is(err, io.EOF) {
			return t, errors.New("empty file")
		}
		var te *yaml.TypeError
		if errors.As(err, &te) {
			msgs := make([]error, len(te.Errors))
			for i, m := range te.Errors {
				msgs[i] = errors.New(unknownFieldRE.ReplaceAllString(m, `unknown key "$1"`))
			}
			return t, errors.Join(msgs...)
		}
		return t, err
	}
	if len(t.Agencies) == 0 {
		return t, errors.New("agencies: at least one agency is required")
	}
	var errs []error
	for _, id := range slices.Sorted(maps.Keys(t.Agencies)) {
		d := t.Agencies[id]
		if d.CallsPerHour <= 0 {
			errs = append(errs, fmt.Errorf("agencies.%s.calls_per_hour: must be more than 0", id))
		}
		if d.HandleSeconds <= 0 {
			errs = append(errs, fmt.Errorf("agencies.%s.handle_seconds: must be more than 0", id))
		}
		if d.PatienceSeconds < 0 || d.WrapupSeconds < 0 {
			errs = append(errs, fmt.Errorf("agencies.%s: patience_seconds and wrapup_seconds must not be negative", id))
		}
	}
	if t.Start != "" {
		if _, err := time.Parse(time.RFC3339, t.Start); err != nil {
			errs = append(errs, fmt.Errorf("start: %q is not RFC 3339 (2026-03-02T09:00:00+09:00)", t.Start))
		}
	}
	return t, errors.Join(errs...)
}

func (t Traffic) start() time.Time {
	if s, err := time.Parse(time.RFC3339, t.Start); err == nil {
		return s
	}
	return DefaultStart
}
