// Package dashboard is frontdoor's HTTP edge: the JSON API, login tokens and
// roles, server-sent events, /metrics and the embedded pages.
package dashboard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/frontdoor-project/frontdoor/calls"
	"github.com/frontdoor-project/frontdoor/metrics"
)

// Directory answers who may log in and with which role (agents.Directory
// fits through a two-line adapter: Role from Profile.Role).
type Directory interface {
	CheckPassword(id, password string) bool
	Role(id string) (string, bool)
}

// CDRSource lists finished calls, ordered by ended_at (store.Store fits).
type CDRSource interface {
	CDRs(ctx context.Context, since time.Time) ([]CDR, error)
}

// Clock tells the time; tests inject their own.
type Clock interface{ Now() time.Time }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// Config holds the server's dependencies. View and Directory are required;
// a nil CDRs, Identity or Metrics answers its routes with a JSON error.
type Config struct {
	View       calls.View
	Directory  Directory
	CDRs       CDRSource
	Identity   Identity
	OpenID4VP  OpenID4VP // nil: OpenID4VP off
	Metrics    *metrics.Metrics
	AdminToken string // bearer token with role admin; empty disables it
	Logger     *slog.Logger
	Clock      Clock
	Ready      func() error // nil: always ready
	// Heartbeat is the SSE keep-alive interval (default 15 s).
	Heartbeat time.Duration
	// TokenTTL is how long a login token lives (default 12 h).
	TokenTTL time.Duration
	// LoginsPerMinute is each client address's login budget (default 10).
	LoginsPerMinute int
	// PublicPerMinute is each client address's budget for the public
	// identity routes, code lookups and presentations (default 30).
	PublicPerMinute int
	// CodeLookupsPerMinute is the whole node's budget of 6-digit code
	// lookups (default 300): a guesser spread over many addresses gets no
	// more than that together, however few each address sends.
	CodeLookupsPerMinute int
	// Audit records what supervisors do to agents (Kind "supervisor.agent_state");
	// nil: nothing is recorded beyond the log.
	Audit func(ctx context.Context, e AuditEntry) error
	// QueueLogPath is the Asterisk-style queue_log the core writes, offered
	// to supervisors at /api/v1/queue_log; empty: not offered.
	QueueLogPath string
	// Coach rings supervisorID's phone into a call to listen, whisper or
	// barge (calls.Switchboard.CoachCall); nil: coaching not offered.
	Coach func(ctx context.Context, callID, supervisorID, mode string) error
	// Transfer hands a connected call to another agency's queue (blind
	// transfer; calls.Switchboard.TransferCall), on behalf of user by (""
	// for the admin token); nil: not offered.
	Transfer func(ctx context.Context, callID, to, by string) error
	// RecordingsDir holds call recordings, offered to supervisors at
	// /api/v1/recordings/{agency}/{file}; empty: not offered.
	RecordingsDir string
	// LiveInterval is how often the wallboard feed samples the core and
	// sends what changed (default 1 s).
	LiveInterval time.Duration
	// Mount adds routes owned by other edges (pattern -> handler), e.g. the
	// WebRTC signalling socket. They get the same headers and JSON 404/405;
	// a handler that needs a logged-in user asks Server.Principal.
	Mount map[string]http.Handler
}

// Server is the HTTP edge. It is an http.Handler.
type Server struct {
	cfg      Config
	log      *slog.Logger
	clock    Clock
	sessions *sessions
	logins   *clientLimits // login attempts per client address
	backoff  *loginBackoff // wrong passwords per account
	public   *clientLimits // public identity requests per client address
	lookups  *clientLimits // code lookups of the whole node (one key)
	mux      *http.ServeMux
	feed     *feed // the wallboard picture, sampled every LiveInterval

	closing   chan struct{} // closed by CloseStreams
	stopFeed  context.CancelFunc
	closeOnce sync.Once
}

