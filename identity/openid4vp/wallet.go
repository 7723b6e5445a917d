package openid4vp

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/frontdoor-project/frontdoor/identity/mdoc"
	"github.com/frontdoor-project/frontdoor/identity/wallet"
)

// The wallet side, for cmd/fdwallet and tests: it resolves a request the
// way a real wallet must (signature by the x5c leaf, client_id = hash of
// that leaf, chain to a trusted root) before it presents anything.

// WalletRequest is a verified request object, as a wallet reads it.
type WalletRequest struct {
	ClientID     string
	ResponseURI  string
	ResponseMode string
	Nonce        string
	State        string
	// Queries and CredentialSets are the request's dcql_query; VPToken
	// answers the queries the held credential satisfies.
	Queries        []CredentialQuery
	CredentialSets []CredentialSet
	// Claims are the top-level claim names the first dc+sd-jwt query asks
	// for, for callers that show what is asked.
	Claims []string
	// EncKey is the verifier's ECDH-ES key from client_metadata.jwks.
	EncKey jose.JSONWebKey
	// Leaf is the certificate that signed the request; nil for an
	// unsigned DC API request.
	Leaf *x509.Certificate
	// Origin and Protocol are set for a Digital Credentials API request:
	// the origin the browser asserted, and openid4vp-v1-signed or -unsigned.
	Origin   string
	Protocol string
}

// Trust says how a wallet accepts a verifier certificate: chained to
// Roots, or, with SkipRootTrust, any chain (the signature and client_id
// binding are still checked; for demos against unknown verifiers).
type Trust struct {
	Roots         *x509.CertPool
	SkipRootTrust bool
}

const maxRequestObject = 64 << 10

// ResolveLink fetches and verifies the request an openid4vp:// link names.
func ResolveLink(ctx context.Context, client *http.Client, link string, trust Trust) (WalletRequest, error) {
	u, err := url.Parse(link)
	if err != nil {
		return WalletRequest{}, fmt.Errorf("openid4vp link: %w", err)
	}
	q := u.Query()
	clientID, reqURI := q.Get("client_id"), q.Get("request_uri")
	if clientID == "" || reqURI == "" {
		return WalletRequest{}, errors.New("openid4vp link: needs client_id and request_uri")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, reqURI, nil)
	if err != nil {
		return WalletRequest{}, fmt.Errorf("request_uri: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return WalletRequest{}, fmt.Errorf("request_uri: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxRequestObject))
	if err != nil {
		return WalletRequest{}, fmt.Errorf("request_uri: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return WalletRequest{}, fmt.Errorf("request_uri: HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(body))
	}
	return VerifyRequestObject(string(body), clientID, trust)
}

// VerifyRequestObject checks a request object against the client_id the
// link gave and the trust settings.
func VerifyRequestObject(compact, clientID string, trust Trust) (WalletRequest, error) {
	payload, leaf, err := verifySigned(compact, trust)
	if err != nil {
		return WalletRequest{}, err
	}
	if got := ClientID(leaf); got != clientID {
		return WalletRequest{}, fmt.Errorf("request object: client_id %q is not the x509_hash of the signing certificate (%q)", clientID, got)
	}
	c, err := parseRequestClaims(payload)
	if err != nil {
		return WalletRequest{}, err
	}
	if c.ClientID != clientID || c.ResponseURI == "" {
		return WalletRequest{}, errors.New("request object: needs the link's client_id, response_type vp_token, response_uri and nonce")
	}
	out := c.walletRequest()
	out.ClientID, out.ResponseURI, out.State, out.Leaf = clientID, c.ResponseURI, c.State, leaf
	if out.ResponseMode == ModeDirectPostJWT && out.EncKey.Key == nil {
		return out, errors.New("request object: direct_post.jwt without an encryption key in client_metadata.jwks")
	}
	return out, nil
}

// verifySigned checks a request object's type and signature by its x5c
// leaf and, unless trust skips it, the leaf's chain to a trusted root.
func verifySigned(compact string, trust Trust) ([]byte, *x509.Certificate, error) {
	jws, err := jose.ParseSignedCompact(compact, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return nil, nil, fmt.Errorf("request object: %w", err)
	}
	h := jws.Signatures[0].Protected
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != RequestObjectType {
		return nil, nil, fmt.Errorf("request object: typ %q, want %q", typ, RequestObjectType)
	}
	chain, err := x5cOf(compact)
	if err != nil {
		return nil, nil, err
	}
	leaf := chain[0]
	if !trust.SkipRootTrust {
		inter := x509.NewCertPool()
		for _, c := range chain[1:] {
			inter.AddCert(c)
		}
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: trust.Roots, Intermediates: inter,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
			return nil, nil, fmt.Errorf("request object: verifier certificate: %w", err)
		}
	}
	payload, err := jws.Verify(leaf.PublicKey)
	if err != nil {
		return nil, nil, fmt.Errorf("request object: signature: %w", err)
	}
	return payload, leaf, nil
}

