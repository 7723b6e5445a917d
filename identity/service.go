package identity

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/frontdoor-project/frontdoor/identity/statuslist"
)

// Claims are the verified claims kept with a call: only the configured
// names, as strings (birthdate exactly as the issuer wrote it).
type Claims map[string]string

// DefaultClaims are kept when ServiceConfig.Claims is empty.
var DefaultClaims = []string{"given_name", "family_name", "birthdate"}

// DefaultVCTs are the accepted credential types when ServiceConfig.VCTs is
// empty: the EU PID type that fdwallet issues.
var DefaultVCTs = []string{"urn:eudi:pid:1"}

// Verification methods, for audit records and metrics.
const (
	MethodPhoneCode = "phone-code"
	MethodWeb       = "web"
	MethodPush      = "push"
	// Presentations answering an OpenID4VP request, by credential format.
	MethodOpenID4VPSDJWT = "openid4vp-sdjwt"
	MethodOpenID4VPMdoc  = "openid4vp-mdoc"
	// The same over the W3C Digital Credentials API (the browser's wallet
	// picker, OpenID4VP 1.0 Appendix A).
	MethodDCAPISDJWT = "dcapi-sdjwt"
	MethodDCAPIMdoc  = "dcapi-mdoc"
)

// Methods are every verification method, so metrics can show each series
// at zero from start-up.
var Methods = []string{MethodPhoneCode, MethodWeb, MethodPush, MethodOpenID4VPSDJWT, MethodOpenID4VPMdoc,
	MethodDCAPISDJWT, MethodDCAPIMdoc}

// ResultVerified is the Observe result of an accepted presentation; refused
// ones report their refusal code.
const ResultVerified = "verified"

// AuditEntry records one presentation attempt. It never holds the
// presentation or claim values.
type AuditEntry struct {
	Time      time.Time
	SessionID string
	CallID    string
	Method    string
	Result    string // "verified" or "refused"
	Reason    string // refusal code; empty when verified
	Detail    string
	Issuer    string
	Digest    string // hex SHA-256 of the issuer-signed JWT
}

// ServiceConfig configures a Service.
type ServiceConfig struct {
	VerifierID string // the KB-JWT aud
	Issuers    []IssuerKeys
	Claims     []string // kept claims; empty: DefaultClaims
	VCTs       []string // accepted credential types; empty: DefaultVCTs
	TTL        time.Duration
	// MaxAttempts is how many refused presentations a session takes before
	// it closes (default 5); retries let a citizen fix a wrong disclosure.
	MaxAttempts int
	// MaxSessions bounds the live sessions (default 10000).
	MaxSessions int
	// WebSessions bounds the live sessions web pages open (made
	// WithSource); the rest of MaxSessions is kept for phone calls.
	// Default: 80 % of MaxSessions.
	WebSessions int
	// SessionsPerSource bounds one source's live web sessions (default 10).
	SessionsPerSource int
	Clock             func() time.Time
	HTTPClient        *http.Client // status lists and push; nil: 5 s timeout client
	StatusListAllowed []string     // URL prefixes status lists may be fetched from
	StatusListTTL     time.Duration
	Push              *PushConfig
	Audit             func(AuditEntry)
	Observe           func(method, result string)
	Logger            *slog.Logger
}

// DefaultTTL is a session's lifetime.
const DefaultTTL = 5 * time.Minute

// Service runs verification sessions. It is safe for concurrent use.
type Service struct {
	verifier *Verifier
	sessions *sessions
	aud      string
	claims   []string
	push     *pusher
	audit    func(AuditEntry)
	observe  func(method, result string)
	log      *slog.Logger
	clock    func() time.Time
}

