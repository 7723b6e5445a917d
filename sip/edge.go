// Package sip is frontdoor's SIP edge on sipgo: UDP and TCP listeners on one port,
// the registrar for agents' phones (digest auth), inbound caller legs handed to the
// switchboard, and outbound legs that ring agents (a B2BUA: every call is two dialogs).
package sip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	sipmsg "github.com/emiago/sipgo/sip"

	"github.com/frontdoor-project/frontdoor/calls"
	"github.com/frontdoor-project/frontdoor/media"
	"github.com/frontdoor-project/frontdoor/store"
)

// Switchboard is the core's side of a call as the SIP edge needs it.
type Switchboard interface {
	Admit() error
	Start(id string, in calls.Inbound) *calls.Call
	Call(id string) (*calls.Call, bool)
}

// Presence is told when an agent's phone comes and goes.
type Presence interface {
	AgentOnline(agentID string)
	AgentOffline(agentID string)
}

// Credentials gives digest HA1 values; unknown users get a fake, stable HA1 so
// the answer (403) and its cost are the same as for a wrong password.
type Credentials interface {
	HA1(id, realm, alg string) (string, bool)
}

// Counter counts SIP requests by method (metrics.Metrics implements it).
type Counter interface{ SIPRequest(method string) }

// Config wires an Edge.
type Config struct {
	Addr        string            // host:port for UDP and TCP (port 0: pick one)
	AdvertiseIP string            // our address in SDP and Contact
	Number      string            // the front-door number
	Numbers     map[string]string // legacy number -> agency id
	Realm       string
	// DigestAlgorithms are offered in REGISTER challenges, in order (default MD5).
	DigestAlgorithms []string
	Credentials      Credentials
	Switchboard      Switchboard
	Presence         Presence
	Transfers        Transferer // nil: REFER refused
	Trunk            Trunk      // outbound trunk for callbacks; zero: none
	Texts            TextTrunk  // SIP MESSAGE trunk for identity texts (message.go); zero: none
	Ports            *media.PortPool
	RTPTimeout       time.Duration
	HoldTimeout      time.Duration // a leg on hold this long is ended (0: never)
	RTPStats         *media.Stats
	Store            store.Store
	// SharedRegistrations: the store is a cluster's, shared by every node. An
	// agent registered on another node is rung at its stored contact (this
	// node then relays the media), and a start restores no registrations:
	// they are the nodes' they were made on.
	SharedRegistrations bool
	// Deliver rings this node's browser softphones for calls other cluster
	// nodes hold (deliver.go); nil: delivery INVITEs get 480.
	Deliver calls.AgentDialer
	// Nodes lists the live cluster nodes' advertised SIP addresses: only
	// they may send delivery INVITEs. nil: none may (not a cluster).
	Nodes     func(ctx context.Context) ([]string, error)
	Metrics   Counter
	Logger    *slog.Logger
	UserAgent string
	// Limits are the per-source defences (limits.go); the zero value disables them.
	Limits Limits
}

// Edge is the running SIP side of frontdoor.
type Edge struct {
	cfg    Config
	log    *slog.Logger
	ua     *sipgo.UserAgent
	srv    *sipgo.Server
	cli    *sipgo.Client
	dsrv   *sipgo.DialogServerCache
	dcli   *sipgo.DialogClientCache
	nonces *Nonces
	// replays holds the highest digest nonce count seen per nonce (replay.go).
	replays *replays
	reg     *registrar
	guard   *Guard
	// byDialog maps a caller's dialog id to its *calls.Call (INFO DTMF matching).
	byDialog sync.Map
	// agentCalls maps an agent leg's dialog id to the call id (REFER matching).
	agentCalls sync.Map
	// legs maps every live dialog id (caller's and agent's) to its *sipLeg.
	legs sync.Map
	// delivered maps the call id of each node-to-node delivery this node
	// carries to the *deliveryEnd that ends it when the calling node is lost.
	delivered sync.Map
	// bySIPCallID maps an inbound dialog's SIP Call-ID to its call id (Replaces).
	bySIPCallID sync.Map
	udp         net.PacketConn
	tcp         net.Listener
	port        int
}

