package dashboard

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"
)

// IdentitySession is a verification session as the API shows it.
type IdentitySession struct {
	ID        string
	Nonce     string
	Aud       string
	Code      string // short code read out on the phone
	ExpiresAt time.Time
	CallID    string
	Claims    []string // claim names the verifier asks for
}

// Identity is the verifier as the HTTP edge uses it. identity.Service fits
// through a small adapter that copies Session into IdentitySession, adds the
// configured claim names, and passes method on to the audit and metrics.
type Identity interface {
	NewSession(callID string) (IdentitySession, error)
	ByCode(code string) (IdentitySession, bool)
	// Present checks a presentation for a session. method names the channel
	// it came through ("web" from this edge). A refusal is an error that
	// has a ReasonCode (see Refusal); anything else is an internal failure.
	Present(ctx context.Context, sessionID string, presentation []byte, method string) (map[string]string, error)
}

// Refusal is how a verifier error names its reason code. errors.As finds it
// anywhere in a wrapped chain; ReasonDetail, when present, gives the detail.
type Refusal interface {
	error
	ReasonCode() string
}

// IdentityRefusal is a ready-made Refusal for adapters.
type IdentityRefusal struct{ Code, Detail string }

func (r *IdentityRefusal) Error() string        { return "identity refused: " + r.Code + ": " + r.Detail }
func (r *IdentityRefusal) ReasonCode() string   { return r.Code }
func (r *IdentityRefusal) ReasonDetail() string { return r.Detail }

// presentationMethod is the method label for presentations posted here
// (identity.MethodWeb; an adapter that knows better, say a session the IVR
// opened, may label it otherwise).
const presentationMethod = "web"

// presentationTypes are the media types a presentation may come as: the
// current one and the legacy name from before draft-ietf-oauth-sd-jwt-vc-06.
var presentationTypes = []string{"application/dc+sd-jwt", "application/vc+sd-jwt"}

// refusalStatuses maps the verifier's reason codes (identity.Code*) to HTTP
// statuses, in one place. A code not listed (malformed, bad_typ, bad_alg,
// bad_vct, bad_disclosure, and any added later) is 400 Bad Request.
var refusalStatuses = map[string]int{
	// Proof of possession or the signature failed: 401.
	"bad_signature":       http.StatusUnauthorized,
	"missing_key_binding": http.StatusUnauthorized,
	"bad_key_binding":     http.StatusUnauthorized,
	"wrong_nonce":         http.StatusUnauthorized,
	"wrong_audience":      http.StatusUnauthorized,
	"stale_kb":            http.StatusUnauthorized,
	"bad_sd_hash":         http.StatusUnauthorized,
	// A well-formed credential this verifier will not accept: 403.
	"unknown_issuer": http.StatusForbidden,
	"expired":        http.StatusForbidden,
	"not_yet_valid":  http.StatusForbidden,
	"revoked":        http.StatusForbidden,
	"suspended":      http.StatusForbidden,
	// The session: gone, spent, or never there.
	"unknown_session": http.StatusNotFound,
	"replayed":        http.StatusConflict,
	"session_expired": http.StatusGone,
	// The status list could not be fetched: try again later.
	"status_unavailable": http.StatusServiceUnavailable,
}

func refusalStatus(code string) int {
	if st, ok := refusalStatuses[code]; ok {
		return st
	}
	return http.StatusBadRequest
}

type sessionRequest struct {
	CallID string `json:"call_id"`
}

type sessionResponse struct {
	ID        string    `json:"id"`
	Nonce     string    `json:"nonce"`
	Aud       string    `json:"aud"`
	Code      string    `json:"code"`
	ExpiresAt time.Time `json:"expires_at"`
	CallID    string    `json:"call_id,omitempty"`
	// RequestURI and WalletURL start an OpenID4VP exchange; absent when
	// OpenID4VP is off.
	RequestURI string `json:"request_uri,omitempty"`
	WalletURL  string `json:"wallet_url,omitempty"`
}

type codeResponse struct {
	ID     string   `json:"id"`
	Nonce  string   `json:"nonce"`
	Aud    string   `json:"aud"`
	Claims []string `json:"claims"`
}

