package sms

import (
	"sync"
	"time"
)

// maxTracked bounds each table; when it is full of live entries new texts
// are refused rather than the memory grown (a flood of calls asking).
const maxTracked = 100_000

// limiter allows one text per call and at most perNumber texts to one
// number within window. It is the callback booking limiter's idea
// (calls/callback_policy.go) with a count instead of one per period: a
// citizen may call twice in an hour, a spammer may not use us as a relay.
type limiter struct {
	perNumber int
	window    time.Duration

	mu      sync.Mutex
	calls   map[string]time.Time   // call id -> when it had its text
	numbers map[string][]time.Time // number -> texts within the window, oldest first
}

func newLimiter(perNumber int, window time.Duration) *limiter {
	return &limiter{perNumber: perNumber, window: window, calls: map[string]time.Time{}, numbers: map[string][]time.Time{}}
}

// take records a text for callID to number at now, or refuses it.
func (l *limiter) take(callID, number string, now time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.calls[callID]; ok {
		return ErrAlreadySent
	}
	recent := l.recent(number, now)
	if len(recent) >= l.perNumber {
		return ErrRateLimited
	}
	if (len(l.calls) >= maxTracked || len(l.numbers) >= maxTracked) && !l.prune(now) {
		return ErrRateLimited
	}
	l.calls[callID] = now
	l.numbers[number] = append(recent, now)
	return nil
}

// recent is number's texts still inside the window.
func (l *limiter) recent(number string, now time.Time) []time.Time {
	ts := l.numbers[number]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= l.window {
		i++
	}
	return ts[i:]
}

// prune drops what left the window; false if the tables are still full.
func (l *limiter) prune(now time.Time) bool {
	for id, t := range l.calls {
		if now.Sub(t) >= l.window {
			delete(l.calls, id)
		}
	}
	for n := range l.numbers {
		if r := l.recent(n, now); len(r) == 0 {
			delete(l.numbers, n)
		} else {
			l.numbers[n] = r
		}
	}
	return len(l.calls) < maxTracked && len(l.numbers) < maxTracked
}
