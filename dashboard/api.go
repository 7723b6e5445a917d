package dashboard

import (
	"errors"
	"net/http"
	"unicode"
	"unicode/utf8"

	"github.com/frontdoor-project/frontdoor/calls"
)

// settableStates are the states a person may ask for; ringing, busy and
// wrap_up follow from calls and are the core's to set.
var settableStates = map[string]bool{"ready": true, "not_ready": true, "logged_out": true}

const maxReasonLen = 100

func (s *Server) queues(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, nonNil(s.cfg.View.Queues()))
}

func (s *Server) agents(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, nonNil(s.cfg.View.Agents()))
}

func (s *Server) calls(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	writeJSON(w, http.StatusOK, nonNil(s.visibleCalls(p, s.cfg.View.Calls())))
}

// redactCall hides a caller's verified identity from agents other than the
// one on the call: supervisors see everything, an agent only its own caller.
func redactCall(p principal, c calls.CallStatus) calls.CallStatus {
	if p.atLeast(roleSupervisor) || c.Agent == p.ID {
		return c
	}
	c.Identity = nil
	return c
}

type stateRequest struct {
	State  string `json:"state"`
	Reason string `json:"reason"`
}

func (s *Server) setAgentState(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	id := r.PathValue("id")
	// An agent asking about someone else learns nothing, not even whether
	// that id exists.
	if !p.atLeast(roleSupervisor) && id != p.ID {
		writeError(w, http.StatusForbidden, "forbidden", "an agent may change only its own state")
		return
	}
	var req stateRequest
	if err := decodeJSON(w, r, &req, false); err != nil {
		err.write(w)
		return
	}
	if !settableStates[req.State] {
		writeError(w, http.StatusBadRequest, "bad_state",
			`state must be "ready", "not_ready" or "logged_out", not "`+req.State+`"`)
		return
	}
	if !validReason(req.Reason) {
		writeError(w, http.StatusBadRequest, "bad_reason",
			"reason must be one line of text of at most 100 characters, without control characters or '|'")
		return
	}
	err := s.cfg.View.SetAgentState(r.Context(), id, req.State, req.Reason)
	if p.atLeast(roleSupervisor) {
		s.audit(r.Context(), p, id, req, err)
	}
	switch {
	case err == nil:
	case errors.Is(err, calls.ErrUnknownAgent):
		writeError(w, http.StatusNotFound, "unknown_agent", "no agent "+id)
		return
	case errors.Is(err, calls.ErrBadState):
		writeError(w, http.StatusConflict, "state_conflict", err.Error())
		return
	default:
		s.log.Error("set agent state", "agent", id, "state", req.State, "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "could not change the state")
		return
	}
	s.log.Info("agent state set", "agent", id, "state", req.State, "reason", req.Reason, "by", p.ID, "role", p.Role)
	for _, a := range s.cfg.View.Agents() {
		if a.ID == id {
			writeJSON(w, http.StatusOK, a)
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"id": id, "state": req.State, "reason": req.Reason})
}

// nonNil makes an empty list encode as [] rather than null.
func nonNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}

// validReason: a pause reason lands in the queue_log, the audit trail and
// the dashboards, so it is one line of printable text: valid UTF-8, at most
// maxReasonLen characters, no control character (a newline would forge a
// queue_log line) and no '|' (the queue_log's field separator).
func validReason(s string) bool {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxReasonLen {
		return false
	}
	for _, r := range s {
		if r == '|' || unicode.IsControl(r) {
			return false
		}
	}
	return true
}
