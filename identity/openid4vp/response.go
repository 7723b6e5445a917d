package openid4vp

import (
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/frontdoor-project/frontdoor/identity"
	"github.com/frontdoor-project/frontdoor/identity/mdoc"
	"github.com/frontdoor-project/frontdoor/identity/sdjwt"
)

// Refusal codes of the OpenID4VP envelope, one per rule; the SD-JWT VC
// rules keep the identity.Code* codes.
const (
	CodeInvalidRequest     = "invalid_request"
	CodeWrongState         = "wrong_state"
	CodeEncryptionRequired = "encryption_required"
	CodeBadEncryption      = "bad_encryption"
	CodeDCQLUnanswered     = "dcql_unanswered"
	CodeUnrequestedClaims  = "unrequested_claims"
	CodeUnsupportedFormat  = "unsupported_format"
	// Digital Credentials API answers (Appendix A): the page that posted
	// the answer is not one of identity.expected_origins, or the
	// presentation is bound to another origin than the page's.
	CodeOriginNotExpected = "origin_not_expected"
	CodeWrongOrigin       = "wrong_origin"
	CodeBadVCT            = identity.CodeBadVCT
	CodeReplayed          = identity.CodeReplayed
	CodeSessionExpired    = identity.CodeSessionExpired
	CodeUnknownSession    = identity.CodeUnknownSession
)

// Codes are the refusal codes this package adds, for pre-registered metrics.
var Codes = []string{CodeInvalidRequest, CodeWrongState, CodeEncryptionRequired, CodeBadEncryption,
	CodeDCQLUnanswered, CodeUnrequestedClaims, CodeUnsupportedFormat, CodeOriginNotExpected, CodeWrongOrigin}

// Transcript is what an mdoc's SessionTranscript binds to (OpenID4VP 1.0
// Appendix B.2.6.1 OpenID4VPHandover, B.2.6.2 OpenID4VPDCAPIHandover).
type Transcript struct {
	ClientID    string
	ResponseURI string
	Nonce       string
	// JWKThumbprint is the RFC 7638 SHA-256 thumbprint of the ephemeral
	// encryption key for direct_post.jwt and dc_api.jwt; nil for plain.
	JWKThumbprint []byte
	// Origin is set for Digital Credentials API answers: the transcript is
	// then OpenID4VPDCAPIHandover (B.2.6.2) over origin, nonce and thumbprint.
	Origin string
}

// MdocVerifier checks an ISO 18013-5 DeviceResponse (the decoded
// vp_token["mdl"] entry) against the trust anchors it was built with
// (identity.mdoc_trust_anchors) and returns the disclosed elements of the
// org.iso.18013.5.1 namespace by name. Errors that are *identity.Refusal
// keep their code; others are refused as malformed.
type MdocVerifier interface {
	Verify(deviceResponse []byte, t Transcript) (claims map[string]string, err error)
}

// answer is a decoded response, before the credential checks.
type answer struct {
	vpToken map[string][]string
	thumb   []byte
	// origin is set for Digital Credentials API answers: the presentation
	// binds to it (KB-JWT aud origin:<origin>, OpenID4VPDCAPIHandover)
	// instead of to client_id and response_uri (OpenID4VP 1.0 A.4, B.2.6.2).
	origin string
}

// Respond checks a wallet's POST to the response_uri (form fields already
// parsed) and records the verdict on the session. The error is an
// *identity.Refusal.
func (v *Verifier) Respond(ctx context.Context, sessionID string, form url.Values) (identity.Claims, error) {
	return v.respond(ctx, sessionID, false, func(r *request) (answer, *identity.Refusal) { return v.decode(r, form) })
}

// respond runs one answer through the session: decode opens the envelope
// (its refusal is the verdict), then the credential is checked. dc says
// the answer came over the Digital Credentials API, for the method label.
func (v *Verifier) respond(ctx context.Context, sessionID string, dc bool, decode func(*request) (answer, *identity.Refusal)) (identity.Claims, error) {
	r, known := v.lookup(sessionID)
	var a answer
	var envelope *identity.Refusal
	mdocOnly := false
	if known {
		a, envelope = decode(r)
		if envelope == nil {
			_, mdl := a.vpToken[QueryMDL]
			_, pid := a.vpToken[QueryPID]
			mdocOnly = mdl && !pid
		}
	}
	method := identity.MethodOpenID4VPSDJWT
	switch {
	case dc && mdocOnly:
		method = identity.MethodDCAPIMdoc
	case dc:
		method = identity.MethodDCAPISDJWT
	case mdocOnly:
		method = identity.MethodOpenID4VPMdoc
	}
	digest := ""
	if p := a.vpToken[QueryPID]; len(p) == 1 {
		digest = identity.CredentialDigest([]byte(p[0]))
	}
	return v.cfg.Service.PresentFunc(sessionID, method, digest, func(sess identity.Session) (identity.Verified, error) {
		if !known {
			return identity.Verified{}, identity.Refuse(CodeUnknownSession, "no OpenID4VP request for session %q", sessionID)
		}
		// One answer per request, whichever way it came: whatever the
		// first said, a second is refused, so a wallet cannot probe the
		// rules by retrying.
		v.mu.Lock()
		again := r.answered
		r.answered = true
		v.mu.Unlock()
		if again {
			return identity.Verified{}, identity.Refuse(CodeReplayed, "this request was already answered")
		}
		if envelope != nil {
			return identity.Verified{}, envelope
		}
		return v.check(ctx, sess, a)
	})
}

