package sip

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	sipmsg "github.com/emiago/sipgo/sip"

	"github.com/frontdoor-project/frontdoor/store"
)

// Registration expiry bounds (RFC 3261 §10.3: we may shorten, and refuse too short with 423).
const (
	defaultExpires = 3600
	minExpires     = 60
	maxExpires     = 7200
)

// binding is where an agent's phone can be reached.
type binding struct {
	agentID   string
	contact   sipmsg.Uri
	transport string // udp | tcp
	source    string // where REGISTER came from (used for TCP: reuse that connection)
	expires   time.Time
}

// registrar keeps one binding per agent (the desk phone the agent logged in on).
type registrar struct {
	e  *Edge
	mu sync.Mutex
	by map[string]binding
}

func newRegistrar(e *Edge) *registrar { return &registrar{e: e, by: map[string]binding{}} }

func (r *registrar) lookup(agentID string) (binding, bool) {
	r.mu.Lock()
	b, ok := r.by[agentID]
	r.mu.Unlock()
	if !ok && r.e.cfg.SharedRegistrations {
		b, ok = r.shared(agentID)
	}
	if !ok || time.Now().After(b.expires) {
		return binding{}, false
	}
	return b, true
}

// sharedLookupTimeout bounds reading another node's registration.
const sharedLookupTimeout = 2 * time.Second

// shared finds an agent registered on another node of a cluster. A phone
// registered over TCP or TLS is reached on a new connection to its contact:
// its own connection ends at the other node.
func (r *registrar) shared(agentID string) (binding, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), sharedLookupTimeout)
	defer cancel()
	regs, err := r.e.cfg.Store.Registrations(ctx)
	if err != nil {
		r.e.log.Warn("shared registrations unreadable", "agent", agentID, "err", err)
		return binding{}, false
	}
	for _, reg := range regs {
		if reg.AgentID != agentID {
			continue
		}
		var uri sipmsg.Uri
		if err := sipmsg.ParseUri(reg.Contact, &uri); err != nil {
			r.e.log.Warn("stored registration unreadable", "agent", reg.AgentID, "err", err)
			return binding{}, false
		}
		return binding{agentID: reg.AgentID, contact: uri, transport: "udp", expires: reg.Expires}, true
	}
	return binding{}, false
}

func (r *registrar) onRegister(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
	e := r.e
	e.count(req)
	to := req.To()
	if to == nil || to.Address.User == "" {
		e.respond(tx, req, sipmsg.StatusBadRequest, "Missing To user")
		return
	}
	aor := to.Address.User
	authz := req.GetHeader("Authorization")
	if authz == nil {
		r.challenge(tx, req, false)
		return
	}
	creds, err := ParseCredentials(authz.Value())
	if err != nil {
		e.guard.Failure(req, "malformed Authorization")
		e.respond(tx, req, sipmsg.StatusBadRequest, "Bad Authorization")
		return
	}
	if err := e.nonces.Check(creds.Nonce); err != nil {
		// Stale or foreign nonce: a fresh challenge (stale=true lets the phone retry silently).
		r.challenge(tx, req, err == errNonceStale)
		return
	}
	if !r.authorized(creds, aor, req) {
		e.log.Warn("security: REGISTER refused", "user", creds.Username, "source", req.Source())
		e.guard.Failure(req, "REGISTER with wrong credentials")
		e.respond(tx, req, sipmsg.StatusForbidden, "Forbidden")
		return
	}
	if err := e.replays.use(creds.Nonce, creds.NC); err != nil {
		// A captured Authorization sent again: a fresh challenge, nothing bound.
		e.log.Warn("security: REGISTER digest replay refused", "user", creds.Username, "source", req.Source(), "err", err)
		r.challenge(tx, req, true)
		return
	}
	expires := requestedExpires(req)
	if expires > 0 && expires < minExpires {
		e.respond(tx, req, sipmsg.StatusIntervalToBrief, "Interval Too Brief", sipmsg.NewHeader("Min-Expires", strconv.Itoa(minExpires)))
		return
	}
	expires = min(expires, maxExpires)
	contact := req.Contact()
	if contact == nil {
		// A query for current bindings.
		r.reply(tx, req, aor)
		return
	}
	if contact.Address.Wildcard || expires == 0 {
		r.remove(aor)
		r.reply(tx, req, aor)
		return
	}
	b := binding{agentID: aor, contact: *contact.Address.Clone(), transport: strings.ToLower(req.Transport()),
		source: req.Source(), expires: time.Now().Add(time.Duration(expires) * time.Second)}
	r.mu.Lock()
	_, was := r.by[aor]
	r.by[aor] = b
	r.mu.Unlock()
	if e.cfg.Store != nil {
		reg := store.Registration{AgentID: aor, Contact: b.contact.String(), Transport: b.transport, Source: b.source, Expires: b.expires}
		if err := e.cfg.Store.PutRegistration(context.Background(), reg); err != nil {
			e.log.Error("store registration", "agent", aor, "err", err)
		}
	}
	if !was && e.cfg.Presence != nil {
		e.cfg.Presence.AgentOnline(aor)
	}
	r.reply(tx, req, aor)
}

