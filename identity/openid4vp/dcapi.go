package openid4vp

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/frontdoor-project/frontdoor/identity"
)

// OpenID4VP over the W3C Digital Credentials API (OpenID4VP 1.0 Appendix
// A): the caller page hands the request to navigator.credentials.get, the
// browser passes it with the page's origin to a wallet the citizen picks,
// and the wallet's answer comes back to the page, which posts it here.
// There is no response_uri and no state: the answer is bound to the origin
// the browser asserted (KB-JWT aud "origin:<origin>", mdoc
// OpenID4VPDCAPIHandover), which is what stops a request relayed through
// another site from being answered for it.

// Exchange protocols (Appendix A.1).
const (
	ProtocolSigned   = "openid4vp-v1-signed"
	ProtocolUnsigned = "openid4vp-v1-unsigned"
)

// Response modes over the DC API (Appendix A.2).
const (
	ModeDCAPI    = "dc_api"
	ModeDCAPIJWT = "dc_api.jwt"
)

// Path suffixes, beside RequestPath and ResponsePath: where the caller page
// fetches a DC API request and posts the wallet's answer.
const (
	DCRequestPath  = "/dc-request"
	DCResponsePath = "/dc-response"
)

// OriginPrefix makes an origin an audience (Appendix A.4).
const OriginPrefix = "origin:"

// OriginAudience is the KB-JWT aud of a presentation over the DC API.
func OriginAudience(origin string) string { return OriginPrefix + origin }

// DCRequest is one entry of navigator.credentials.get's digital.requests:
// the protocol and its data, {"request": "<JWS>"} for a signed request or
// the request parameters themselves for an unsigned one.
type DCRequest struct {
	Protocol string          `json:"protocol"`
	Data     json.RawMessage `json:"data"`
}

// DCResponse is what the browser's DigitalCredential carries back and the
// page posts: the protocol and the wallet's data ({"response": "<JWE>"}
// for dc_api.jwt, {"vp_token": {…}} for dc_api, or {"error": …}).
type DCResponse struct {
	Protocol string          `json:"protocol"`
	Data     json.RawMessage `json:"data"`
}

// ErrUnknownProtocol is returned by DCRequest for a protocol this verifier
// does not speak; a refusal (invalid_request), so HTTP edges answer 400.
var ErrUnknownProtocol = identity.Refuse(CodeInvalidRequest, "protocol is not %s or %s", ProtocolSigned, ProtocolUnsigned)

// ExpectedOrigins are the origins a DC API answer may come from.
func (v *Verifier) ExpectedOrigins() []string { return append([]string(nil), v.cfg.ExpectedOrigins...) }

// dcMode is the DC API counterpart of the configured response mode.
func (v *Verifier) dcMode() string {
	if v.cfg.ResponseMode == ModeDirectPost {
		return ModeDCAPI
	}
	return ModeDCAPIJWT
}

// DCRequest is the session's request for the Digital Credentials API as
// JSON ({"protocol", "data"}), signed (default, protocol "" too) or
// unsigned. Both ask the same DCQL query under the same nonce and
// encryption key as the session's request_uri: one session, one answer,
// whichever way it comes.
func (v *Verifier) DCRequest(sessionID, protocol string) ([]byte, error) {
	if protocol == "" {
		protocol = ProtocolSigned
	}
	if protocol != ProtocolSigned && protocol != ProtocolUnsigned {
		return nil, ErrUnknownProtocol
	}
	r, now, err := v.live(sessionID)
	if err != nil {
		return nil, err
	}
	params := map[string]any{
		"response_type":   "vp_token",
		"response_mode":   v.dcMode(),
		"nonce":           r.sess.Nonce,
		"dcql_query":      v.dcqlQuery(),
		"client_metadata": v.clientMetadata(r),
	}
	var data any = params
	if protocol == ProtocolSigned {
		// A.2: client_id must be in a signed request (and is left out of an
		// unsigned one, where the origin is the verifier's identity), and
		// expected_origins lets the wallet refuse a request replayed by
		// another site.
		params["client_id"] = v.clientID
		params["expected_origins"] = v.cfg.ExpectedOrigins
		params["iat"] = now.Unix()
		params["exp"] = r.sess.ExpiresAt.Unix()
		jws, err := v.sign(params)
		if err != nil {
			return nil, err
		}
		data = map[string]string{"request": jws}
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("openid4vp: DC API request: %w", err)
	}
	out, err := json.Marshal(DCRequest{Protocol: protocol, Data: raw})
	if err != nil {
		return nil, fmt.Errorf("openid4vp: DC API request: %w", err)
	}
	return out, nil
}

