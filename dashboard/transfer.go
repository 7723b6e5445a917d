package dashboard

import (
	"errors"
	"net/http"

	"github.com/frontdoor-project/frontdoor/calls"
)

type transferRequest struct {
	To string `json:"to"` // agency id or legacy number
}

// transfer hands a call in progress to another agency's queue (blind transfer):
// POST /api/v1/calls/{id}/transfer {"to"}. An agent may transfer only its own
// call; supervisors and admins any. The softphone's transfer button uses it.
// In a cluster the call may be held on another node: the check is made here,
// from this node's session, and the switchboard forwards the transfer.
func (s *Server) transfer(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Transfer == nil {
		writeError(w, http.StatusNotFound, "transfer_disabled", "transfers are not available")
		return
	}
	var req transferRequest
	if err := decodeJSON(w, r, &req, false); err != nil {
		err.write(w)
		return
	}
	callID := r.PathValue("id")
	p := principalFrom(r.Context())
	if !p.atLeast(roleSupervisor) && !s.ownsCall(p.ID, callID) {
		writeError(w, http.StatusForbidden, "forbidden", "agents transfer only their own calls")
		return
	}
	err := s.cfg.Transfer(r.Context(), callID, req.To, p.ID)
	if status, code, ok := callActionError(w, err); ok {
		writeError(w, status, code, err.Error())
		return
	}
	switch {
	case err == nil:
		writeJSON(w, http.StatusAccepted, map[string]string{"call_id": callID, "to": req.To})
	case errors.Is(err, calls.ErrUnknownTarget):
		writeError(w, http.StatusNotFound, "unknown_agency", err.Error())
	default:
		writeError(w, http.StatusConflict, "not_connected", err.Error())
	}
}

// ownsCall tells whether agentID is the agent connected to callID.
func (s *Server) ownsCall(agentID, callID string) bool {
	if agentID == "" {
		return false
	}
	for _, c := range s.cfg.View.Calls() {
		if c.ID == callID {
			return c.Agent == agentID
		}
	}
	return false
}
