package calls

import (
	"sync"
	"time"
)

// callbackNumber is number if it is one (digits, optional +) and the
// destination policy allows calling it back, else "".
func (s *Switchboard) callbackNumber(number string) string {
	n := phoneNumber(number)
	if n == "" || (s.cfg.Callback.Allowed != nil && !s.cfg.Callback.Allowed(n)) {
		return ""
	}
	return n
}

// maxBookings bounds the per-number table; older entries go first.
const maxBookings = 100_000

// bookings remembers when each number last had a callback booked, so one
// number gets at most one booking per period (a toll fraudster's premium
// number booked over and over is refused).
type bookings struct {
	mu   sync.Mutex
	last map[string]time.Time
}

// take records a booking for number at now, or refuses it when the number was
// booked less than period ago. period 0 always allows.
func (b *bookings) take(number string, now time.Time, period time.Duration) bool {
	if period <= 0 {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.last == nil {
		b.last = map[string]time.Time{}
	}
	if t, ok := b.last[number]; ok && now.Sub(t) < period {
		return false
	}
	if len(b.last) >= maxBookings {
		for k, t := range b.last {
			if now.Sub(t) >= period {
				delete(b.last, k)
			}
		}
	}
	if len(b.last) >= maxBookings {
		return false // every entry is recent: a flood of bookings, refuse
	}
	b.last[number] = now
	return true
}
