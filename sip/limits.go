package sip

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	sipmsg "github.com/emiago/sipgo/sip"

	"github.com/frontdoor-project/frontdoor/store"
)

// Limits are the per-source defences of the SIP edge, in the spirit of Kamailio's
// pike and fail2ban: a source sending faster than RequestsPerSecond (after Burst)
// has the excess dropped unread; a source with more than MaxPendingInvites INVITEs
// not yet confirmed gets 503; a source that fails digest auth or dials unknown
// numbers AuthFailures times within FailureWindow is blocked (every packet dropped)
// for BlockFor. Trusted sources (a carrier trunk, a local proxy) skip all of this.
// The zero value of a field disables that defence.
type Limits struct {
	Trusted           []netip.Prefix
	RequestsPerSecond float64
	Burst             int
	MaxPendingInvites int
	// NodePendingInvites bounds INVITEs being set up across all sources: beyond it
	// the node is overloaded and answers 503 with Retry-After.
	NodePendingInvites int
	AuthFailures       int
	FailureWindow      time.Duration
	BlockFor           time.Duration
	// MaxCallsPerSource bounds calls in progress (being set up or established)
	// from one untrusted source: beyond it 503 (callslimit.go).
	MaxCallsPerSource int
}

// maxSources bounds the per-source table: a flood from spoofed addresses must not
// grow memory without end. Beyond it, idle entries are swept; if none are idle,
// new sources share no state (they are only subject to the node-wide limits).
const maxSources = 100_000

// floodLogEvery keeps a flood from flooding the log: one line per source this often.
const floodLogEvery = 10 * time.Second

// retryAfter is what 503 answers tell a caller to wait, in seconds.
const retryAfter = "5"

// GuardStats are counters of what the guard refused, for tests and operators.
type GuardStats struct {
	Dropped      uint64 // packets dropped unread (over the rate, or blocked)
	Blocked      uint64 // sources blocked for repeated failures
	Refused503   uint64 // INVITEs answered 503 (source or node pending limit)
	AuthFailures uint64
}

// source is what the guard knows about one remote IP address.
type source struct {
	tokens       float64
	last         time.Time
	pending      int
	calls        int // calls in progress (callslimit.go)
	failures     int
	failureStart time.Time
	blockedUntil time.Time
	dropped      uint64
	loggedAt     time.Time
}

// Guard enforces Limits. It is safe for concurrent use; the UDP read loop calls
// Filter for every datagram, so Filter takes one short lock and allocates nothing.
type Guard struct {
	lim   Limits
	log   *slog.Logger
	audit store.Store // security events; nil = log only
	now   func() time.Time

	mu          sync.Mutex
	sources     map[netip.Addr]*source
	nodePending int

	dropped, blocked, refused, failures atomic.Uint64
}

// NewGuard makes a guard; audit (may be nil) receives a record per blocked source.
func NewGuard(lim Limits, log *slog.Logger, audit store.Store, now func() time.Time) *Guard {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	if lim.Burst <= 0 {
		lim.Burst = int(lim.RequestsPerSecond) + 1
	}
	return &Guard{lim: lim, log: log, audit: audit, now: now, sources: map[netip.Addr]*source{}}
}

// Stats returns the counters so far.
func (g *Guard) Stats() GuardStats {
	return GuardStats{Dropped: g.dropped.Load(), Blocked: g.blocked.Load(), Refused503: g.refused.Load(), AuthFailures: g.failures.Load()}
}

