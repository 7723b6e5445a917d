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
	status, code := coachStatus(w, err)
	s.auditCallAction(r, AuditEntry{Kind: AuditKindCoach, Actor: p.ID, State: req.Mode, Detail: "call=" + callID}, code, errText(err))
	if err != nil {
		writeError(w, status, code, err.Error())
		return
	}
	writeJSON(w, status, map[string]string{"call_id": callID, "mode": req.Mode})
}

// coachStatus is the answer to a coaching request (202 for nil).
func coachStatus(w http.ResponseWriter, err error) (status int, code string) {
	if status, code, ok := callActionError(w, err); ok {
		return status, code
	}
	switch {
	case err == nil:
		return http.StatusAccepted, ""
	case errors.Is(err, calls.ErrBadState):
		return http.StatusBadRequest, "bad_mode"
	case errors.Is(err, calls.ErrNotConnected):
		return http.StatusConflict, "not_connected"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout, "no_answer"
	}
	return http.StatusBadGateway, "phone_unreachable"
}

// auditCallAction records an action on a call (e's kind, actor, state and
// "call=<id>" detail): result "ok" for an empty code, else the code and the
// core's words.
func (s *Server) auditCallAction(r *http.Request, e AuditEntry, code, detail string) {
	if s.cfg.Audit == nil {
		return
	}
	e.Time, e.Result = s.clock.Now(), "ok"
	if code != "" {
		e.Result, e.Detail = code, e.Detail+" "+detail
	}
	if e.Actor == "" {
		e.Actor = adminActor
	}
	if err := s.cfg.Audit(r.Context(), e); err != nil {
		s.log.Error("audit "+e.Kind, "err", err)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
