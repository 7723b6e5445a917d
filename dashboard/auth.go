package dashboard

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Roles, weakest first: a role may do everything a weaker one may.
const (
	roleAgent      = "agent"
	roleSupervisor = "supervisor"
	roleAdmin      = "admin"
)

var roleRank = map[string]int{roleAgent: 1, roleSupervisor: 2, roleAdmin: 3}

// sessionCookie carries the login token for the browser's EventSource, which
// cannot send an Authorization header. It is HttpOnly and SameSite=Strict,
// and it is honoured for GET requests only: anything that changes state
// needs the bearer header, so a forged cross-site request has nothing to ride on.
const sessionCookie = "fd_session"

// principal is who a request acts as.
type principal struct {
	ID      string // agent id; empty for the admin token
	Role    string
	Token   string
	Expires time.Time
}

func (p principal) atLeast(role string) bool { return roleRank[p.Role] >= roleRank[role] }

// sessions holds login tokens in memory: a restart logs everyone out, which
// is what an operator expects of a process restart.
type sessions struct {
	clock      Clock
	ttl        time.Duration
	adminToken []byte

	mu     sync.Mutex
	tokens map[string]principal
	swept  time.Time
}

func newSessions(clock Clock, ttl time.Duration, adminToken string) *sessions {
	s := &sessions{clock: clock, ttl: ttl, tokens: map[string]principal{}}
	if adminToken != "" {
		s.adminToken = []byte(adminToken)
	}
	return s
}

// issue makes a random 256-bit token for id.
func (s *sessions) issue(id, role string) principal {
	var raw [32]byte
	_, _ = rand.Read(raw[:]) // crypto/rand.Read never fails (Go 1.24+)
	now := s.clock.Now()
	p := principal{ID: id, Role: role, Token: base64.RawURLEncoding.EncodeToString(raw[:]), Expires: now.Add(s.ttl)}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked(now)
	s.tokens[p.Token] = p
	return p
}

func (s *sessions) lookup(token string) (principal, bool) {
	if s.adminToken != nil && subtle.ConstantTimeCompare([]byte(token), s.adminToken) == 1 {
		return principal{Role: roleAdmin}, true
	}
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.tokens[token]
	if !ok {
		return principal{}, false
	}
	if !now.Before(p.Expires) {
		delete(s.tokens, token)
		return principal{}, false
	}
	return p, true
}

func (s *sessions) revoke(token string) {
	s.mu.Lock()
	delete(s.tokens, token)
	s.mu.Unlock()
}

// sweepLocked drops expired tokens at most once a minute, so abandoned
// logins cannot pile up.
func (s *sessions) sweepLocked(now time.Time) {
	if now.Sub(s.swept) < time.Minute {
		return
	}
	s.swept = now
	for t, p := range s.tokens {
		if !now.Before(p.Expires) {
			delete(s.tokens, t)
		}
	}
}

type principalKey struct{}

func principalFrom(ctx context.Context) principal {
	p, _ := ctx.Value(principalKey{}).(principal)
	return p
}

// authed wraps a handler that needs a principal of at least role.
func (s *Server) authed(role string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, ok := requestToken(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="frontdoor"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", "log in and send Authorization: Bearer <token>")
			return
		}
		p, ok := s.sessions.lookup(token)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="frontdoor", error="invalid_token"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", "token is unknown or expired")
			return
		}
		if !p.atLeast(role) {
			writeError(w, http.StatusForbidden, "forbidden", "this needs the "+role+" role or higher")
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	}
}

// Principal tells who a request acts as (bearer token, or for GET the session
// cookie): the agent id ("" for the admin token) and role. Mounted handlers
// (the softphone's WebSocket) use it to authenticate with the same logins.
func (s *Server) Principal(r *http.Request) (id, role string, ok bool) {
	token, ok := requestToken(r)
	if !ok {
		return "", "", false
	}
	p, ok := s.sessions.lookup(token)
	if !ok {
		return "", "", false
	}
	return p.ID, p.Role, true
}

// requestToken takes the bearer token, or for GET the session cookie.
func requestToken(r *http.Request) (string, bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			return "", false
		}
		return strings.TrimSpace(token), true
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
			return c.Value, true
		}
	}
	return "", false
}

type loginRequest struct {
	ID       string `json:"id"`
	Password string `json:"password"`
}

type loginResponse struct {
	Token     string    `json:"token"`
	Role      string    `json:"role"`
	ID        string    `json:"id"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if err := decodeJSON(w, r, &req, false); err != nil {
		err.write(w)
		return
	}
	if wait := s.backoff.wait(req.ID); wait > 0 {
		secs := int(math.Ceil(wait.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		s.log.Warn("login backed off", "id", req.ID, "remote", r.RemoteAddr, "retry_after_s", secs)
		writeError(w, http.StatusTooManyRequests, "login_backoff",
			"too many wrong passwords for this account; retry in "+strconv.Itoa(secs)+" s")
		return
	}
	// The directory spends the same effort on an unknown id as on a wrong
	// password; both answers are the same here too.
	if req.ID == "" || !s.cfg.Directory.CheckPassword(req.ID, req.Password) {
		s.backoff.failed(req.ID)
		s.log.Info("login refused", "id", req.ID, "remote", r.RemoteAddr)
		writeError(w, http.StatusUnauthorized, "unauthorized", "wrong id or password")
		return
	}
	s.backoff.succeeded(req.ID)
	role, ok := s.cfg.Directory.Role(req.ID)
	if _, known := roleRank[role]; !ok || !known {
		s.log.Error("login: agent has no usable role", "id", req.ID, "role", role)
		writeError(w, http.StatusUnauthorized, "unauthorized", "wrong id or password")
		return
	}
	p := s.sessions.issue(req.ID, role)
	http.SetCookie(w, &http.Cookie{
		// MaxAge, not Expires: the browser's clock need not agree with ours.
		Name: sessionCookie, Value: p.Token, Path: "/", MaxAge: int(s.cfg.TokenTTL / time.Second),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
	s.log.Info("login", "id", p.ID, "role", p.Role)
	writeJSON(w, http.StatusOK, loginResponse{Token: p.Token, Role: p.Role, ID: p.ID, ExpiresAt: p.Expires.UTC()})
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	s.sessions.revoke(principalFrom(r.Context()).Token)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	w.WriteHeader(http.StatusNoContent)
}