// authorized checks the digest response; unknown users are checked against a fake
// HA1 so they cost the same and get the same 403 as a wrong password. Only
// qop=auth answers count (we challenge with qop="auth"; without it there is no
// nonce count to stop a replay), and the digest uri must be the Request-URI.
func (r *registrar) authorized(c DigestCredentials, aor string, req *sipmsg.Request) bool {
	if !r.offered(c.Algorithm) {
		return false
	}
	ha1, known := r.e.cfg.Credentials.HA1(c.Username, r.e.cfg.Realm, strings.ToUpper(c.Algorithm))
	want, err := ExpectedResponse(c, string(req.Method), ha1)
	ok := err == nil && ResponseMatches(c.Response, want)
	withQOP := c.QOP == "auth" && c.CNonce != "" && c.NC != ""
	return ok && known && withQOP && digestURIMatches(c.URI, req) && c.Username == aor && c.Realm == r.e.cfg.Realm
}

// offered tells whether we challenge with alg: an answer to an algorithm we did
// not offer (a downgrade, or a policy that turned SHA-256 off) is refused.
func (r *registrar) offered(alg string) bool {
	algs := r.e.cfg.DigestAlgorithms
	if len(algs) == 0 {
		algs = []string{AlgMD5}
	}
	for _, a := range algs {
		if strings.EqualFold(a, alg) {
			return true
		}
	}
	return false
}

func (r *registrar) challenge(tx sipmsg.ServerTransaction, req *sipmsg.Request, stale bool) {
	res := sipmsg.NewResponseFromRequest(req, sipmsg.StatusUnauthorized, "Unauthorized", nil)
	for _, ch := range Challenges(r.e.cfg.Realm, r.e.nonces.Issue(), r.e.cfg.DigestAlgorithms) {
		if stale {
			ch += ", stale=true"
		}
		res.AppendHeader(sipmsg.NewHeader("WWW-Authenticate", ch))
	}
	if err := tx.Respond(res); err != nil {
		r.e.log.Debug("sip respond 401", "err", err)
	}
}

func (r *registrar) reply(tx sipmsg.ServerTransaction, req *sipmsg.Request, aor string) {
	res := sipmsg.NewResponseFromRequest(req, sipmsg.StatusOK, "OK", nil)
	if b, ok := r.lookup(aor); ok {
		left := int(time.Until(b.expires).Seconds())
		res.AppendHeader(sipmsg.NewHeader("Contact", "<"+b.contact.String()+">;expires="+strconv.Itoa(left)))
	}
	res.AppendHeader(sipmsg.NewHeader("Date", time.Now().UTC().Format(time.RFC1123)))
	if err := tx.Respond(res); err != nil {
		r.e.log.Debug("sip respond 200 REGISTER", "err", err)
	}
}

func requestedExpires(req *sipmsg.Request) int {
	if c := req.Contact(); c != nil {
		if v, ok := c.Params.Get("expires"); ok {
			if n, err := strconv.Atoi(v); err == nil && n >= 0 {
				return n
			}
		}
	}
	if h := req.GetHeader("Expires"); h != nil {
		if n, err := strconv.Atoi(strings.TrimSpace(h.Value())); err == nil && n >= 0 {
			return n
		}
	}
	return defaultExpires
}

func (r *registrar) remove(aor string) {
	r.mu.Lock()
	_, was := r.by[aor]
	delete(r.by, aor)
	r.mu.Unlock()
	if r.e.cfg.Store != nil {
		if err := r.e.cfg.Store.DeleteRegistration(context.Background(), aor); err != nil {
			r.e.log.Error("store unregister", "agent", aor, "err", err)
		}
	}
	if was && r.e.cfg.Presence != nil {
		r.e.cfg.Presence.AgentOffline(aor)
	}
}

// expireLoop logs agents out when their phone stops refreshing its registration.
func (r *registrar) expireLoop(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			var gone []string
			r.mu.Lock()
			for id, b := range r.by {
				if now.After(b.expires) {
					gone = append(gone, id)
				}
			}
			r.mu.Unlock()
			for _, id := range gone {
				r.remove(id)
			}
			if now.Sub(last) >= time.Minute {
				r.e.replays.sweep()
				last = now
			}
		}
	}
}

// restore brings back unexpired registrations after a restart.
func (r *registrar) restore(ctx context.Context) error {
	if r.e.cfg.Store == nil || r.e.cfg.SharedRegistrations {
		return nil
	}
	regs, err := r.e.cfg.Store.Registrations(ctx)
	if err != nil {
		return err
	}
	for _, reg := range regs {
		if time.Now().After(reg.Expires) {
			continue
		}
		var uri sipmsg.Uri
		if err := sipmsg.ParseUri(reg.Contact, &uri); err != nil {
			r.e.log.Warn("stored registration unreadable", "agent", reg.AgentID, "err", err)
			continue
		}
		r.mu.Lock()
		r.by[reg.AgentID] = binding{agentID: reg.AgentID, contact: uri, transport: reg.Transport, source: reg.Source, expires: reg.Expires}
		r.mu.Unlock()
		if r.e.cfg.Presence != nil {
			r.e.cfg.Presence.AgentOnline(reg.AgentID)
		}
	}
	return nil
}
