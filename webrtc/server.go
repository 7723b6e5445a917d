package webrtc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/coder/websocket"
	pion "github.com/pion/webrtc/v4"

	"github.com/frontdoor-project/frontdoor/calls"
	"github.com/frontdoor-project/frontdoor/media"
)

// Switchboard is what the browser edge needs of the call path
// (*calls.Switchboard).
type Switchboard interface {
	calls.View
	Admit() error
	Start(id string, in calls.Inbound) *calls.Call
	AgentOnline(agentID string)
	AgentOffline(agentID string)
	// QueuePosition is a waiting call's place and the ACD's estimated wait.
	QueuePosition(callID string) (pos int, ewt time.Duration, known, ok bool)
}

// Identity opens digital-ID sessions for the caller page and waits for the
// citizen's wallet to answer them through the public HTTP routes.
type Identity interface {
	Open(ctx context.Context) (Verification, error)
	// Wait returns the verified claims, or an error when ctx ends or the
	// session expires.
	Wait(ctx context.Context, sessionID string) (map[string]string, error)
}

type sourceKey struct{}

// Source is the client a caller page's request came from, as its socket
// budget counts it (netaddr.SourceKey; "" for a trusted proxy), for
// contexts Identity.Open is given: per-source limits on what a page opens.
func Source(ctx context.Context) string {
	s, _ := ctx.Value(sourceKey{}).(string)
	return s
}

// Verification is an open digital-ID session as the page shows it.
type Verification struct {
	ID, Code  string
	ExpiresAt time.Time
	// RequestURI and WalletURL start an OpenID4VP exchange (a wallet on
	// this device or a QR code for one on another); empty when OpenID4VP is
	// off, leaving the code as the only way.
	RequestURI, WalletURL string
}

// Agency is one agency as the pages show it.
type Agency struct {
	ID, Name, Digit string
	Wrapup          time.Duration // after-call work, for the softphone's countdown
}

// Config wires the browser edge. Switchboard and Principal are required.
type Config struct {
	Switchboard Switchboard
	// Principal tells who a request acts as (dashboard.Server.Principal).
	Principal func(r *http.Request) (id, role string, ok bool)
	Identity  Identity // nil: the caller page offers no digital ID
	Number    string   // the front-door number web calls count as dialled
	Agencies  []Agency // in menu order
	Peer      PeerConfig
	// Grace is how long a softphone may be gone (a reload) before its agent
	// is logged out; default 10 s.
	Grace time.Duration
	// HoldMusic plays into an endpoint until ctx ends (calls.Audio.Loop with
	// "hold"); nil: a held caller hears silence.
	HoldMusic func(ctx context.Context, ep media.Endpoint) error
	Stats     *media.Stats // shared RTP counters; may be nil
	// MaxCallerSockets bounds the caller pages' sockets open at once; beyond
	// it a caller page gets 503. Default DefaultMaxCallerSockets.
	MaxCallerSockets int
	// CallerSocketsPerSource bounds them per source (an IPv4 address, an
	// IPv6 /64; netaddr.SourceKey); beyond it 429. Default
	// DefaultCallerSocketsPer; negative: no per-source bound.
	CallerSocketsPerSource int
	// MaxAgentSockets bounds the softphones' sockets, a budget of their
	// own so caller pages never lock agents out. Default
	// DefaultMaxAgentSockets.
	MaxAgentSockets int
	// AgentSocketsPerAgent bounds one agent's softphone sockets (tabs);
	// beyond it 429. Default DefaultAgentSocketsPer.
	AgentSocketsPerAgent int
	// Trusted sources (a local proxy) have no per-source share.
	Trusted []netip.Prefix
	Logger  *slog.Logger
}

// Server is the browser edge: the signalling sockets of both pages and the
// dialer that rings browser agents.
type Server struct {
	cfg      Config
	log      *slog.Logger
	api      *pion.API
	agencies map[string]Agency

	mu          sync.Mutex
	agents      map[string]*agentLine // by agent id
	sockets     map[*socket]struct{}
	callers     *budget // caller pages' sockets
	agentBudget *budget // softphones' sockets
	closed      bool
}

// setDefault sets *v to def when it is 0.
func setDefault(v *int, def int) {
	if *v == 0 {
		*v = def
	}
}

// New builds the edge.
func New(cfg Config) (*Server, error) {
	if cfg.Switchboard == nil || cfg.Principal == nil {
		return nil, errors.New("webrtc: config needs a Switchboard and a Principal")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Grace <= 0 {
		cfg.Grace = 10 * time.Second
	}
	setDefault(&cfg.MaxCallerSockets, DefaultMaxCallerSockets)
	setDefault(&cfg.CallerSocketsPerSource, DefaultCallerSocketsPer)
	setDefault(&cfg.MaxAgentSockets, DefaultMaxAgentSockets)
	setDefault(&cfg.AgentSocketsPerAgent, DefaultAgentSocketsPer)
	mux, err := sharedMux(cfg.Peer)
	if err != nil {
		return nil, err
	}
	cfg.Peer.mux = mux
	api, err := newAPI(cfg.Peer)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Logger, api: api, agencies: map[string]Agency{},
		agents: map[string]*agentLine{}, sockets: map[*socket]struct{}{},
		callers:     newBudget(cfg.MaxCallerSockets, max(cfg.CallerSocketsPerSource, 0)),
		agentBudget: newBudget(cfg.MaxAgentSockets, cfg.AgentSocketsPerAgent)}
	for _, a := range cfg.Agencies {
		s.agencies[a.ID] = a
	}
	return s, nil
}