// requestClaims are the request parameters a wallet reads, signed or not.
type requestClaims struct {
	ClientID        string   `json:"client_id"`
	ExpectedOrigins []string `json:"expected_origins"`
	ResponseType    string   `json:"response_type"`
	ResponseMode    string   `json:"response_mode"`
	ResponseURI     string   `json:"response_uri"`
	Nonce           string   `json:"nonce"`
	State           string   `json:"state"`
	Exp             int64    `json:"exp"`
	ClientMetadata  struct {
		JWKS jose.JSONWebKeySet `json:"jwks"`
	} `json:"client_metadata"`
	DCQL dcqlQuery `json:"dcql_query"`
}

func parseRequestClaims(payload []byte) (requestClaims, error) {
	var c requestClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return c, fmt.Errorf("request object: %w", err)
	}
	if c.ResponseType != "vp_token" || c.Nonce == "" {
		return c, errors.New("request object: needs response_type vp_token and a nonce")
	}
	if c.Exp != 0 && time.Now().Unix() > c.Exp {
		return c, errors.New("request object: expired")
	}
	return c, nil
}

// walletRequest is what every kind of request gives the wallet: mode,
// nonce, the DCQL query and the encryption key.
func (c requestClaims) walletRequest() WalletRequest {
	out := WalletRequest{ResponseMode: c.ResponseMode, Nonce: c.Nonce,
		Queries: c.DCQL.Credentials, CredentialSets: c.DCQL.CredentialSets}
	for _, q := range c.DCQL.Credentials {
		if q.Format != wallet.FormatSDJWT {
			continue
		}
		for _, cl := range q.Claims {
			if len(cl.Path) != 1 {
				continue
			}
			if name, ok := cl.Path[0].(string); ok {
				out.Claims = append(out.Claims, name)
			}
		}
		break
	}
	for _, k := range c.ClientMetadata.JWKS.Keys {
		if k.Use == "enc" || k.Algorithm == string(jose.ECDH_ES) {
			out.EncKey = k
			break
		}
	}
	return out
}

// x5cOf reads the x5c chain from a JWS's protected header. It is decoded
// by hand because go-jose only hands out x5c after its own chain check,
// and a wallet skipping root trust still needs the leaf.
func x5cOf(compact string) ([]*x509.Certificate, error) {
	seg, _, _ := strings.Cut(compact, ".")
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return nil, fmt.Errorf("request object header: %w", err)
	}
	var h struct {
		X5C []string `json:"x5c"`
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil, fmt.Errorf("request object header: %w", err)
	}
	if len(h.X5C) == 0 {
		return nil, errors.New("request object: no x5c header")
	}
	var chain []*x509.Certificate
	for _, s := range h.X5C {
		der, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("request object x5c: %w", err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("request object x5c: %w", err)
		}
		chain = append(chain, c)
	}
	return chain, nil
}

// AnswerOptions adjust Answer, mostly so tests can break one rule.
type AnswerOptions struct {
	// Disclose replaces the SD-JWT claim names the matched query asks for
	// (tests over-disclose with it); nil: exactly the asked ones.
	Disclose []string
	Aud      string                 // KB-JWT aud; default the client_id
	Nonce    string                 // KB-JWT nonce; default the request's
	State    *string                // default the request's
	Enc      jose.ContentEncryption // default A128GCM
	Plain    bool                   // send vp_token and state unencrypted
	Now      time.Time
	// Transcript replaces the mdoc SessionTranscript's inputs (tests bind
	// the device signature to another session with it).
	Transcript *mdoc.Transcript
}

// Answer builds the form a wallet posts to the response_uri: the held
// credential presented for the DCQL queries it satisfies.
func (r WalletRequest) Answer(w wallet.Wallet, o AnswerOptions) (url.Values, error) {
	tok, err := r.VPToken(w, o)
	if err != nil {
		return nil, err
	}
	return r.Form(tok, o)
}

// VPToken presents the wallet's credential for this request, keyed by the
// id of each credential query it answers (plan): an SD-JWT VC with only
// the asked disclosures and a KB-JWT for the request's audience (the
// client_id, or origin:<origin> over the DC API) and nonce, or an mdoc
// with only the asked elements. It wraps ErrUnanswerable, naming why,
// when the credential fits no acceptable query.
func (r WalletRequest) VPToken(w wallet.Wallet, o AnswerOptions) (map[string][]string, error) {
	h, err := holding(w)
	if err != nil {
		return nil, err
	}
	plan, err := r.plan(h)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]string, len(plan))
	for _, p := range plan {
		var pres string
		if h.format == wallet.FormatMdoc {
			pres, err = r.mdocPresentation(w, o, p.elements)
		} else {
			pres, err = r.sdjwtPresentation(w, o, p.names)
		}
		if err != nil {
			return nil, fmt.Errorf("presentation for query %q: %w", p.id, err)
		}
		out[p.id] = []string{pres}
	}
	return out, nil
}