// NewService checks cfg and builds a Service.
func NewService(cfg ServiceConfig) (*Service, error) {
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = 10000
	}
	if cfg.WebSessions <= 0 || cfg.WebSessions > cfg.MaxSessions {
		cfg.WebSessions = cfg.MaxSessions * 8 / 10
	}
	if cfg.SessionsPerSource <= 0 {
		cfg.SessionsPerSource = 10
	}
	if len(cfg.Claims) == 0 {
		cfg.Claims = DefaultClaims
	}
	if len(cfg.VCTs) == 0 {
		// A trusted issuer may issue many credential types (a library card
		// as well as the ID); only an identity credential says who calls.
		cfg.VCTs = DefaultVCTs
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 5 * time.Second}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	fetcher, err := statuslist.NewFetcher(statuslist.FetcherConfig{
		Client: cfg.HTTPClient, Allowed: cfg.StatusListAllowed, Clock: cfg.Clock, TTL: cfg.StatusListTTL,
	})
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	v, err := NewVerifier(VerifierConfig{Audience: cfg.VerifierID, Issuers: cfg.Issuers, VCTs: cfg.VCTs, Clock: cfg.Clock, Status: fetcher})
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	s := &Service{
		verifier: v,
		sessions: &sessions{ttl: cfg.TTL, clock: cfg.Clock, maxLive: cfg.MaxSessions, maxAttempts: cfg.MaxAttempts,
			maxWeb: cfg.WebSessions, perSource: cfg.SessionsPerSource,
			byID: map[string]*sessionEntry{}, byCode: map[string]*sessionEntry{}},
		aud:     cfg.VerifierID,
		claims:  append([]string(nil), cfg.Claims...),
		audit:   cfg.Audit,
		observe: cfg.Observe,
		log:     cfg.Logger,
		clock:   cfg.Clock,
	}
	if cfg.Push != nil && cfg.Push.URL != "" {
		s.push = &pusher{url: cfg.Push.URL, client: cfg.HTTPClient, log: cfg.Logger}
	}
	return s, nil
}

// ClaimNames are the claims a wallet is asked to disclose.
func (s *Service) ClaimNames() []string { return append([]string(nil), s.claims...) }

// SessionOption adjusts NewSession.
type SessionOption func(*sessionOptions)

type sessionOptions struct {
	source string
	web    bool
}

// WithSource marks a session a public web page opened for a client (its
// netaddr.SourceKey): such sessions share a bounded part of the node's,
// and one source may hold only a few live at once. key "" (a trusted
// proxy passing many citizens) has no per-source share.
func WithSource(key string) SessionOption {
	return func(o *sessionOptions) { o.web, o.source = true, key }
}

// NewSession opens a verification session for a call (callID may be empty
// for a web session).
func (s *Service) NewSession(callID string, opts ...SessionOption) (Session, error) {
	var o sessionOptions
	for _, opt := range opts {
		opt(&o)
	}
	sess, err := s.sessions.create(callID, s.aud, o.web, o.source)
	if err != nil {
		return Session{}, fmt.Errorf("identity: new session: %w", err)
	}
	return sess, nil
}

// Push offers a phone caller's session to the wallet app registered for
// number, through the configured webhook (none: nothing happens), with the
// wallet link and the match number the IVR says. number must be one the
// network asserted (a trusted trunk's P-Asserted-Identity): a From the
// caller typed would wake a stranger's wallet for the caller's call.
func (s *Service) Push(sess Session, number, walletURL string) {
	if s.push != nil && number != "" {
		s.push.send(sess, number, walletURL)
	}
}

// Pushes reports whether a push webhook is configured.
func (s *Service) Pushes() bool { return s.push != nil }

// Close ends a session whose call or page is gone; a later presentation
// hears session_expired. Closing a verified or ended session does nothing.
func (s *Service) Close(sessionID string) { s.sessions.close(sessionID) }

// ByCode finds the live, unanswered session a code was read out for.
func (s *Service) ByCode(code string) (Session, bool) {
	return s.sessions.byCodeLive(code)
}

// Verifier is the SD-JWT VC verifier the service checks presentations
// with, for channels (OpenID4VP) that unwrap the presentation themselves.
func (s *Service) Verifier() *Verifier { return s.verifier }

// Session returns a known session (live or recently expired).
func (s *Service) Session(id string) (Session, bool) { return s.sessions.get(id) }

