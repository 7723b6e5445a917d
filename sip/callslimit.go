package sip

import (
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
