package openid4vp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/frontdoor-project/frontdoor/identity/wallet"
)

// The wallet side of the Digital Credentials API, for tests: what a wallet
// does with the request and origin the browser's platform hands it, and
// what the caller page does with the answer.

// ResolveDC verifies a DC API request as a wallet must. origin is the one
// the platform asserts (the calling page's). A signed request must be
// signed by its x5c leaf, name that leaf's x509_hash as client_id, chain
// to a trusted root, and list origin in expected_origins (A.2: else the
// request was replayed by another site). An unsigned one is the page's own
// word: its client_id and expected_origins are ignored and the origin is
// the verifier's identity (A.2, A.3.1).
func ResolveDC(req DCRequest, origin string, trust Trust) (WalletRequest, error) {
	if origin == "" {
		return WalletRequest{}, errors.New("dc api: the platform gave no origin")
	}
	var c requestClaims
	var out WalletRequest
	switch req.Protocol {
	case ProtocolSigned:
		var data struct {
			Request string `json:"request"`
		}
		if err := json.Unmarshal(req.Data, &data); err != nil || data.Request == "" {
			return out, fmt.Errorf("dc api: signed request data has no request: %v", err)
		}
		payload, leaf, err := verifySigned(data.Request, trust)
		if err != nil {
			return out, err
		}
		if c, err = parseRequestClaims(payload); err != nil {
			return out, err
		}
		if got := ClientID(leaf); c.ClientID != got {
			return out, fmt.Errorf("dc api: client_id %q is not the x509_hash of the signing certificate (%q)", c.ClientID, got)
		}
		if !slices.Contains(c.ExpectedOrigins, origin) {
			return out, fmt.Errorf("invalid_request: origin %q is not in the request's expected_origins %q", origin, c.ExpectedOrigins)
		}
		out = c.walletRequest()
		out.ClientID, out.Leaf = c.ClientID, leaf
	case ProtocolUnsigned:
		var err error
		if c, err = parseRequestClaims(req.Data); err != nil {
			return out, err
		}
		out = c.walletRequest()
	default:
		return out, fmt.Errorf("dc api: protocol %q is not %s or %s", req.Protocol, ProtocolSigned, ProtocolUnsigned)
	}
	if c.ResponseURI != "" {
		return out, errors.New("dc api: a DC API request has no response_uri (the answer goes back through the browser)")
	}
	switch out.ResponseMode {
	case ModeDCAPIJWT:
		if out.EncKey.Key == nil {
			return out, errors.New("dc api: dc_api.jwt without an encryption key in client_metadata.jwks")
		}
	case ModeDCAPI:
	default:
		return out, fmt.Errorf("dc api: response_mode %q is not dc_api or dc_api.jwt", out.ResponseMode)
	}
	out.Origin, out.Protocol = origin, req.Protocol
	return out, nil
}

// AnswerDC is the wallet's answer as the browser returns it and the page
// posts it: DCResponse JSON, its data {"response": JWE} for dc_api.jwt or
// {"vp_token": {…}} for dc_api (o.Plain forces the latter).
func (r WalletRequest) AnswerDC(w wallet.Wallet, o AnswerOptions) ([]byte, error) {
	if r.Origin == "" {
		return nil, errors.New("dc api: not a DC API request (ResolveDC makes one)")
	}
	tok, err := r.VPToken(w, o)
	if err != nil {
		return nil, err
	}
	var data any = map[string]any{"vp_token": tok}
	if !o.Plain && r.ResponseMode == ModeDCAPIJWT {
		// No state over the DC API (A.2): the answer is bound by the
		// session's key and nonce, and by the origin inside the credential.
		s, err := r.encrypt(map[string]any{"vp_token": tok}, o)
		if err != nil {
			return nil, err
		}
		data = map[string]string{"response": s}
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("dc api answer: %w", err)
	}
	return json.Marshal(DCResponse{Protocol: r.Protocol, Data: raw})
}

// PostDC is the caller page posting an answer to the session's
// dc-response URL; origin is sent as the Origin header, as a browser does
// (empty: none).
func PostDC(ctx context.Context, client *http.Client, responseURL, origin string, body []byte) (PostResult, error) {
	return post(ctx, client, responseURL, "application/json", origin, string(body))
}
