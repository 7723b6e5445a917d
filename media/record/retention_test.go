package record

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestSweeperDeletesOnlyExpiredRecordings: with 30 days of retention on an
// injected clock, recordings last written 31 days ago go (in
// subdirectories too), those written 29 days ago stay, and files that are
// not recordings stay whatever their age.
func TestSweeperDeletesOnlyExpiredRecordings(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	files := map[string]time.Duration{
		"old.wav":         31 * day,
		"tax/old.WAV":     40 * day,
		"tax/recent.wav":  29 * day,
		"fresh.wav":       time.Minute,
		"notes.txt":       400 * day,
		"tax/old.wav.bak": 400 * day,
	}
	for name, age := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, now.Add(-age), now.Add(-age)); err != nil {
			t.Fatal(err)
		}
	}
	s := &Sweeper{Dir: dir, MaxAge: 30 * day, Now: func() time.Time { return now }}
	removed, err := s.Sweep()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "old.wav"), filepath.Join(dir, "tax/old.WAV")}
	slices.Sort(removed)
	if !slices.Equal(removed, want) {
		t.Fatalf("removed %v, want %v", removed, want)
	}
	for name, age := range files {
		_, err := os.Stat(filepath.Join(dir, name))
		if gone := os.IsNotExist(err); gone != slices.Contains(want, filepath.Join(dir, name)) {
			t.Errorf("%s (%v old): gone=%v", name, age, gone)
		}
	}

	// A day later the 29-day one has expired too; Run sweeps at once.
	now = now.Add(2 * day)
	swept := make(chan []string, 1)
	s.OnSweep = func(removed []string, err error) {
		if err != nil {
			t.Error(err)
		}
		select {
		case swept <- removed:
		default:
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { s.Run(ctx, time.Hour); close(ran) }()
	if got := <-swept; !slices.Equal(got, []string{filepath.Join(dir, "tax/recent.wav")}) {
		t.Fatalf("second sweep removed %v", got)
	}
	cancel()
	<-ran
}

func TestSweeperRefusals(t *testing.T) {
	if _, err := (&Sweeper{Dir: t.TempDir()}).Sweep(); err == nil || !strings.Contains(err.Error(), "retention 0s is not positive") {
		t.Errorf("zero retention: %v", err)
	}
	if _, err := (&Sweeper{Dir: filepath.Join(t.TempDir(), "nope"), MaxAge: time.Hour}).Sweep(); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing directory: %v, want not-exist", err)
	}
}