// New binds the listeners (so the address is known at once) but serves nothing yet.
func New(cfg Config) (*Edge, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Realm == "" {
		cfg.Realm = "frontdoor"
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "frontdoor"
	}
	e := &Edge{cfg: cfg, log: cfg.Logger}
	var err error
	if e.nonces, err = NewNonces(time.Now); err != nil {
		return nil, err
	}
	e.replays = newReplays(time.Now)
	if e.udp, err = net.ListenPacket("udp", cfg.Addr); err != nil {
		return nil, fmt.Errorf("sip udp listen %s: %w", cfg.Addr, err)
	}
	e.port = e.udp.LocalAddr().(*net.UDPAddr).Port
	host, _, _ := net.SplitHostPort(cfg.Addr)
	if e.tcp, err = net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(e.port))); err != nil {
		e.udp.Close()
		return nil, fmt.Errorf("sip tcp listen on udp's port %d: %w", e.port, err)
	}
	e.guard = NewGuard(cfg.Limits, cfg.Logger, cfg.Store, time.Now)
	sipgoLog := redacting(cfg.Logger) // logging.go: no message text in our logs
	if e.ua, err = sipgo.NewUA(sipgo.WithUserAgent(cfg.UserAgent), sipgo.WithUserAgentHostname(cfg.AdvertiseIP),
		sipgo.WithUserAgentTransportLayerOptions(sipmsg.WithTransportLayerLogger(sipgoLog),
			sipmsg.WithTransportLayerReadFilter(e.guard.Filter)),
		sipgo.WithUserAgentTransactionLayerOptions(sipmsg.WithTransactionLayerLogger(sipgoLog))); err != nil {
		return nil, fmt.Errorf("sip user agent: %w", err)
	}
	if e.srv, err = sipgo.NewServer(e.ua, sipgo.WithServerLogger(sipgoLog)); err != nil {
		return nil, fmt.Errorf("sip server: %w", err)
	}
	if e.cli, err = sipgo.NewClient(e.ua, sipgo.WithClientHostname(cfg.AdvertiseIP), sipgo.WithClientPort(e.port),
		sipgo.WithClientLogger(sipgoLog)); err != nil {
		return nil, fmt.Errorf("sip client: %w", err)
	}
	contact := sipmsg.ContactHeader{Address: sipmsg.Uri{Scheme: "sip", User: cfg.Number, Host: cfg.AdvertiseIP, Port: e.port}}
	e.dsrv = sipgo.NewDialogServerCache(e.cli, contact)
	e.dcli = sipgo.NewDialogClientCache(e.cli, contact)
	e.reg = newRegistrar(e)

	// Every handler goes through the guard (limits.go): blocked sources are
	// dropped; then through the sanity checks (sanity.go).
	g := func(h func(*sipmsg.Request, sipmsg.ServerTransaction)) func(*sipmsg.Request, sipmsg.ServerTransaction) {
		return e.guard.Wrap(checkSanity(h))
	}
	e.srv.OnInvite(g(e.onInvite))
	e.srv.OnAck(g(e.onAck))
	e.srv.OnBye(g(e.onBye))
	e.srv.OnCancel(g(func(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
		e.count(req)
		// A CANCEL that matched an INVITE was answered by the transaction layer.
		tx.Respond(sipmsg.NewResponseFromRequest(req, sipmsg.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist", nil))
	}))
	e.srv.OnInfo(g(e.onInfo))
	e.srv.OnRefer(g(e.onRefer))
	e.srv.OnRegister(g(e.reg.onRegister))
	e.srv.OnOptions(g(func(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
		e.count(req)
		res := sipmsg.NewResponseFromRequest(req, sipmsg.StatusOK, "OK", nil)
		res.AppendHeader(sipmsg.NewHeader("Allow", "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, REGISTER, REFER"))
		res.AppendHeader(sipmsg.NewHeader("Accept", "application/sdp, application/dtmf-relay, application/dtmf"))
		tx.Respond(res)
	}))
	e.srv.OnNoRoute(g(func(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
		e.count(req)
		res := sipmsg.NewResponseFromRequest(req, sipmsg.StatusMethodNotAllowed, "Method Not Allowed", nil)
		res.AppendHeader(sipmsg.NewHeader("Allow", "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, REGISTER, REFER"))
		tx.Respond(res)
	}))
	return e, nil
}

// Guard is the edge's per-source defence, for its counters and block list.
func (e *Edge) Guard() *Guard { return e.guard }

// Addr is the bound SIP address (UDP and TCP share it).
func (e *Edge) Addr() string { return e.udp.LocalAddr().String() }

// Serve runs until ctx ends.
func (e *Edge) Serve(ctx context.Context) error {
	if err := e.reg.restore(ctx); err != nil {
		e.log.Warn("restoring registrations", "err", err)
	}
	errc := make(chan error, 2)
	go func() { errc <- e.srv.ServeUDP(e.udp) }()
	go func() { errc <- e.srv.ServeTCP(e.tcp) }()
	go e.reg.expireLoop(ctx)
	go e.guard.Sweep(ctx)
	select {
	case <-ctx.Done():
		e.srv.Close()
		e.udp.Close()
		e.tcp.Close()
		return nil
	case err := <-errc:
		if errors.Is(err, net.ErrClosed) {
			return nil
		}
		return fmt.Errorf("sip serve: %w", err)
	}
}

func localPort(c *net.UDPConn) int { return c.LocalAddr().(*net.UDPAddr).Port }

func (e *Edge) count(req *sipmsg.Request) {
	if e.cfg.Metrics != nil {
		e.cfg.Metrics.SIPRequest(string(req.Method))
	}
}

// respond sends a final answer, logging (not failing) on transport errors.
func (e *Edge) respond(tx sipmsg.ServerTransaction, req *sipmsg.Request, code int, reason string, hdrs ...sipmsg.Header) {
	res := sipmsg.NewResponseFromRequest(req, code, reason, nil)
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	if err := tx.Respond(res); err != nil {
		e.log.Debug("sip respond", "code", code, "err", err)
	}
}

// listenAddr is the UDP socket's address as sipgo's transport knows it.
func (e *Edge) listenAddr() sipmsg.Addr {
	a := e.udp.LocalAddr().(*net.UDPAddr)
	return sipmsg.Addr{IP: a.IP, Port: a.Port}
}