// Routes are the handlers to mount on the HTTP edge (dashboard.Config.Mount).
func (s *Server) Routes() map[string]http.Handler {
	return map[string]http.Handler{
		"GET /api/v1/ws/call":  http.HandlerFunc(s.serveCaller),
		"GET /api/v1/ws/agent": http.HandlerFunc(s.serveAgent),
	}
}

// Close ends every signalling socket (and with them the browser legs not in
// a call) and refuses new ones. Register it with http.Server.RegisterOnShutdown:
// hijacked connections are not the http.Server's to close.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	list := make([]*socket, 0, len(s.sockets))
	for so := range s.sockets {
		list = append(list, so)
	}
	s.mu.Unlock()
	for _, so := range list {
		so.close(websocket.StatusGoingAway, "server shutting down")
	}
}

func (s *Server) newLeg() (*Leg, error) { return newLeg(s.api, s.log, s.cfg.Stats) }

// socket is one page's signalling connection. Writes are serialised; reads
// happen on the handler's goroutine only.
type socket struct {
	c   *websocket.Conn
	ctx context.Context // ends when the socket closes
	wmu sync.Mutex
}

// accept takes room for the socket in its budget, upgrades the request and
// registers the socket for Close. The room is given back when the socket
// ends (the returned func).
func (s *Server) accept(w http.ResponseWriter, r *http.Request, sl slot) (*socket, func(), error) {
	s.mu.Lock()
	why := "full"
	if !s.closed {
		why = sl.b.take(sl.key)
	}
	s.mu.Unlock()
	if why != "" {
		refuse(w, why, sl)
		return nil, nil, fmt.Errorf("webrtc: no room for another socket (%s %q: %s)", sl.who, sl.key, why)
	}
	release := func() {
		s.mu.Lock()
		sl.b.give(sl.key)
		s.mu.Unlock()
	}
	c, err := websocket.Accept(w, r, nil) // same-origin pages only
	if err != nil {
		release()
		return nil, nil, fmt.Errorf("webrtc: websocket accept: %w", err)
	}
	c.SetReadLimit(64 << 10) // an SDP is a few kB
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), sourceKey{}, sl.key))
	so := &socket{c: c, ctx: ctx}
	s.mu.Lock()
	s.sockets[so] = struct{}{}
	s.mu.Unlock()
	return so, func() {
		cancel()
		s.mu.Lock()
		delete(s.sockets, so)
		sl.b.give(sl.key)
		s.mu.Unlock()
		c.CloseNow()
	}, nil
}

// send writes one message; a page too slow to take it within 5 s is dropped.
func (so *socket) send(m msg) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("webrtc: encode %s: %w", m.Type, err)
	}
	ctx, cancel := context.WithTimeout(so.ctx, 5*time.Second)
	defer cancel()
	so.wmu.Lock()
	defer so.wmu.Unlock()
	if err := so.c.Write(ctx, websocket.MessageText, b); err != nil {
		so.c.CloseNow()
		return fmt.Errorf("webrtc: send %s: %w", m.Type, err)
	}
	return nil
}

func (so *socket) sendError(code, detail string) {
	so.send(msg{Type: tError, Error: code, Detail: detail})
}

// read returns the next message; a malformed one is answered with an error
// message and skipped.
func (so *socket) read() (msg, error) {
	for {
		typ, b, err := so.c.Read(so.ctx)
		if err != nil {
			return msg{}, err
		}
		var m msg
		if typ != websocket.MessageText || json.Unmarshal(b, &m) != nil || m.Type == "" {
			so.sendError("bad_message", "messages are JSON objects with a type")
			continue
		}
		if m.Type == tPing {
			so.send(msg{Type: tPong})
			continue
		}
		return m, nil
	}
}

func (so *socket) close(code websocket.StatusCode, reason string) { so.c.Close(code, reason) }

// negotiate offers a leg to the page: our offer now, its answer and
// candidates through the page's messages (see handleMedia).
func (so *socket) offer(ctx context.Context, l *Leg, m msg) error {
	sdp, err := l.Offer(ctx)
	if err != nil {
		return err
	}
	m.Type, m.SDP = tOffer, sdp
	return so.send(m)
}

// handleMedia applies a page's SDP answer or ICE candidate to its leg; it
// reports whether m was one.
func handleMedia(so *socket, l *Leg, m msg) bool {
	switch m.Type {
	case tAnswer:
		if l == nil {
			so.sendError("no_call", "there is no call to answer")
		} else if err := l.Answer(m.SDP); err != nil {
			so.sendError("bad_sdp", err.Error())
		}
	case tCandidate:
		if l != nil && m.Candidate != nil {
			if err := l.AddCandidate(*m.Candidate); err != nil {
				so.sendError("bad_candidate", err.Error())
			}
		}
	default:
		return false
	}
	return true
}
