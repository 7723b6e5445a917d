package dashboard

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/frontdoor-project/frontdoor/internal/netaddr"
)

// clientLimits throttles one kind of request per client address: login
// attempts (password guessing) and the public identity routes (a code read
// out on the phone has few digits). Behind a reverse proxy every client
// shares the proxy's address; the limits then apply to all of them together.
type clientLimits struct {
	clock Clock
	rate  rate.Limit
	burst int

	mu      sync.Mutex
	clients map[string]*clientLimit
	swept   time.Time
}

type clientLimit struct {
	lim  *rate.Limiter
	seen time.Time
}

// maxTrackedClients bounds the table; past it, unknown clients share one
// limiter rather than grow memory.
const maxTrackedClients = 100_000

func newClientLimits(clock Clock, perMinute int) *clientLimits {
	return &clientLimits{clock: clock, rate: rate.Limit(float64(perMinute) / 60), burst: perMinute,
		clients: map[string]*clientLimit{}}
}

// allow takes one request from key's budget, or says how long to wait.
func (l *clientLimits) allow(key string) (bool, time.Duration) {
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweepLocked(now)
	c, ok := l.clients[key]
	if !ok {
		if len(l.clients) >= maxTrackedClients {
			key = "overflow"
			c = l.clients[key]
		}
		if c == nil {
			c = &clientLimit{lim: rate.NewLimiter(l.rate, l.burst)}
			l.clients[key] = c
		}
	}
	c.seen = now
	r := c.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// sweepLocked forgets clients idle long enough to have a full budget again.
func (l *clientLimits) sweepLocked(now time.Time) {
	if now.Sub(l.swept) < time.Minute {
		return
	}
	l.swept = now
	for k, c := range l.clients {
		if now.Sub(c.seen) > 10*time.Minute {
			delete(l.clients, k)
		}
	}
}

// limited answers 429 with Retry-After once a client's budget is spent,
// through refuse so each route keeps its own error shape.
func (s *Server) limited(l *clientLimits, refuse func(w http.ResponseWriter, status int, code, detail string), h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		// A client is its source: an IPv4 address, an IPv6 /64.
		host := netaddr.SourceKeyOf(r.RemoteAddr)
		if host == "" {
			host = r.RemoteAddr
		}
		if ok, wait := l.allow(host); !ok {
			secs := int(math.Ceil(wait.Seconds()))
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			s.log.Warn("rate limited", "path", r.URL.Path, "client", host)
			refuse(w, http.StatusTooManyRequests, "rate_limited",
				"too many requests from this address; retry in "+strconv.Itoa(secs)+" s")
			return
		}
		h(w, r)
	}
}

// nodeLimited answers 429 with Retry-After once the whole node's budget
// for h is spent, whichever addresses the requests came from.
func (s *Server) nodeLimited(l *clientLimits, refuse func(w http.ResponseWriter, status int, code, detail string), h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if ok, wait := l.allow("node"); !ok {
			secs := int(math.Ceil(wait.Seconds()))
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			s.log.Warn("node-wide budget spent", "path", r.URL.Path, "client", r.RemoteAddr)
			refuse(w, http.StatusTooManyRequests, "rate_limited",
				"too many requests of this kind on this server; retry in "+strconv.Itoa(secs)+" s")
			return
		}
		h(w, r)
	}
}