// New checks the config and builds the routes.
func New(cfg Config) (*Server, error) {
	if cfg.View == nil {
		return nil, errors.New("dashboard: config needs a View")
	}
	if cfg.Directory == nil {
		return nil, errors.New("dashboard: config needs a Directory")
	}
	if cfg.AdminToken != "" && len(cfg.AdminToken) < 16 {
		return nil, fmt.Errorf("dashboard: admin token has %d characters, want at least 16", len(cfg.AdminToken))
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = systemClock{}
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = 15 * time.Second
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = 12 * time.Hour
	}
	if cfg.LoginsPerMinute <= 0 {
		cfg.LoginsPerMinute = 10
	}
	if cfg.PublicPerMinute <= 0 {
		cfg.PublicPerMinute = 30
	}
	if cfg.CodeLookupsPerMinute <= 0 {
		cfg.CodeLookupsPerMinute = 300
	}
	if cfg.LiveInterval <= 0 {
		cfg.LiveInterval = time.Second
	}
	s := &Server{
		cfg:      cfg,
		log:      cfg.Logger,
		clock:    cfg.Clock,
		sessions: newSessions(cfg.Clock, cfg.TokenTTL, cfg.AdminToken),
		logins:   newClientLimits(cfg.Clock, cfg.LoginsPerMinute),
		backoff:  newLoginBackoff(cfg.Clock),
		public:   newClientLimits(cfg.Clock, cfg.PublicPerMinute),
		lookups:  newClientLimits(cfg.Clock, cfg.CodeLookupsPerMinute),
		mux:      http.NewServeMux(),
		closing:  make(chan struct{}),
	}
	if err := s.routes(); err != nil {
		return nil, err
	}
	s.feed = newFeed(cfg.View, cfg.Clock, cfg.LiveInterval, cfg.Logger, s.pastHour())
	var feedCtx context.Context
	feedCtx, s.stopFeed = context.WithCancel(context.Background())
	go s.feed.run(feedCtx)
	return s, nil
}

// CloseStreams ends every open event stream and refuses new ones. Register
// it with http.Server.RegisterOnShutdown: Shutdown waits for handlers but
// never cancels them, and an event stream would otherwise hold it until
// its deadline.
func (s *Server) CloseStreams() {
	s.closeOnce.Do(func() {
		close(s.closing)
		s.stopFeed()
	})
}

// routes is the one table of what answers where.
func (s *Server) routes() error {
	m := s.mux
	m.HandleFunc("GET /healthz", s.healthz)
	m.HandleFunc("GET /readyz", s.readyz)
	m.HandleFunc("GET /metrics", s.metrics)

	m.HandleFunc("POST /api/v1/login", s.limited(s.logins, writeError, s.login))
	m.HandleFunc("POST /api/v1/logout", s.authed(roleAgent, s.logout))
	m.HandleFunc("GET /api/v1/queues", s.authed(roleAgent, s.queues))
	m.HandleFunc("GET /api/v1/agents", s.authed(roleAgent, s.agents))
	m.HandleFunc("PUT /api/v1/agents/{id}/state", s.authed(roleAgent, s.setAgentState))
	m.HandleFunc("GET /api/v1/calls", s.authed(roleAgent, s.calls))
	m.HandleFunc("GET /api/v1/cdrs", s.authed(roleSupervisor, s.cdrs))
	m.HandleFunc("GET /api/v1/queue_log", s.authed(roleSupervisor, s.queueLog))
	m.HandleFunc("GET /api/v1/recordings/{agency}/{file}", s.authed(roleSupervisor, s.recording))
	m.HandleFunc("POST /api/v1/calls/{id}/coach", s.authed(roleSupervisor, s.coach))
	m.HandleFunc("POST /api/v1/calls/{id}/transfer", s.authed(roleAgent, s.transfer))
	m.HandleFunc("GET /api/v1/events", s.authed(roleAgent, s.events))

	m.HandleFunc("POST /api/v1/identity/sessions", s.authed(roleAgent, s.newIdentitySession))
	m.HandleFunc("GET /api/v1/identity/codes/{code}",
		s.limited(s.public, writeError, s.nodeLimited(s.lookups, writeError, s.identityByCode)))
	m.HandleFunc("POST /api/v1/identity/sessions/{id}/presentation",
		s.limited(s.public, writePresentationRefusal, s.presentation))
	m.HandleFunc("GET /api/v1/identity/sessions/{id}/request", s.limited(s.public, writeError, s.requestObject))
	m.HandleFunc("GET /api/v1/identity/sessions/{id}/qr.png", s.limited(s.public, writeError, s.walletQR))
	m.HandleFunc("POST /api/v1/identity/sessions/{id}/response", s.limited(s.public, writeWalletError, s.walletResponse))
	m.HandleFunc("GET /api/v1/identity/sessions/{id}/dc-request", s.limited(s.public, writeError, s.dcRequest))
	m.HandleFunc("POST /api/v1/identity/sessions/{id}/dc-response", s.limited(s.public, writeWalletError, s.dcResponse))

	for pattern, h := range s.cfg.Mount {
		m.Handle(pattern, h)
	}
	return s.pageRoutes()
}