// decode opens the response envelope: a JWE (direct_post.jwt) or plain
// vp_token and state (direct_post, only when configured).
func (v *Verifier) decode(r *request, form url.Values) (answer, *identity.Refusal) {
	var a answer
	var state, rawToken string
	switch {
	case form.Get("response") != "":
		if v.cfg.ResponseMode != ModeDirectPostJWT {
			return a, identity.Refuse(CodeInvalidRequest, "response_mode is direct_post: send vp_token and state")
		}
		body, thumb, refusal := v.openResponse(r, form.Get("response"))
		if refusal != nil {
			return a, refusal
		}
		var st string
		if raw, ok := body["state"]; ok {
			if err := json.Unmarshal(raw, &st); err != nil {
				return a, identity.Refuse(CodeInvalidRequest, "state is not a string: %v", err)
			}
		}
		state, rawToken, a.thumb = st, string(body["vp_token"]), thumb
	case form.Get("vp_token") != "":
		if v.cfg.ResponseMode == ModeDirectPostJWT {
			return a, identity.Refuse(CodeEncryptionRequired, "response_mode is direct_post.jwt: send the response encrypted in the response parameter")
		}
		state, rawToken = form.Get("state"), form.Get("vp_token")
	default:
		if e := form.Get("error"); e != "" {
			return a, identity.Refuse(CodeInvalidRequest, "wallet answered error %q: %s", e, form.Get("error_description"))
		}
		return a, identity.Refuse(CodeInvalidRequest, "no response or vp_token parameter")
	}
	if state != r.state {
		return a, identity.Refuse(CodeWrongState, "state does not match the request's")
	}
	var refusal *identity.Refusal
	a.vpToken, refusal = parseVPToken([]byte(rawToken))
	return a, refusal
}

// parseVPToken reads a vp_token (OpenID4VP 1.0 §8.1): an object keyed by
// credential query id, each value an array of presentations (strings for
// both formats).
func parseVPToken(raw []byte) (map[string][]string, *identity.Refusal) {
	if len(raw) == 0 || string(raw) == "null" || string(raw) == `""` {
		return nil, identity.Refuse(CodeInvalidRequest, "no vp_token")
	}
	var tok map[string][]string
	if err := json.Unmarshal(raw, &tok); err != nil {
		return nil, identity.Refuse(CodeInvalidRequest, "vp_token is not an object of presentation arrays: %v", err)
	}
	return tok, nil
}

// openResponse decrypts an encrypted response (direct_post.jwt or
// dc_api.jwt) with the request's ephemeral key and returns its members
// and the key's RFC 7638 thumbprint, which an mdoc transcript includes.
func (v *Verifier) openResponse(r *request, compact string) (map[string]json.RawMessage, []byte, *identity.Refusal) {
	jwe, err := jose.ParseEncryptedCompact(compact, []jose.KeyAlgorithm{jose.ECDH_ES}, encValues)
	if err != nil {
		return nil, nil, identity.Refuse(CodeBadEncryption, "response JWE (ECDH-ES with A128GCM or A256GCM only): %v", err)
	}
	if kid := jwe.Header.KeyID; kid != "" && kid != r.encJWK.KeyID {
		return nil, nil, identity.Refuse(CodeBadEncryption, "response JWE kid %q is not the request's key", kid)
	}
	payload, err := jwe.Decrypt(r.encKey)
	if err != nil {
		return nil, nil, identity.Refuse(CodeBadEncryption, "response JWE does not decrypt with the request's key: %v", err)
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(payload, &body); err != nil {
		return nil, nil, identity.Refuse(CodeInvalidRequest, "decrypted response is not a JSON object: %v", err)
	}
	thumb, err := r.encJWK.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, nil, identity.Refuse(CodeBadEncryption, "thumbprint: %v", err)
	}
	return body, thumb, nil
}

// check verifies the credential that answers the DCQL query.
func (v *Verifier) check(ctx context.Context, sess identity.Session, a answer) (identity.Verified, error) {
	for id, list := range a.vpToken {
		if id != QueryPID && id != QueryMDL {
			return identity.Verified{}, identity.Refuse(CodeInvalidRequest, "vp_token answers %q, which was not asked", id)
		}
		if len(list) != 1 {
			// Neither query sets multiple: true, so one presentation each.
			return identity.Verified{}, identity.Refuse(CodeInvalidRequest, "vp_token[%q] holds %d presentations, want 1", id, len(list))
		}
	}
	pid, hasPID := a.vpToken[QueryPID]
	mdl, hasMDL := a.vpToken[QueryMDL]
	switch {
	case hasPID && hasMDL:
		return identity.Verified{}, identity.Refuse(CodeInvalidRequest, "vp_token answers both options of the credential set; send one")
	case hasPID:
		return v.checkPID(ctx, sess, pid[0], a.origin)
	case hasMDL:
		return v.checkMDL(sess, mdl[0], a)
	}
	return identity.Verified{}, identity.Refuse(CodeDCQLUnanswered, "vp_token answers neither %q nor %q", QueryPID, QueryMDL)
}

