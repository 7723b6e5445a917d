package sip

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	sipmsg "github.com/emiago/sipgo/sip"
)

// maxTrackedNonces bounds the replay table. Only nonces answered with a correct
// digest are recorded, so a scanner cannot fill it; beyond the bound the oldest
// half is dropped (their nonces can then no longer be answered at all: see use).
const maxTrackedNonces = 100_000

var (
	errNonceReplay = errors.New("nonce count not above the last one seen (replay)")
	errNCInvalid   = errors.New("nonce count is not 8 hex digits")
)

// replays remembers, per nonce, the highest nonce count (nc) a correct digest
// carried: a captured Authorization replayed as it is (same nonce, same nc) is
// refused, and so is any lower nc. Entries die with their nonce (nonceLife).
type replays struct {
	mu     sync.Mutex
	now    func() time.Time
	high   map[string]uint64
	issued map[string]time.Time
	floor  time.Time // nonces issued before this are refused (table was trimmed)
}

func newReplays(now func() time.Time) *replays {
	return &replays{now: now, high: map[string]uint64{}, issued: map[string]time.Time{}}
}

// use records nc for nonce (already checked as ours and fresh) and fails if it
// is not above the highest seen before.
func (r *replays) use(nonce, nc string) error {
	if len(nc) != 8 {
		return errNCInvalid
	}
	n, err := strconv.ParseUint(nc, 16, 32)
	if err != nil || n == 0 {
		return errNCInvalid
	}
	issued := nonceIssued(nonce)
	r.mu.Lock()
	defer r.mu.Unlock()
	if issued.Before(r.floor) {
		return errNonceReplay
	}
	if last, ok := r.high[nonce]; ok && n <= last {
		return errNonceReplay
	}
	if _, ok := r.high[nonce]; !ok && len(r.high) >= maxTrackedNonces {
		r.trim()
	}
	r.high[nonce] = n
	r.issued[nonce] = issued
	return nil
}

// trim drops expired nonces, and if that is not enough the older half, raising
// the floor so that what was dropped cannot be replayed.
func (r *replays) trim() {
	cut := r.now().Add(-nonceLife)
	if len(r.high) >= maxTrackedNonces {
		var times []time.Time
		for _, t := range r.issued {
			times = append(times, t)
		}
		// The median issue time, approximately: the mean of min and max.
		lo, hi := times[0], times[0]
		for _, t := range times {
			if t.Before(lo) {
				lo = t
			}
			if t.After(hi) {
				hi = t
			}
		}
		if mid := lo.Add(hi.Sub(lo) / 2); mid.After(cut) {
			cut = mid
		}
	}
	for k, t := range r.issued {
		if !t.After(cut) {
			delete(r.issued, k)
			delete(r.high, k)
		}
	}
	if cut.After(r.floor) {
		r.floor = cut.Add(time.Second)
	}
}

// sweep forgets expired nonces (called from the edge's sweep).
func (r *replays) sweep() {
	cut := r.now().Add(-nonceLife - time.Minute)
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, t := range r.issued {
		if t.Before(cut) {
			delete(r.issued, k)
			delete(r.high, k)
		}
	}
}

// nonceIssued reads the timestamp of one of our nonces (Nonces.Issue).
func nonceIssued(nonce string) time.Time {
	raw, err := base64.RawURLEncoding.DecodeString(nonce)
	if err != nil || len(raw) < 8 {
		return time.Time{}
	}
	return time.Unix(int64(binary.BigEndian.Uint64(raw[:8])), 0)
}

// digestURIMatches tells whether a digest's uri names the request's Request-URI
// (RFC 3261 §22.4: they must be equal), so credentials captured for one request
// cannot be sent with another. Equal as text, or as SIP URIs: same scheme, user,
// host (case-insensitive) and port (the scheme's default when absent).
func digestURIMatches(uri string, req *sipmsg.Request) bool {
	if uri == req.Recipient.String() {
		return true
	}
	var u sipmsg.Uri
	if err := sipmsg.ParseUri(uri, &u); err != nil {
		return false
	}
	r := req.Recipient
	return strings.EqualFold(u.Scheme, r.Scheme) && u.User == r.User && strings.EqualFold(u.Host, r.Host) &&
		portOr(u) == portOr(r)
}

func portOr(u sipmsg.Uri) int {
	if u.Port != 0 {
		return u.Port
	}
	if strings.EqualFold(u.Scheme, "sips") {
		return 5061
	}
	return 5060
}
