package identity

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"time"
)

// Session is one verification request: a wallet answers it by presenting a
// credential bound to Nonce and Aud. Code is what the IVR reads out so a
// wallet on another device can find the session.
type Session struct {
	ID        string    `json:"id"`
	Nonce     string    `json:"nonce"`
	Aud       string    `json:"aud"`
	Code      string    `json:"code"`
	ExpiresAt time.Time `json:"expires_at"`
	CallID    string    `json:"call_id,omitempty"`
}

// sessionState is where a session is in its life. Transitions:
//
//	open      -> verifying (a presentation is being checked)
//	verifying -> verified  (it passed: the nonce is spent)
//	verifying -> open      (it was refused; the caller may try again)
//	verifying -> closed    (refused, and the attempts are used up)
//
// Expiry is not a state: it is read from the clock, so a session expires
// even when nobody touches it.
type sessionState int

const (
	stateOpen sessionState = iota
	stateVerifying
	stateVerified
	stateClosed
)

type sessionEntry struct {
	Session
	state    sessionState
	attempts int
	claims   Claims
	last     *Refusal
	done     chan struct{} // closed on verified or closed
}

// sessions holds the live sessions, by id and by code.
type sessions struct {
	ttl         time.Duration
	clock       func() time.Time
	maxLive     int
	maxAttempts int

	mu        sync.Mutex
	byID      map[string]*sessionEntry
	byCode    map[string]*sessionEntry
	lastPurge time.Time
}

var errTooManySessions = errors.New("too many live identity sessions")

func randomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func (s *sessions) create(callID, aud string) (Session, error) {
	id, err := randomToken(16)
	if err != nil {
		return Session{}, err
	}
	nonce, err := randomToken(32) // 256 bits
	if err != nil {
		return Session{}, err
	}
	now := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.purge(now)
	if len(s.byID) >= s.maxLive {
		return Session{}, fmt.Errorf("%w (%d)", errTooManySessions, s.maxLive)
	}
	code, err := s.freeCode(now)
	if err != nil {
		return Session{}, err
	}
	e := &sessionEntry{
		Session: Session{ID: id, Nonce: nonce, Aud: aud, Code: code, ExpiresAt: now.Add(s.ttl), CallID: callID},
		done:    make(chan struct{}),
	}
	s.byID[id] = e
	s.byCode[code] = e
	return e.Session, nil
}

// freeCode draws six random digits not used by a live session. A code of an
// expired session may be reused: its entry stays reachable by id only.
func (s *sessions) freeCode(now time.Time) (string, error) {
	for i := 0; i < 64; i++ {
		n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
		if err != nil {
			return "", fmt.Errorf("random: %w", err)
		}
		code := fmt.Sprintf("%06d", n.Int64())
		if old, taken := s.byCode[code]; taken && now.Before(old.ExpiresAt) {
			continue
		}
		return code, nil
	}
	return "", errors.New("no free session code")
}

// purge forgets sessions that expired more than a TTL ago; until then they
// are kept so a late presentation hears session_expired, not unknown_session.
func (s *sessions) purge(now time.Time) {
	if now.Sub(s.lastPurge) < s.ttl/4 {
		return
	}
	s.lastPurge = now
	for id, e := range s.byID {
		if now.After(e.ExpiresAt.Add(s.ttl)) {
			delete(s.byID, id)
			if s.byCode[e.Code] == e {
				delete(s.byCode, e.Code)
			}
		}
	}
}

func (s *sessions) get(id string) (Session, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.byID[id]
	if !ok {
		return Session{}, false
	}
	return e.Session, true
}

func (s *sessions) byCodeLive(code string) (Session, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.byCode[code]
	if !ok || !s.clock().Before(e.ExpiresAt) || e.state == stateVerified || e.state == stateClosed {
		return Session{}, false
	}
	return e.Session, true
}

// begin moves a session to verifying, or says why it cannot take a
// presentation. The Session is returned even on refusal when it is known.
func (s *sessions) begin(id string) (Session, *Refusal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.byID[id]
	if !ok {
		return Session{}, refuse(CodeUnknownSession, "no identity session %q", id)
	}
	switch e.state {
	case stateVerified:
		return e.Session, refuse(CodeReplayed, "the session's nonce was already used by a verified presentation")
	case stateClosed:
		return e.Session, refuse(CodeReplayed, "the session was closed after %d refused presentations", e.attempts)
	case stateVerifying:
		return e.Session, refuse(CodeReplayed, "another presentation to this session is being verified")
	}
	if !s.clock().Before(e.ExpiresAt) {
		return e.Session, refuse(CodeSessionExpired, "session expired at %s", e.ExpiresAt.UTC().Format(time.RFC3339))
	}
	e.state = stateVerifying
	return e.Session, nil
}

// finish ends a verifying session with claims (verified) or a refusal.
func (s *sessions) finish(id string, claims Claims, r *Refusal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.byID[id]
	if !ok || e.state != stateVerifying {
		return
	}
	e.attempts++
	switch {
	case r == nil:
		e.state, e.claims = stateVerified, claims
		close(e.done)
	case e.attempts >= s.maxAttempts:
		e.state, e.last = stateClosed, r
		close(e.done)
	default:
		e.state, e.last = stateOpen, r
	}
}

// outcome reads a session for Wait: finished reports whether Wait can return.
func (s *sessions) outcome(id string) (e *sessionEntry, claims Claims, err error, finished bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.byID[id]
	if !ok {
		return nil, nil, refuse(CodeUnknownSession, "no identity session %q", id), true
	}
	switch e.state {
	case stateVerified:
		return e, e.claims, nil, true
	case stateClosed:
		return e, nil, e.last, true
	}
	if !s.clock().Before(e.ExpiresAt) {
		return e, nil, refuse(CodeSessionExpired, "session expired at %s", e.ExpiresAt.UTC().Format(time.RFC3339)), true
	}
	return e, nil, nil, false
}