func (g *Guard) trusted(ip netip.Addr) bool {
	for _, p := range g.lim.Trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// sourceOf returns the entry for ip, creating it; nil when the table is full.
// Callers hold g.mu.
func (g *Guard) sourceOf(ip netip.Addr, now time.Time) *source {
	if s, ok := g.sources[ip]; ok {
		return s
	}
	if len(g.sources) >= maxSources {
		g.sweep(now)
		if len(g.sources) >= maxSources {
			return nil
		}
	}
	s := &source{tokens: float64(g.lim.Burst), last: now}
	g.sources[ip] = s
	return s
}

// sweep forgets sources with nothing to remember. Callers hold g.mu.
func (g *Guard) sweep(now time.Time) {
	for ip, s := range g.sources {
		idle := now.Sub(s.last) > time.Minute && s.pending == 0 && s.calls == 0 && now.After(s.blockedUntil) &&
			(s.failures == 0 || now.Sub(s.failureStart) > g.lim.FailureWindow)
		if idle {
			delete(g.sources, ip)
		}
	}
}

// allow takes one request from ip's bucket; false means drop it.
func (g *Guard) allow(ip netip.Addr) bool {
	if !ip.IsValid() || g.trusted(ip) {
		return true
	}
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.sourceOf(ip, now)
	if s == nil {
		return true
	}
	if now.Before(s.blockedUntil) {
		s.last = now
		g.drop(ip, s, now, "blocked")
		return false
	}
	if g.lim.RequestsPerSecond <= 0 {
		s.last = now
		return true
	}
	s.tokens = min(s.tokens+now.Sub(s.last).Seconds()*g.lim.RequestsPerSecond, float64(g.lim.Burst))
	s.last = now
	if s.tokens < 1 {
		g.drop(ip, s, now, "rate")
		return false
	}
	s.tokens--
	return true
}

// drop counts a dropped packet and logs the source now and then. Callers hold g.mu.
func (g *Guard) drop(ip netip.Addr, s *source, now time.Time, why string) {
	g.dropped.Add(1)
	s.dropped++
	if now.Sub(s.loggedAt) >= floodLogEvery {
		s.loggedAt = now
		if why == "rate" {
			g.log.Warn("security: flood, dropping requests over the per-source rate", "source", ip.String(),
				"limit_per_second", g.lim.RequestsPerSecond, "dropped_total", s.dropped)
		} else {
			g.log.Warn("security: dropping requests from a blocked source", "source", ip.String(),
				"until", s.blockedUntil.UTC().Format(time.RFC3339), "dropped_total", s.dropped)
		}
	}
}

// Filter is the transport read filter: it sees every datagram and stream chunk
// before parsing. Over-rate and blocked UDP datagrams are dropped unread; a
// blocked source's TCP or TLS connection is closed (an error ends it), while its
// per-request rate is kept by Wrap, since a stream chunk is not one message.
func (g *Guard) Filter(props sipmsg.TransportReadProps, data []byte) ([]byte, error) {
	ip := addrOf(props.RemoteAddr)
	if props.Transport == "UDP" || props.Transport == "udp" {
		if !g.allow(ip) {
			return nil, nil
		}
		return data, nil
	}
	if g.isBlocked(ip) {
		return nil, errSourceBlocked
	}
	return data, nil
}

var errSourceBlocked = errors.New("source blocked by the SIP guard")

func (g *Guard) isBlocked(ip netip.Addr) bool {
	if !ip.IsValid() || g.trusted(ip) {
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	s, ok := g.sources[ip]
	return ok && g.now().Before(s.blockedUntil)
}

// Wrap applies the per-request rate to requests that did not come over UDP (UDP
// was metered before parsing) and drops anything from a blocked source.
func (g *Guard) Wrap(h func(*sipmsg.Request, sipmsg.ServerTransaction)) func(*sipmsg.Request, sipmsg.ServerTransaction) {
	return func(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
		ip := sourceIP(req)
		if req.Transport() != "UDP" {
			if !g.allow(ip) {
				return // dropped: the transaction ends without an answer
			}
		} else if g.isBlocked(ip) {
			return
		}
		h(req, tx)
	}
}

// AdmitInvite reserves a pending-INVITE slot for req's source and the node. When
// either is full it answers 503 with Retry-After itself and returns ok=false.
// release must be called once the INVITE is answered and confirmed (or failed).
func (g *Guard) AdmitInvite(req *sipmsg.Request, tx sipmsg.ServerTransaction) (release func(), ok bool) {
	ip := sourceIP(req)
	trusted := !ip.IsValid() || g.trusted(ip)
	g.mu.Lock()
	if g.lim.NodePendingInvites > 0 && g.nodePending >= g.lim.NodePendingInvites {
		g.mu.Unlock()
		g.refuse(req, tx, "node")
		return nil, false
	}
	var s *source
	if !trusted {
		s = g.sourceOf(ip, g.now())
		if s != nil && g.lim.MaxPendingInvites > 0 && s.pending >= g.lim.MaxPendingInvites {
			g.mu.Unlock()
			g.refuse(req, tx, "source")
			return nil, false
		}
		if s != nil {
			s.pending++
		}
	}
	g.nodePending++
	g.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			g.mu.Lock()
			g.nodePending--
			if s != nil {
				s.pending--
			}
			g.mu.Unlock()
		})
	}, true
}