// ServeHTTP adds the security headers, turns the mux's own 404 and 405 into
// JSON errors and keeps panics from reaching the client as stack traces.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := s.clock.Now()
	sw := &statusWriter{ResponseWriter: w}
	securityHeaders(sw.Header(), r.URL.Path)
	defer func() {
		if v := recover(); v != nil {
			// net/http uses this panic to abort a response on purpose.
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("http handler panic", "method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
			if sw.status == 0 {
				writeError(sw, http.StatusInternalServerError, "internal", "internal error")
			}
		}
		s.log.Debug("http", "method", r.Method, "path", r.URL.Path, "status", sw.status, "dur", s.clock.Now().Sub(start))
	}()

	// mux.Handler finds the route without filling in path values, so a
	// match is served through the mux itself.
	h, pattern := s.mux.Handler(r)
	if pattern != "" {
		s.mux.ServeHTTP(sw, r)
		return
	}
	// No route: let the mux say what it would (404, 405 with Allow, or a
	// redirect to the clean path) and answer in JSON where it is an error.
	probe := &probeWriter{header: http.Header{}}
	h.ServeHTTP(probe, r)
	switch probe.status {
	case http.StatusNotFound:
		writeError(sw, http.StatusNotFound, "not_found", "no such path: "+r.URL.Path)
	case http.StatusMethodNotAllowed:
		sw.Header().Set("Allow", probe.header.Get("Allow"))
		writeError(sw, http.StatusMethodNotAllowed, "method_not_allowed",
			r.Method+" is not allowed here; allowed: "+probe.header.Get("Allow"))
	default:
		for k, v := range probe.header {
			sw.Header()[k] = v
		}
		sw.WriteHeader(probe.status)
	}
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Ready != nil {
		if err := s.cfg.Ready(); err != nil {
			writeError(w, http.StatusServiceUnavailable, "not_ready", err.Error())
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Metrics == nil {
		writeError(w, http.StatusNotFound, "metrics_disabled", "this server has no metrics")
		return
	}
	s.cfg.Metrics.Handler().ServeHTTP(w, r)
}

// statusWriter remembers the status for the access log and the panic path;
// Unwrap lets http.ResponseController reach Flush and deadlines (SSE).
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// probeWriter records what the mux's fallback handler would answer.
type probeWriter struct {
	header http.Header
	status int
}

func (p *probeWriter) Header() http.Header { return p.header }
func (p *probeWriter) Write(b []byte) (int, error) {
	if p.status == 0 {
		p.status = http.StatusOK
	}
	return len(b), nil
}
func (p *probeWriter) WriteHeader(code int) {
	if p.status == 0 {
		p.status = code
	}
}