// Present verifies a presentation for a session. method is one of the
// Method constants (it labels audit and metrics). The error is a *Refusal.
func (s *Service) Present(ctx context.Context, sessionID string, presentation []byte, method string) (Claims, error) {
	return s.PresentFunc(sessionID, method, credentialDigest(presentation), func(sess Session) (Verified, error) {
		return s.verifier.Verify(ctx, presentation, sess.Nonce)
	})
}

// PresentFunc runs verify as the check of a session's presentation, with
// the session bookkeeping, audit and metrics of Present: channels that
// carry a presentation in an envelope (OpenID4VP) unwrap and check it in
// verify, and their verdict wakes Wait exactly like a direct presentation.
// digest labels the audit entry when the session refuses before verify
// runs. A non-Refusal error from verify is recorded as malformed.
func (s *Service) PresentFunc(sessionID, method, digest string, verify func(Session) (Verified, error)) (Claims, error) {
	sess, r := s.sessions.begin(sessionID)
	if r != nil {
		// The digest (of what was sent, unverified) lets an auditor tie a
		// replay to the credential that was verified before.
		s.record(sess, method, Verified{Digest: digest}, r)
		return nil, r
	}
	got, err := verify(sess)
	if err != nil {
		r, ok := AsRefusal(err)
		if !ok {
			r = refuse(CodeMalformed, "%v", err)
		}
		s.sessions.finish(sessionID, nil, r)
		s.record(sess, method, got, r)
		return nil, r
	}
	claims := s.keep(got.Claims)
	if missing := s.missing(claims); len(missing) > 0 {
		// "verified" with nothing disclosed would tell the agent nothing:
		// the call is verified only as the people the configured claims name.
		r := refuse(CodeMissingClaims, "the presentation does not disclose %s", strings.Join(missing, ", "))
		s.sessions.finish(sessionID, nil, r)
		s.record(sess, method, got, r)
		return nil, r
	}
	s.sessions.finish(sessionID, claims, nil)
	s.record(sess, method, got, nil)
	return claims, nil
}

// missing names the configured claims that kept has no value for.
func (s *Service) missing(kept Claims) []string {
	var out []string
	for _, name := range s.claims {
		if kept[name] == "" {
			out = append(out, name)
		}
	}
	return out
}

// keep copies the configured claims, as strings; objects and arrays are
// left out because a call record holds flat values.
func (s *Service) keep(all map[string]any) Claims {
	out := Claims{}
	for _, name := range s.claims {
		switch v := all[name].(type) {
		case string:
			out[name] = v
		case float64:
			out[name] = strconv.FormatFloat(v, 'f', -1, 64)
		case bool:
			out[name] = strconv.FormatBool(v)
		}
	}
	return out
}

func (s *Service) record(sess Session, method string, got Verified, r *Refusal) {
	e := AuditEntry{Time: s.clock(), SessionID: sess.ID, CallID: sess.CallID, Method: method,
		Result: ResultVerified, Issuer: got.Issuer, Digest: got.Digest}
	result := ResultVerified
	if r != nil {
		e.Result, e.Reason, e.Detail = "refused", r.Code, r.Detail
		result = r.Code
	}
	s.log.Info("identity presentation", "session", sess.ID, "call", sess.CallID, "method", method,
		"result", e.Result, "reason", e.Reason, "issuer", e.Issuer, "digest", e.Digest)
	if s.audit != nil {
		s.audit(e)
	}
	if s.observe != nil {
		s.observe(method, result)
	}
}

// Wait blocks until the session holds a verified presentation (its claims
// are returned), or ends without one: expired (session_expired), closed
// after too many refusals (the last refusal), or ctx done. Refused
// attempts do not end the wait: the citizen may try again.
func (s *Service) Wait(ctx context.Context, sessionID string) (Claims, error) {
	for {
		e, claims, err, finished := s.sessions.outcome(sessionID)
		if finished {
			return claims, err
		}
		timer := time.NewTimer(e.ExpiresAt.Sub(s.clock()))
		select {
		case <-e.done:
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return nil, fmt.Errorf("identity: waiting for session %s: %w", sessionID, ctx.Err())
		}
		timer.Stop()
	}
}