func (g *Guard) refuse(req *sipmsg.Request, tx sipmsg.ServerTransaction, scope string) {
	n := g.refused.Add(1)
	if n == 1 || n%1000 == 0 {
		g.log.Warn("overloaded: INVITE refused with 503", "scope", scope, "source", req.Source(), "refused_total", n)
	}
	res := sipmsg.NewResponseFromRequest(req, sipmsg.StatusServiceUnavailable, "Service Unavailable", nil)
	res.AppendHeader(sipmsg.NewHeader("Retry-After", retryAfter))
	tx.Respond(res)
}

// Failure records a failed attempt from req's source (wrong credentials, an
// unknown number); enough of them within the window block the source.
func (g *Guard) Failure(req *sipmsg.Request, what string) {
	g.failures.Add(1)
	ip := sourceIP(req)
	if !ip.IsValid() || g.trusted(ip) || g.lim.AuthFailures <= 0 {
		return
	}
	now := g.now()
	g.mu.Lock()
	s := g.sourceOf(ip, now)
	if s == nil {
		g.mu.Unlock()
		return
	}
	if s.failures == 0 || now.Sub(s.failureStart) > g.lim.FailureWindow {
		s.failures, s.failureStart = 0, now
	}
	s.failures++
	blockNow := s.failures >= g.lim.AuthFailures && !now.Before(s.blockedUntil)
	if blockNow {
		s.blockedUntil = now.Add(g.lim.BlockFor)
		s.failures = 0
	}
	until := s.blockedUntil
	g.mu.Unlock()
	if !blockNow {
		return
	}
	g.blocked.Add(1)
	detail := strconv.Itoa(g.lim.AuthFailures) + " failures (last: " + what + ") within " + g.lim.FailureWindow.String() +
		"; blocked until " + until.UTC().Format(time.RFC3339)
	g.log.Warn("security: source blocked", "source", ip.String(), "reason", what, "until", until.UTC().Format(time.RFC3339))
	if g.audit != nil {
		rec := store.AuditRecord{Time: now, Kind: "sip_source_blocked", Actor: ip.String(), Result: "blocked", Reason: what, Detail: detail}
		go func() {
			if err := g.audit.AppendAudit(context.Background(), rec); err != nil {
				g.log.Error("audit security event", "err", err)
			}
		}()
	}
}

// Blocked tells whether ip is blocked now (for tests and the operator).
func (g *Guard) Blocked(ip string) bool {
	a, err := netip.ParseAddr(ip)
	return err == nil && g.isBlocked(a)
}

// Sweep forgets idle sources until ctx ends (memory stays bounded either way).
func (g *Guard) Sweep(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			g.mu.Lock()
			g.sweep(g.now())
			g.mu.Unlock()
		}
	}
}

func addrOf(a net.Addr) netip.Addr {
	switch a := a.(type) {
	case *net.UDPAddr:
		return a.AddrPort().Addr().Unmap()
	case *net.TCPAddr:
		return a.AddrPort().Addr().Unmap()
	}
	if a == nil {
		return netip.Addr{}
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// sourceIP is the address the request came from (the packet's, not the Via's).
func sourceIP(req *sipmsg.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(req.Source())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}
