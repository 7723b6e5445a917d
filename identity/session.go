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
	ID    string `json:"id"`
	Nonce string `json:"nonce"`
	Aud   string `json:"aud"`
	Code  string `json:"code"`
	// Match is two digits the IVR says and a pushed wallet shows, so the
	// citizen accepts only the request of the call they are on.
	Match     string    `json:"match"`
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
	// web marks a session a public web page opened (not the IVR or an
	// authenticated integration); source is that page's client
	// (netaddr.SourceKey), "" for a trusted proxy that has no share.
	web      bool
	source   string
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
	maxWeb      int // live web sessions at most: the rest is kept for phone calls
	perSource   int // live web sessions of one source at most
	maxAttempts int

	mu        sync.Mutex
	byID      map[string]*sessionEntry
	byCode    map[string]*sessionEntry
	lastPurge time.Time
}

// ErrSessionLimit is wrapped by NewSession when a limit on live sessions
// (the node's, the web pages' share, or one source's) refuses another.
var ErrSessionLimit = errors.New("identity session limit")

var errTooManySessions = fmt.Errorf("%w: too many live identity sessions", ErrSessionLimit)

func randomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// live reports whether e can still be answered: only such sessions count
// against the limits, so expired, verified and closed ones free their room.
func (e *sessionEntry) live(now time.Time) bool {
	return (e.state == stateOpen || e.state == stateVerifying) && now.Before(e.ExpiresAt)
}

// admit says which limit, if any, refuses one more session from source.
// It walks the table: creation is rare next to the limits' size, and a
// count kept on the side would have to follow expiry by the clock.
func (s *sessions) admit(now time.Time, web bool, source string) error {
	var live, webLive, fromSource int
	for _, e := range s.byID {
		if !e.live(now) {
			continue
		}
		live++
		if e.web {
			webLive++
			if source != "" && e.source == source {
				fromSource++
			}
		}
	}
	switch {
	case live >= s.maxLive:
		return fmt.Errorf("%w (%d)", errTooManySessions, s.maxLive)
	case web && webLive >= s.maxWeb:
		return fmt.Errorf("%w: the web pages' share of sessions (%d) is in use; phone calls keep the rest", ErrSessionLimit, s.maxWeb)
	case web && source != "" && fromSource >= s.perSource:
		return fmt.Errorf("%w: %d live sessions from %s", ErrSessionLimit, s.perSource, source)
	}
	return nil
}

func (s *sessions) create(callID, aud string, web bool, source string) (Session, error) {
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
	if err := s.admit(now, web, source); err != nil {
		return Session{}, err
	}
	code, err := s.freeCode(now)
	if err != nil {
		return Session{}, err
	}
	m, err := rand.Int(rand.Reader, big.NewInt(90))
	if err != nil {
		return Session{}, fmt.Errorf("random: %w", err)
	}
	e := &sessionEntry{
		Session: Session{ID: id, Nonce: nonce, Aud: aud, Code: code, Match: fmt.Sprint(10 + m.Int64()), ExpiresAt: now.Add(s.ttl), CallID: callID},
		web:     web,
		source:  source,
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
		if e.last != nil && e.last.Code == CodeSessionExpired {
			return e.Session, e.last
		}
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
	// Only a credential a trusted issuer signed is an attempt: garbage
	// posted by whoever guessed the session must not use up the citizen's
	// tries (the public routes' rate limits bound the garbage instead).
	if r == nil || !unsigned(r.Code) {
		e.attempts++
	}
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

// unsigned reports whether a refusal came before the issuer's signature
// was verified, so anyone could have sent it.
func unsigned(code string) bool {
	switch code {
	case CodeMalformed, CodeBadTyp, CodeBadAlg, CodeUnknownIssuer, CodeBadSignature:
		return true
	}
	return false
}

// close ends a session nobody will wait for any more (its call or page
// ended): it stops counting against the limits and takes no presentation.
func (s *sessions) close(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.byID[id]
	if !ok || (e.state != stateOpen && e.state != stateVerifying) {
		return
	}
	e.state = stateClosed
	e.last = refuse(CodeSessionExpired, "the session ended with its call or page")
	close(e.done)
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
