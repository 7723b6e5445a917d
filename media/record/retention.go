package record

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Sweeper deletes recordings older than a retention period: every file
// whose name ends in ".wav" under Dir (subdirectories included, links not
// followed) whose last modification is more than MaxAge before Now. A
// recording in progress is modified at least every Config.FlushEvery, so
// it is never old enough. Other files are left alone.
type Sweeper struct {
	Dir    string
	MaxAge time.Duration
	// Now is the clock; nil is time.Now.
	Now    func() time.Time
	Logger *slog.Logger
	// OnSweep, if set, is told what each sweep of Run removed (for metrics
	// and the audit log).
	OnSweep func(removed []string, err error)
}

// Sweep deletes the expired recordings once and returns their paths. A
// retention of zero or less is refused (it would delete everything). It
// goes on past a file it cannot delete and returns all such errors joined.
func (s *Sweeper) Sweep() (removed []string, err error) {
	if s.MaxAge <= 0 {
		return nil, fmt.Errorf("sweep recordings in %s: retention %v is not positive", s.Dir, s.MaxAge)
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	cutoff := now().Add(-s.MaxAge)
	var errs []error
	walkErr := filepath.WalkDir(s.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		if !d.Type().IsRegular() || !strings.EqualFold(filepath.Ext(path), ".wav") {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		if !info.ModTime().Before(cutoff) {
			return nil
		}
		if err := os.Remove(path); err != nil {
			errs = append(errs, err)
			return nil
		}
		removed = append(removed, path)
		return nil
	})
	errs = append(errs, walkErr)
	if err := errors.Join(errs...); err != nil {
		return removed, fmt.Errorf("sweep recordings in %s: %w", s.Dir, err)
	}
	return removed, nil
}

// Run sweeps now and then every interval (0 or less: hourly) until ctx
// ends.
func (s *Sweeper) Run(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = time.Hour
	}
	log := s.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		removed, err := s.Sweep()
		if err != nil {
			log.Warn("recording retention sweep", "err", err)
		}
		if len(removed) > 0 {
			log.Info("recordings past retention deleted", "count", len(removed))
		}
		if s.OnSweep != nil {
			s.OnSweep(removed, err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
