package sip

import (
	"strings"
	"sync"

	sipmsg "github.com/emiago/sipgo/sip"
)

// AdmitCall counts a call from req's source for as long as it lasts (the
// returned end is called when it is over). A source already holding
// Limits.MaxCallsPerSource calls gets 503 with Retry-After, so one source
// cannot fill the node with established calls that send nothing. Trusted
// sources (a carrier trunk carrying everyone's calls) are exempt.
func (g *Guard) AdmitCall(req *sipmsg.Request, tx sipmsg.ServerTransaction) (end func(), ok bool) {
	ip := sourceIP(req)
	if g.lim.MaxCallsPerSource <= 0 || !ip.IsValid() || g.trusted(ip) {
		return func() {}, true
	}
	g.mu.Lock()
	s := g.sourceOf(ip, g.now())
	if s == nil { // table full of busy sources: only node-wide limits apply
		g.mu.Unlock()
		return func() {}, true
	}
	if s.calls >= g.lim.MaxCallsPerSource {
		g.mu.Unlock()
		g.log.Warn("security: INVITE refused, source holds too many calls", "source", req.Source(), "calls", s.calls)
		g.refuse(req, tx, "source calls")
		return nil, false
	}
	s.calls++
	g.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			g.mu.Lock()
			s.calls--
			g.mu.Unlock()
		})
	}, true
}

// callerNumber is who the caller is, as far as we can tell: the number a
// trusted trunk asserts (P-Asserted-Identity, RFC 3325) if the INVITE comes
// from a trusted source, else the From user, which the caller chooses freely.
// A PAI from anyone else is ignored (it is as spoofable as From).
func (e *Edge) callerNumber(req *sipmsg.Request) string {
	if h := req.GetHeader("P-Asserted-Identity"); h != nil {
		if ip := sourceIP(req); ip.IsValid() && e.guard.trusted(ip) {
			var u sipmsg.Uri
			v := strings.TrimSpace(h.Value())
			if i := strings.IndexByte(v, '<'); i >= 0 {
				if j := strings.IndexByte(v[i:], '>'); j > 0 {
					v = v[i+1 : i+j]
				}
			}
			if strings.HasPrefix(v, "tel:") {
				return strings.TrimPrefix(strings.SplitN(v, ";", 2)[0], "tel:")
			}
			if err := sipmsg.ParseUri(v, &u); err == nil && u.User != "" {
				return u.User
			}
		}
	}
	if f := req.From(); f != nil {
		return f.Address.User
	}
	return ""
}
