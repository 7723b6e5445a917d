package dashboard

import (
	"sync"
	"time"
)

// Per-account login back-off: after freeFailures wrong passwords in a row an
// account's next login waits backoffBase, doubling with each further failure
// up to backoffMax. A login inside the wait is refused with 429 and
// Retry-After without checking the password, so a guesser spread over many
// addresses (which the per-address limit cannot see) gets a few tries a
// minute per account. Ids that do not exist are counted alike, so the
// answers tell nothing about which ids exist. Success clears the account.
const (
	freeFailures  = 3
	backoffBase   = time.Second
	backoffMax    = 5 * time.Minute
	backoffForget = 15 * time.Minute // an account idle this long starts afresh
	backoffTable  = 100_000          // accounts tracked at most
)

type accountFailures struct {
	fails int
	until time.Time // no login before this
	last  time.Time
}

type loginBackoff struct {
	clock Clock
	mu    sync.Mutex
	accts map[string]*accountFailures
	swept time.Time
}

func newLoginBackoff(clock Clock) *loginBackoff {
	return &loginBackoff{clock: clock, accts: map[string]*accountFailures{}}
}

// wait is how long id must wait before its next login (0: may try now).
func (b *loginBackoff) wait(id string) time.Duration {
	now := b.clock.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	a := b.accts[id]
	if a == nil || !now.Before(a.until) {
		return 0
	}
	return a.until.Sub(now)
}

// failed counts a wrong password for id.
func (b *loginBackoff) failed(id string) {
	now := b.clock.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sweepLocked(now)
	a := b.accts[id]
	if a == nil {
		if len(b.accts) >= backoffTable {
			return // a flood of made-up ids; the per-address limit holds it
		}
		a = &accountFailures{}
		b.accts[id] = a
	}
	a.fails++
	a.last = now
	if n := a.fails - freeFailures; n > 0 {
		d := backoffMax
		if n <= 20 { // 2^20 s is far past the bound
			d = min(backoffBase<<(n-1), backoffMax)
		}
		a.until = now.Add(d)
	}
}

// succeeded clears id's failures.
func (b *loginBackoff) succeeded(id string) {
	b.mu.Lock()
	delete(b.accts, id)
	b.mu.Unlock()
}

// sweepLocked forgets accounts idle for backoffForget, at most once a minute.
func (b *loginBackoff) sweepLocked(now time.Time) {
	if now.Sub(b.swept) < time.Minute {
		return
	}
	b.swept = now
	for id, a := range b.accts {
		if now.Sub(a.last) >= backoffForget && !now.Before(a.until) {
			delete(b.accts, id)
		}
	}
}
