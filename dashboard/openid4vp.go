package dashboard

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	qrcode "github.com/skip2/go-qrcode"
)

// OpenID4VP is the OpenID4VP verifier (identity/openid4vp.Verifier) as the
// HTTP edge uses it; nil in Config turns the request_uri and response_uri
// routes off and leaves request_uri/wallet_url out of session answers.
type OpenID4VP interface {
	// Offer opens the exchange for a session just made.
	Offer(sessionID string) (requestURI, walletURL string, err error)
	// RequestObject is the signed request object (a compact JWS); an error
	// means the session has no live exchange (unknown or expired).
	RequestObject(sessionID string) ([]byte, error)
	// HandleResponse checks a wallet's answer; a refusal is an error with a
	// ReasonCode (see Refusal).
	HandleResponse(ctx context.Context, sessionID string, form url.Values) error
	// WalletURL is a live session's openid4vp:// link (false once it
	// expired or was answered), for its QR code.
	WalletURL(sessionID string) (string, bool)
	DCAPI
}

// maxWalletResponse bounds a response_uri body: an encrypted SD-JWT
// presentation or mdoc DeviceResponse is a few KiB.
const maxWalletResponse = 64 << 10

// requestObjectType is the RFC 9101 media type of a request object.
const requestObjectType = "application/oauth-authz-req+jwt"

// walletError is the OAuth-style error body of the response_uri (OpenID4VP
// 1.0 §8.2), which the contract uses instead of this API's usual shape.
type walletError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

func writeWalletError(w http.ResponseWriter, status int, code, detail string) {
	writeJSON(w, status, walletError{Error: code, ErrorDescription: detail})
}

func (s *Server) openID4VPDisabled(w http.ResponseWriter) bool {
	if s.cfg.OpenID4VP != nil {
		return false
	}
	writeError(w, http.StatusNotFound, "openid4vp_disabled", "OpenID4VP is off on this server (no verifier certificate configured)")
	return true
}

func (s *Server) requestObject(w http.ResponseWriter, r *http.Request) {
	if s.openID4VPDisabled(w) {
		return
	}
	jwt, err := s.cfg.OpenID4VP.RequestObject(r.PathValue("id"))
	if err != nil {
		// Unknown and expired look alike to a wallet: nothing to answer.
		writeError(w, http.StatusNotFound, "unknown_session", err.Error())
		return
	}
	// A request object carries a one-time nonce and state: never cache it.
	writeNoStore(w, requestObjectType, jwt)
}

// writeNoStore answers 200 with a body that belongs to one session's
// one-time request, which a cached copy would outlive.
func writeNoStore(w http.ResponseWriter, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// qrModulePx is the QR code's module side in pixels. Whole pixels: a
// fixed image side (it was 320 px for a 65-module symbol, 4.92 px a
// module) draws modules of uneven width, which readers that sample the
// grid misread. 8 px keeps a version-10 wallet link (about 190
// characters, medium recovery, 4-module quiet zone: 65 modules) at 520 px,
// readable by a phone camera from a screen at arm's length.
const qrModulePx = 8

// walletQR is a live session's wallet link as a QR code (PNG), for a wallet
// on another device. No login: knowing the unguessable session id is
// enough, as for the request object it points to.
func (s *Server) walletQR(w http.ResponseWriter, r *http.Request) {
	if s.openID4VPDisabled(w) {
		return
	}
	link, ok := s.cfg.OpenID4VP.WalletURL(r.PathValue("id"))
	if !ok {
		writeError(w, http.StatusNotFound, "unknown_session", "no live OpenID4VP request for this session")
		return
	}
	png, err := walletQRPNG(link)
	if err != nil {
		s.log.Error("wallet qr code", "session", r.PathValue("id"), "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "could not draw the QR code")
		return
	}
	writeNoStore(w, "image/png", png)
}

func (s *Server) walletResponse(w http.ResponseWriter, r *http.Request) {
	body, ok := s.walletBody(w, r, "application/x-www-form-urlencoded", "send the response form-encoded (application/x-www-form-urlencoded)")
	if !ok {
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		writeWalletError(w, http.StatusBadRequest, "invalid_request", "the body is not a valid form: "+err.Error())
		return
	}
	s.answerWallet(w, r, s.cfg.OpenID4VP.HandleResponse(r.Context(), r.PathValue("id"), form))
}

// walletBody reads a wallet answer's body of the given media type; false
// when it has already answered the refusal.
func (s *Server) walletBody(w http.ResponseWriter, r *http.Request, mediaType, hint string) ([]byte, bool) {
	if s.cfg.OpenID4VP == nil {
		writeWalletError(w, http.StatusNotFound, "openid4vp_disabled", "OpenID4VP is off on this server")
		return nil, false
	}
	if !isMediaType(r.Header.Get("Content-Type"), mediaType) {
		writeWalletError(w, http.StatusBadRequest, "invalid_request", hint)
		return nil, false
	}
	body, rerr := readBody(w, r, maxWalletResponse)
	if rerr != nil {
		writeWalletError(w, rerr.status, "invalid_request", rerr.detail)
		return nil, false
	}
	return body, true
}

// answerWallet writes a wallet answer's verdict: 200 {} when verified,
// else 400 with the refusal's code.
func (s *Server) answerWallet(w http.ResponseWriter, r *http.Request, err error) {
	if err != nil {
		var ref Refusal
		if !errors.As(err, &ref) {
			s.log.Error("openid4vp response", "session", r.PathValue("id"), "err", err)
			writeWalletError(w, http.StatusInternalServerError, "server_error", "the response could not be checked")
			return
		}
		// The contract answers every refusal 400, whatever the rule.
		writeWalletError(w, http.StatusBadRequest, ref.ReasonCode(), refusalDetail(ref))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, struct{}{})
}

// refusalDetail is a refusal's detail without its code.
func refusalDetail(ref Refusal) string {
	if d, ok := ref.(interface{ ReasonDetail() string }); ok {
		return d.ReasonDetail()
	}
	return ref.Error()
}

// walletQRPNG draws a wallet link's QR code.
func walletQRPNG(link string) ([]byte, error) {
	// A negative size is pixels per module in skip2/go-qrcode; its border
	// is the 4-module quiet zone the QR standard asks for.
	return qrcode.Encode(link, qrcode.Medium, -qrModulePx)
}
