package dashboard

import "github.com/frontdoor-project/frontdoor/calls"

// Scoper is what a Directory may also tell: the agencies an id works for.
// An agent sees live only the calls of those agencies (and its own call),
// so one agency's agents do not watch another agency's callers. A
// Directory without it leaves every agent unscoped.
type Scoper interface {
	// Agencies are id's agencies (an agent's skills).
	Agencies(id string) []string
}

// scope says which calls p may see; nil: all of them. Supervisors and
// the admin token see every call; an agent its agencies' calls and the call
// it is on. A call still in the IVR has no agency and is seen by no agent.
func (s *Server) scope(p principal) func(calls.CallStatus) bool {
	if p.atLeast(roleSupervisor) {
		return nil
	}
	sc, ok := s.cfg.Directory.(Scoper)
	if !ok {
		return nil
	}
	mine := map[string]bool{}
	for _, a := range sc.Agencies(p.ID) {
		mine[a] = true
	}
	return func(c calls.CallStatus) bool {
		return (c.Agent != "" && c.Agent == p.ID) || (c.Agency != "" && mine[c.Agency])
	}
}

// visibleCalls is list narrowed to what p may see, identities redacted.
func (s *Server) visibleCalls(p principal, list []calls.CallStatus) []calls.CallStatus {
	in := s.scope(p)
	out := list[:0]
	for _, c := range list {
		if in == nil || in(c) {
			out = append(out, redactCall(p, c))
		}
	}
	return out
}

// streamScope follows one event stream's view: a call event outside the
// viewer's scope is dropped, unless the viewer was shown that call before
// (it moved to another agency): then it gets {call_id, state:
// "out_of_scope"}, so its page drops the call, and nothing else of it.
type streamScope struct {
	in    func(calls.CallStatus) bool
	shown map[string]bool
}

func (s *Server) newStreamScope(p principal, snapshot []calls.CallStatus) *streamScope {
	ss := &streamScope{in: s.scope(p), shown: map[string]bool{}}
	for _, c := range snapshot {
		ss.shown[c.ID] = true
	}
	return ss
}

// call returns what the viewer gets of c, and whether it gets anything.
func (ss *streamScope) call(c calls.CallStatus) (calls.CallStatus, bool) {
	if ss.in == nil {
		return c, true
	}
	if ss.in(c) && c.State != "ended" {
		ss.shown[c.ID] = true
		return c, true
	}
	if ss.in(c) {
		delete(ss.shown, c.ID)
		return c, true
	}
	if ss.shown[c.ID] {
		delete(ss.shown, c.ID)
		return calls.CallStatus{ID: c.ID, State: "out_of_scope"}, true
	}
	return calls.CallStatus{}, false
}