func (v *Verifier) checkPID(ctx context.Context, sess identity.Session, presentation, origin string) (identity.Verified, error) {
	aud := v.clientID
	if origin != "" {
		// OpenID4VP 1.0 A.4: over the DC API the audience is the origin,
		// "even for signed requests", not the client_id.
		aud = OriginAudience(origin)
	}
	got, err := v.cfg.Service.Verifier().Verify(ctx, []byte(presentation), sess.Nonce, identity.WithAudience(aud))
	if ref, ok := identity.AsRefusal(err); ok && origin != "" && ref.Code == identity.CodeWrongAudience {
		return got, identity.Refuse(CodeWrongOrigin, "%s: the presentation is bound to another origin than this page's", ref.Detail)
	}
	if err != nil {
		return got, err
	}
	if !v.vcts[got.VCT] {
		return got, identity.Refuse(CodeBadVCT, "credential type %q was not asked for", got.VCT)
	}
	p, err := sdjwt.Split(strings.TrimSpace(presentation))
	if err != nil {
		return got, identity.Refuse(identity.CodeMalformed, "%v", err)
	}
	// Data minimisation: a wallet disclosing more than the query asked
	// leaks it to us; refusing tells the wallet's developers.
	var extra []string
	for _, raw := range p.Disclosures {
		d, err := sdjwt.ParseDisclosure(raw)
		if err != nil {
			return got, identity.Refuse(identity.CodeBadDisclosure, "%v", err)
		}
		if !d.ArrayElement && !v.claims[d.Name] {
			extra = append(extra, d.Name)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return got, identity.Refuse(CodeUnrequestedClaims, "disclosed claims not asked for: %s", strings.Join(extra, ", "))
	}
	return got, nil
}

func (v *Verifier) checkMDL(sess identity.Session, encoded string, a answer) (identity.Verified, error) {
	if v.cfg.Mdoc == nil {
		return identity.Verified{}, identity.Refuse(CodeUnsupportedFormat, "this server does not verify mdoc (mso_mdoc) credentials")
	}
	dr, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(encoded, "="))
	if err != nil {
		return identity.Verified{}, identity.Refuse(CodeInvalidRequest, "vp_token[%q] is not base64url: %v", QueryMDL, err)
	}
	t := Transcript{ClientID: v.clientID, ResponseURI: v.sessionURL(sess.ID, ResponsePath), Nonce: sess.Nonce,
		JWKThumbprint: a.thumb, Origin: a.origin}
	claims, err := v.cfg.Mdoc.Verify(dr, t)
	if err != nil {
		if ref, ok := identity.AsRefusal(err); ok {
			if a.origin != "" && ref.Code == mdoc.CodeBadDeviceSignature {
				// The origin is only inside the signed hash, so a device
				// signature for another origin cannot be told from a
				// forged one; say what it had to cover.
				return identity.Verified{}, identity.Refuse(ref.Code, "%s (over the DC API it covers origin %q, the nonce and the encryption key)", ref.Detail, a.origin)
			}
			return identity.Verified{}, ref
		}
		return identity.Verified{}, identity.Refuse(identity.CodeMalformed, "mdoc: %v", err)
	}
	out := identity.Verified{VCT: MDLDoctype, Claims: map[string]any{}}
	var extra []string
	for name, value := range claims {
		switch name {
		case "given_name", "family_name":
			out.Claims[name] = value
		case "birth_date": // the mDL element name; calls keep it as birthdate
			out.Claims["birthdate"] = value
		default:
			extra = append(extra, name)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return out, identity.Refuse(CodeUnrequestedClaims, "disclosed elements not asked for: %s", strings.Join(extra, ", "))
	}
	return out, nil
}

// ErrorBody is the JSON of a refused response (OpenID4VP 1.0 §8.2 / RFC 6749 style).
type ErrorBody struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// RefusalBody turns Respond's error into the 400 answer.
func RefusalBody(err error) ErrorBody {
	if r, ok := identity.AsRefusal(err); ok {
		return ErrorBody{Error: r.Code, ErrorDescription: r.Detail}
	}
	return ErrorBody{Error: "server_error", ErrorDescription: fmt.Sprint(err)}
}

// HandleResponse is Respond for HTTP edges that only need the verdict.
func (v *Verifier) HandleResponse(ctx context.Context, sessionID string, form url.Values) error {
	_, err := v.Respond(ctx, sessionID, form)
	return err
}
