package dashboard

import (
	"context"
	"errors"
	"net/http"
)

// The caller page's Digital Credentials API routes (OpenID4VP 1.0
// Appendix A): the page fetches the session's request for
// navigator.credentials.get and posts back what the browser's wallet
// answered. The answer is bound to the page's origin, which is read from
// the Origin header the browser sets, never from the body the page
// writes.

// DCAPI is the part of the OpenID4VP verifier these routes use.
type DCAPI interface {
	// DCRequest is {"protocol","data"} for navigator.credentials.get;
	// protocol "" is the signed one. A Refusal error is the caller's
	// fault (an unknown protocol); others mean no live session.
	DCRequest(sessionID, protocol string) ([]byte, error)
	// HandleDCResponse checks the posted {"protocol","data"} answer from
	// origin; a refusal is an error with a ReasonCode.
	HandleDCResponse(ctx context.Context, sessionID, origin string, body []byte) error
}

func (s *Server) dcRequest(w http.ResponseWriter, r *http.Request) {
	if s.openID4VPDisabled(w) {
		return
	}
	body, err := s.cfg.OpenID4VP.DCRequest(r.PathValue("id"), r.URL.Query().Get("protocol"))
	if err != nil {
		var ref Refusal
		if errors.As(err, &ref) {
			writeError(w, http.StatusBadRequest, ref.ReasonCode(), refusalDetail(ref))
			return
		}
		writeError(w, http.StatusNotFound, "unknown_session", err.Error())
		return
	}
	writeNoStore(w, "application/json", body)
}

func (s *Server) dcResponse(w http.ResponseWriter, r *http.Request) {
	body, ok := s.walletBody(w, r, "application/json", `send {"protocol","data"} as application/json`)
	if !ok {
		return
	}
	// Browsers send Origin on every POST; a missing one is refused by the
	// verifier as origin_not_expected, like a foreign one.
	s.answerWallet(w, r, s.cfg.OpenID4VP.HandleDCResponse(r.Context(), r.PathValue("id"), r.Header.Get("Origin"), body))
}