// RespondDC checks an answer the caller page posts from the Digital
// Credentials API: body is the DCResponse JSON, origin the page's origin
// as the HTTP edge read it from the Origin header (never from the body,
// which the page writes). The error is an *identity.Refusal.
func (v *Verifier) RespondDC(ctx context.Context, sessionID, origin string, body []byte) (identity.Claims, error) {
	return v.respond(ctx, sessionID, true, func(r *request) (answer, *identity.Refusal) {
		return v.decodeDC(r, origin, body)
	})
}

// HandleDCResponse is RespondDC for HTTP edges that only need the verdict.
func (v *Verifier) HandleDCResponse(ctx context.Context, sessionID, origin string, body []byte) error {
	_, err := v.RespondDC(ctx, sessionID, origin, body)
	return err
}

// decodeDC opens a DC API answer: the origin first (a page we do not
// serve has no business answering), then the wallet's data.
func (v *Verifier) decodeDC(r *request, origin string, body []byte) (answer, *identity.Refusal) {
	a := answer{origin: origin}
	if origin == "" {
		return a, identity.Refuse(CodeOriginNotExpected, "no Origin header: post the answer from the caller page")
	}
	if !v.origins[origin] {
		return a, identity.Refuse(CodeOriginNotExpected, "origin %q is not one of identity.expected_origins", origin)
	}
	var resp DCResponse
	if err := json.Unmarshal(body, &resp); err != nil {
		return a, identity.Refuse(CodeInvalidRequest, "the body is not {\"protocol\", \"data\"} JSON: %v", err)
	}
	if resp.Protocol != ProtocolSigned && resp.Protocol != ProtocolUnsigned {
		return a, identity.Refuse(CodeInvalidRequest, "protocol %q is not %s or %s", resp.Protocol, ProtocolSigned, ProtocolUnsigned)
	}
	var data struct {
		Response         string          `json:"response"`
		VPToken          json.RawMessage `json:"vp_token"`
		Error            string          `json:"error"`
		ErrorDescription string          `json:"error_description"`
	}
	if err := json.Unmarshal(resp.Data, &data); err != nil {
		return a, identity.Refuse(CodeInvalidRequest, "data is not a JSON object: %v", err)
	}
	var rawToken []byte
	switch {
	case data.Response != "":
		if v.dcMode() != ModeDCAPIJWT {
			return a, identity.Refuse(CodeInvalidRequest, "response_mode is dc_api: send vp_token unencrypted")
		}
		body, thumb, refusal := v.openResponse(r, data.Response)
		if refusal != nil {
			return a, refusal
		}
		rawToken, a.thumb = body["vp_token"], thumb
	case len(data.VPToken) > 0:
		if v.dcMode() == ModeDCAPIJWT {
			return a, identity.Refuse(CodeEncryptionRequired, "response_mode is dc_api.jwt: send the response encrypted in data.response")
		}
		rawToken = data.VPToken
	case data.Error != "":
		return a, identity.Refuse(CodeInvalidRequest, "wallet answered error %q: %s", data.Error, data.ErrorDescription)
	default:
		return a, identity.Refuse(CodeInvalidRequest, "data has no response or vp_token")
	}
	var refusal *identity.Refusal
	a.vpToken, refusal = parseVPToken(rawToken)
	return a, refusal
}
