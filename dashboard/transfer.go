package dashboard

import (
	"errors"
	"net/http"

	"github.com/frontdoor-project/frontdoor/calls"
)

// AuditKindTransfer is the audit kind of a transfer asked through the API.
const AuditKindTransfer = "call.transfer"

type transferRequest struct {
	To string `json:"to"` // agency id or legacy number
}

// transfer hands a call in progress to another agency's queue (blind transfer):
// POST /api/v1/calls/{id}/transfer {"to"}. An agent may transfer only its own
// call; supervisors and admins any. The softphone's transfer button uses it.
// In a cluster the call may be held on another node: the check is made here,
// from this node's session, and the switchboard forwards the transfer. Every
// request past its body, refused ones too, is an audit record.
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
	status, code, detail := http.StatusAccepted, "", ""
	if !p.atLeast(roleSupervisor) && !s.ownsCall(p.ID, callID) {
		status, code, detail = http.StatusForbidden, "forbidden", "agents transfer only their own calls"
	} else if err := s.cfg.Transfer(r.Context(), callID, req.To, p.ID); err != nil {
		status, code, detail = transferStatus(w, err)
	}
	s.auditCallAction(r, AuditEntry{Kind: AuditKindTransfer, Actor: p.ID, State: req.To, Detail: "call=" + callID}, code, detail)
	if code != "" {
		writeError(w, status, code, detail)
		return
	}
	writeJSON(w, status, map[string]string{"call_id": callID, "to": req.To})
}

// transferStatus is the answer to a transfer the core refused.
func transferStatus(w http.ResponseWriter, err error) (status int, code, detail string) {
	if status, code, ok := callActionError(w, err); ok {
		return status, code, err.Error()
	}
	if errors.Is(err, calls.ErrUnknownTarget) {
		return http.StatusNotFound, "unknown_agency", err.Error()
	}
	return http.StatusConflict, "not_connected", err.Error()
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
