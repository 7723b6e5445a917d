package dashboard

import (
	"context"
	"errors"
	"net/http"

	"github.com/frontdoor-project/frontdoor/calls"
)

// AuditKindCoach is the audit kind of a supervisor's coaching request.
const AuditKindCoach = "supervisor.coach"

type coachRequest struct {
	Mode string `json:"mode"` // listen | whisper | barge
}

// coach lets a supervisor listen to, whisper into or barge in on a call in
// progress: POST /api/v1/calls/{id}/coach {"mode"}. The supervisor's registered
// phone rings; posting again changes the mode; hanging up that phone ends it.
// Every request, refused ones too, is an audit record.
func (s *Server) coach(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Coach == nil {
		writeError(w, http.StatusNotFound, "coaching_disabled", "coaching is not available")
		return
	}
	var req coachRequest
	if err := decodeJSON(w, r, &req, false); err != nil {
		err.write(w)
		return
	}
	p := principalFrom(r.Context())
	callID := r.PathValue("id")
	if p.ID == "" {
		// The admin token is automation, not a person with a phone to ring.
		writeError(w, http.StatusForbidden, "forbidden", "log in as a supervisor: coaching rings your phone")
		return
	}
	err := s.cfg.Coach(r.Context(), callID, p.ID, req.Mode)
	entry := AuditEntry{Time: s.clock.Now(), Kind: AuditKindCoach, Actor: p.ID, State: req.Mode, Result: "ok", Detail: "call=" + callID}
	status, code := http.StatusAccepted, ""
	if st, c, ok := callActionError(w, err); ok {
		status, code = st, c
	}
	switch {
	case err == nil, code != "":
	case errors.Is(err, calls.ErrBadState):
		status, code = http.StatusBadRequest, "bad_mode"
	case errors.Is(err, calls.ErrNotConnected):
		status, code = http.StatusConflict, "not_connected"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		status, code = http.StatusGatewayTimeout, "no_answer"
	default:
		status, code = http.StatusBadGateway, "phone_unreachable"
	}
	if err != nil {
		entry.Result, entry.Detail = code, entry.Detail+" "+err.Error()
	}
	if s.cfg.Audit != nil {
		if aerr := s.cfg.Audit(r.Context(), entry); aerr != nil {
			s.log.Error("audit coaching", "err", aerr)
		}
	}
	if err != nil {
		writeError(w, status, code, err.Error())
		return
	}
	writeJSON(w, status, map[string]string{"call_id": callID, "mode": req.Mode})
}