type presentationResponse struct {
	Verified bool              `json:"verified"`
	Claims   map[string]string `json:"claims"`
}

type presentationRefusal struct {
	Verified bool   `json:"verified"`
	Error    string `json:"error"`
	Detail   string `json:"detail"`
}

func (s *Server) identityDisabled(w http.ResponseWriter) bool {
	if s.cfg.Identity != nil {
		return false
	}
	writeError(w, http.StatusNotFound, "identity_disabled", "identity verification is off on this server")
	return true
}

func (s *Server) newIdentitySession(w http.ResponseWriter, r *http.Request) {
	if s.identityDisabled(w) {
		return
	}
	var req sessionRequest
	if err := decodeJSON(w, r, &req, true); err != nil {
		err.write(w)
		return
	}
	sess, err := s.cfg.Identity.NewSession(req.CallID)
	if err != nil {
		s.log.Error("new identity session", "call", req.CallID, "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "could not open a verification session")
		return
	}
	resp := sessionResponse{ID: sess.ID, Nonce: sess.Nonce, Aud: sess.Aud,
		Code: sess.Code, ExpiresAt: sess.ExpiresAt.UTC(), CallID: sess.CallID}
	if s.cfg.OpenID4VP != nil {
		resp.RequestURI, resp.WalletURL, err = s.cfg.OpenID4VP.Offer(sess.ID)
		if err != nil {
			s.log.Error("openid4vp offer", "session", sess.ID, "err", err)
			writeError(w, http.StatusInternalServerError, "internal", "could not open an OpenID4VP request")
			return
		}
	}
	writeJSON(w, http.StatusCreated, resp)
}

func (s *Server) identityByCode(w http.ResponseWriter, r *http.Request) {
	if s.identityDisabled(w) {
		return
	}
	sess, ok := s.cfg.Identity.ByCode(r.PathValue("code"))
	if !ok {
		writeError(w, http.StatusNotFound, "unknown_code", "no open verification session has that code")
		return
	}
	writeJSON(w, http.StatusOK, codeResponse{ID: sess.ID, Nonce: sess.Nonce, Aud: sess.Aud, Claims: nonNil(sess.Claims)})
}

func (s *Server) presentation(w http.ResponseWriter, r *http.Request) {
	if s.identityDisabled(w) {
		return
	}
	refuse := func(status int, code, detail string) { writePresentationRefusal(w, status, code, detail) }
	if !acceptedPresentationType(r.Header.Get("Content-Type")) {
		refuse(http.StatusUnsupportedMediaType, "unsupported_media_type",
			"send the presentation as application/dc+sd-jwt")
		return
	}
	body, rerr := readBody(w, r, maxPresentationBody)
	if rerr != nil {
		refuse(rerr.status, rerr.code, rerr.detail)
		return
	}
	body = []byte(strings.TrimSpace(string(body)))
	if len(body) == 0 {
		refuse(http.StatusBadRequest, "malformed", "the body is empty; send the SD-JWT+KB presentation")
		return
	}
	claims, err := s.cfg.Identity.Present(r.Context(), r.PathValue("id"), body, presentationMethod)
	if err != nil {
		var ref Refusal
		if !errors.As(err, &ref) {
			s.log.Error("identity presentation", "session", r.PathValue("id"), "err", err)
			refuse(http.StatusInternalServerError, "internal", "the presentation could not be checked")
			return
		}
		detail := ref.Error()
		if d, ok := ref.(interface{ ReasonDetail() string }); ok {
			detail = d.ReasonDetail()
		}
		refuse(refusalStatus(ref.ReasonCode()), ref.ReasonCode(), detail)
		return
	}
	if claims == nil {
		claims = map[string]string{}
	}
	writeJSON(w, http.StatusOK, presentationResponse{Verified: true, Claims: claims})
}

// writePresentationRefusal is writeError for the presentation route, whose
// answers all say whether the caller was verified.
func writePresentationRefusal(w http.ResponseWriter, status int, code, detail string) {
	writeJSON(w, status, presentationRefusal{Error: code, Detail: detail})
}

func acceptedPresentationType(header string) bool {
	for _, t := range presentationTypes {
		if isMediaType(header, t) {
			return true
		}
	}
	return false
}