func (r WalletRequest) sdjwtPresentation(w wallet.Wallet, o AnswerOptions, names []string) (string, error) {
	if o.Disclose != nil {
		names = o.Disclose
	}
	if names == nil {
		// sdjwt.Present reads nil as "everything"; a query without
		// claims asks for no selectively disclosable claim (§6.1).
		names = []string{}
	}
	if o.Aud == "" {
		o.Aud = r.Audience()
	}
	if o.Nonce == "" {
		o.Nonce = r.Nonce
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	return w.Present(names, o.Nonce, o.Aud, o.Now)
}

// Audience is whom a presentation for this request is bound to.
func (r WalletRequest) Audience() string {
	if r.Origin != "" {
		return OriginAudience(r.Origin)
	}
	return r.ClientID
}

// Form wraps a vp_token for the response_uri: encrypted (direct_post.jwt)
// unless the request is direct_post or o.Plain.
func (r WalletRequest) Form(vpToken map[string][]string, o AnswerOptions) (url.Values, error) {
	state := r.State
	if o.State != nil {
		state = *o.State
	}
	tok, err := json.Marshal(vpToken)
	if err != nil {
		return nil, fmt.Errorf("vp_token: %w", err)
	}
	if o.Plain || r.ResponseMode == ModeDirectPost {
		return url.Values{"vp_token": {string(tok)}, "state": {state}}, nil
	}
	s, err := r.encrypt(map[string]any{"vp_token": json.RawMessage(tok), "state": state}, o)
	if err != nil {
		return nil, err
	}
	return url.Values{"response": {s}}, nil
}

// encrypt makes the JWE of a response (ECDH-ES to the request's key).
func (r WalletRequest) encrypt(response map[string]any, o AnswerOptions) (string, error) {
	if o.Enc == "" {
		o.Enc = jose.A128GCM
	}
	payload, err := json.Marshal(response)
	if err != nil {
		return "", fmt.Errorf("response: %w", err)
	}
	enc, err := jose.NewEncrypter(o.Enc, jose.Recipient{Algorithm: jose.ECDH_ES, Key: r.EncKey.Key, KeyID: r.EncKey.KeyID}, nil)
	if err != nil {
		return "", fmt.Errorf("response encryption: %w", err)
	}
	jwe, err := enc.Encrypt(payload)
	if err != nil {
		return "", fmt.Errorf("response encryption: %w", err)
	}
	s, err := jwe.CompactSerialize()
	if err != nil {
		return "", fmt.Errorf("response encryption: %w", err)
	}
	return s, nil
}

// PostResult is the verifier's answer at the response_uri.
type PostResult struct {
	Status int
	Body   []byte
}

// Post sends the form to the response_uri.
func (r WalletRequest) Post(ctx context.Context, client *http.Client, form url.Values) (PostResult, error) {
	return post(ctx, client, r.ResponseURI, "application/x-www-form-urlencoded", "", form.Encode())
}

// post sends a body and reads the verifier's answer; origin, when set, is
// the Origin header a browser would send.
func post(ctx context.Context, client *http.Client, to, contentType, origin, body string) (PostResult, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, to, strings.NewReader(body))
	if err != nil {
		return PostResult{}, fmt.Errorf("post %s: %w", to, err)
	}
	req.Header.Set("Content-Type", contentType)
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := client.Do(req)
	if err != nil {
		return PostResult{}, fmt.Errorf("post %s: %w", to, err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return PostResult{}, fmt.Errorf("post %s: %w", to, err)
	}
	return PostResult{Status: resp.StatusCode, Body: got}, nil
}

// LoadTrust reads the roots a wallet trusts from a PEM file; skip instead
// accepts any verifier chain (the request must still be signed by the x5c
// leaf that client_id names).
func LoadTrust(rootFile string, skip bool) (Trust, error) {
	if skip {
		return Trust{SkipRootTrust: true}, nil
	}
	if rootFile == "" {
		return Trust{}, errors.New("openid4vp: name the verifier's root certificate, or skip root trust explicitly")
	}
	certs, err := LoadChain(rootFile)
	if err != nil {
		return Trust{}, fmt.Errorf("trusted root: %w", err)
	}
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	return Trust{Roots: pool}, nil
}

// PresentLink is a wallet answering an openid4vp:// link: resolve and
// verify the request, present the held credential for the DCQL query it
// fits with the asked claims, bound to the client_id and nonce, and post
// the response (encrypted for direct_post.jwt). Nothing is posted when
// the credential fits no query (ErrUnanswerable).
func PresentLink(ctx context.Context, client *http.Client, link string, w wallet.Wallet, trust Trust, o AnswerOptions) (PostResult, error) {
	req, err := ResolveLink(ctx, client, link, trust)
	if err != nil {
		return PostResult{}, err
	}
	form, err := req.Answer(w, o)
	if err != nil {
		return PostResult{}, err
	}
	return req.Post(ctx, client, form)
}
