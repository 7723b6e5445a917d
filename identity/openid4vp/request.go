// Package openid4vp is frontdoor's OpenID4VP 1.0 verifier (HAIP profile):
// signed request objects fetched by request_uri (RFC 9101) with an
// x509_hash client_id, a DCQL query for a PID (SD-JWT VC) or an mDL
// (mdoc), and responses by direct_post or encrypted direct_post.jwt. The
// verdict goes through identity.Service, so a call waiting on the session
// wakes exactly as for a presentation posted directly.
package openid4vp

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/frontdoor-project/frontdoor/identity"
	"github.com/frontdoor-project/frontdoor/internal/weborigin"
)

// Response modes (OpenID4VP 1.0 §8.2, §8.3).
const (
	ModeDirectPost    = "direct_post"
	ModeDirectPostJWT = "direct_post.jwt"
)

// Request object constants (RFC 9101, OpenID4VP 1.0 §5).
const (
	RequestObjectType = "oauth-authz-req+jwt"
	// SelfIssuedAudience is the aud of a request object that any wallet
	// may fetch (OpenID4VP 1.0 §5.8 with static discovery metadata).
	SelfIssuedAudience = "https://self-issued.me/v2"
	MDLDoctype         = "org.iso.18013.5.1.mDL"
	MDLNamespace       = "org.iso.18013.5.1"
	// QueryPID and QueryMDL are the DCQL credential query ids, the keys of
	// the vp_token object.
	QueryPID = "pid"
	QueryMDL = "mdl"
)

// Path suffixes under identity.public_url + /api/v1/identity/sessions/{id}.
const (
	RequestPath  = "/request"
	ResponsePath = "/response"
)

// SessionsPath is where session URLs live under the public URL.
const SessionsPath = "/api/v1/identity/sessions/"

// encValues are the content encryptions a direct_post.jwt response may
// use (HAIP: A128GCM and A256GCM).
var encValues = []jose.ContentEncryption{jose.A128GCM, jose.A256GCM}

// Config configures a Verifier.
type Config struct {
	Service *identity.Service
	// PublicURL is where wallets reach this server (identity.public_url).
	PublicURL string
	// Chain is the verifier certificate chain, leaf first; a self-signed
	// last certificate (the root) is left out of x5c.
	Chain []*x509.Certificate
	Key   *ecdsa.PrivateKey
	// ResponseMode is direct_post.jwt (default) or direct_post.
	ResponseMode string
	// VCTs are the PID credential types asked for (identity.vcts).
	VCTs []string
	// Claims are the SD-JWT claims asked for; default identity.DefaultClaims.
	Claims []string
	// ExpectedOrigins are the web origins the caller page is served from
	// (identity.expected_origins): a Digital Credentials API request names
	// them, and an answer posted from any other origin is refused. Empty:
	// the origin of PublicURL.
	ExpectedOrigins []string
	// Mdoc checks mDL device responses; nil refuses them (unsupported_format).
	Mdoc  MdocVerifier
	Clock func() time.Time
}

// Verifier makes OpenID4VP requests for identity sessions and checks the
// answers. It is safe for concurrent use.
type Verifier struct {
	cfg      Config
	clientID string
	x5c      []string
	signer   jose.Signer
	claims   map[string]bool
	vcts     map[string]bool
	origins  map[string]bool

	mu       sync.Mutex
	requests map[string]*request // by session id
}

// request is the verifier side of one session's OpenID4VP exchange.
type request struct {
	sess     identity.Session
	state    string
	encKey   *ecdsa.PrivateKey
	encJWK   jose.JSONWebKey // public, with kid, use and alg
	answered bool
}

// Offer is what a session answer adds for wallets.
type Offer struct {
	ClientID   string
	RequestURI string
	WalletURL  string // openid4vp://?client_id=…&request_uri=…
}

// New checks cfg and builds a Verifier.
func New(cfg Config) (*Verifier, error) {
	if cfg.Service == nil {
		return nil, errors.New("openid4vp: no identity service")
	}
	u, err := url.Parse(cfg.PublicURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("openid4vp: public URL %q is not an http(s) URL", cfg.PublicURL)
	}
	cfg.PublicURL = strings.TrimSuffix(cfg.PublicURL, "/")
	if len(cfg.Chain) == 0 || cfg.Key == nil {
		return nil, errors.New("openid4vp: a verifier certificate and key are needed")
	}
	if err := CheckPair(cfg.Chain, cfg.Key); err != nil {
		return nil, fmt.Errorf("openid4vp: %w", err)
	}
	switch cfg.ResponseMode {
	case "":
		cfg.ResponseMode = ModeDirectPostJWT
	case ModeDirectPost, ModeDirectPostJWT:
	default:
		return nil, fmt.Errorf("openid4vp: response mode %q is not direct_post.jwt or direct_post", cfg.ResponseMode)
	}
	if len(cfg.VCTs) == 0 {
		// DCQL requires vct_values; with no configured types the demo
		// issuer's PID type is asked for.
		cfg.VCTs = []string{"urn:eudi:pid:1"}
	}
	if len(cfg.Claims) == 0 {
		cfg.Claims = identity.DefaultClaims
	}
	if len(cfg.ExpectedOrigins) == 0 {
		cfg.ExpectedOrigins = []string{weborigin.Of(u)}
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	v := &Verifier{cfg: cfg, clientID: ClientID(cfg.Chain[0]), claims: map[string]bool{}, vcts: map[string]bool{},
		origins: map[string]bool{}, requests: map[string]*request{}}
	for _, o := range cfg.ExpectedOrigins {
		if _, err := weborigin.Parse(o); err != nil {
			return nil, fmt.Errorf("openid4vp: expected origin: %w", err)
		}
		v.origins[o] = true
	}
	for _, c := range withoutRoot(cfg.Chain) {
		v.x5c = append(v.x5c, base64.StdEncoding.EncodeToString(c.Raw))
	}
	for _, c := range cfg.Claims {
		v.claims[c] = true
	}
	for _, t := range cfg.VCTs {
		v.vcts[t] = true
	}
	v.signer, err = jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: cfg.Key},
		(&jose.SignerOptions{}).WithType(RequestObjectType).WithHeader("x5c", v.x5c))
	if err != nil {
		return nil, fmt.Errorf("openid4vp: signer: %w", err)
	}
	return v, nil
}

// ClientID is the verifier's client_id (x509_hash:…).
func (v *Verifier) ClientID() string { return v.clientID }

// ResponseMode is the configured response mode.
func (v *Verifier) ResponseMode() string { return v.cfg.ResponseMode }

func (v *Verifier) sessionURL(id, suffix string) string {
	return v.cfg.PublicURL + SessionsPath + url.PathEscape(id) + suffix
}

// Open starts the OpenID4VP exchange for a session: a fresh state and an
// ephemeral encryption key, kept until the session is long expired.
func (v *Verifier) Open(sess identity.Session) (Offer, error) {
	state, err := randomToken()
	if err != nil {
		return Offer{}, err
	}
	encKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Offer{}, fmt.Errorf("openid4vp: ephemeral key: %w", err)
	}
	kid, err := randomToken()
	if err != nil {
		return Offer{}, err
	}
	r := &request{sess: sess, state: state, encKey: encKey,
		encJWK: jose.JSONWebKey{Key: &encKey.PublicKey, KeyID: kid, Use: "enc", Algorithm: string(jose.ECDH_ES)}}
	v.mu.Lock()
	v.purge()
	v.requests[sess.ID] = r
	v.mu.Unlock()
	reqURI := v.sessionURL(sess.ID, RequestPath)
	return Offer{ClientID: v.clientID, RequestURI: reqURI, WalletURL: v.walletURL(sess.ID)}, nil
}

// purge forgets exchanges whose session expired a lifetime ago (the same
// grace identity.Service gives, so a late wallet hears session_expired).
// The caller holds v.mu.
func (v *Verifier) purge() {
	now := v.cfg.Clock()
	for id, r := range v.requests {
		if now.After(r.sess.ExpiresAt.Add(identity.DefaultTTL)) {
			delete(v.requests, id)
		}
	}
}

func (v *Verifier) lookup(sessionID string) (*request, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	r, ok := v.requests[sessionID]
	return r, ok
}

// ErrUnknownRequest is returned by RequestObject for a session without an
// OpenID4VP exchange.
var ErrUnknownRequest = errors.New("openid4vp: no request for this session")

// ErrExpiredRequest is returned by RequestObject once the session expired.
var ErrExpiredRequest = errors.New("openid4vp: the session's request has expired")

// RequestObject is the signed request object for a session's request_uri.
func (v *Verifier) RequestObject(sessionID string) ([]byte, error) {
	r, now, err := v.live(sessionID)
	if err != nil {
		return nil, err
	}
	claims := map[string]any{
		"iss":             v.clientID,
		"aud":             SelfIssuedAudience,
		"client_id":       v.clientID,
		"response_type":   "vp_token",
		"response_mode":   v.cfg.ResponseMode,
		"response_uri":    v.sessionURL(sessionID, ResponsePath),
		"nonce":           r.sess.Nonce,
		"state":           r.state,
		"dcql_query":      v.dcqlQuery(),
		"client_metadata": v.clientMetadata(r),
		"iat":             now.Unix(),
		"exp":             r.sess.ExpiresAt.Unix(),
	}
	s, err := v.sign(claims)
	if err != nil {
		return nil, err
	}
	return []byte(s), nil
}

// live is a session's exchange while a wallet may still fetch its request.
func (v *Verifier) live(sessionID string) (*request, time.Time, error) {
	r, ok := v.lookup(sessionID)
	if !ok {
		return nil, time.Time{}, ErrUnknownRequest
	}
	now := v.cfg.Clock()
	// A wallet fetching an expired request would only be refused when it
	// answers; telling it now saves the citizen a pointless consent.
	if !now.Before(r.sess.ExpiresAt) {
		return nil, now, ErrExpiredRequest
	}
	return r, now, nil
}

// sign makes a request object (compact JWS, typ oauth-authz-req+jwt, x5c).
func (v *Verifier) sign(claims map[string]any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("openid4vp: request object: %w", err)
	}
	jws, err := v.signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("openid4vp: request object: %w", err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		return "", fmt.Errorf("openid4vp: request object: %w", err)
	}
	return s, nil
}

// dcqlQuery asks for a PID or an mDL (OpenID4VP 1.0 §6): either option of
// the one credential set satisfies it.
func (v *Verifier) dcqlQuery() map[string]any {
	var pidClaims []map[string]any
	for _, c := range v.cfg.Claims {
		pidClaims = append(pidClaims, map[string]any{"path": []string{c}})
	}
	var mdlClaims []map[string]any
	for _, c := range []string{"given_name", "family_name", "birth_date"} {
		mdlClaims = append(mdlClaims, map[string]any{"path": []string{MDLNamespace, c}})
	}
	return map[string]any{
		"credentials": []map[string]any{
			{"id": QueryPID, "format": "dc+sd-jwt", "meta": map[string]any{"vct_values": v.cfg.VCTs}, "claims": pidClaims},
			{"id": QueryMDL, "format": "mso_mdoc", "meta": map[string]any{"doctype_value": MDLDoctype}, "claims": mdlClaims},
		},
		"credential_sets": []map[string]any{{"options": [][]string{{QueryPID}, {QueryMDL}}}},
	}
}

// clientMetadata carries the response encryption key (OpenID4VP 1.0
// §5.1, §8.3) and the formats this verifier checks (Appendix B).
func (v *Verifier) clientMetadata(r *request) map[string]any {
	return map[string]any{
		"jwks": map[string]any{"keys": []jose.JSONWebKey{r.encJWK}},
		"encrypted_response_enc_values_supported": []string{string(jose.A128GCM), string(jose.A256GCM)},
		"vp_formats_supported": map[string]any{
			"dc+sd-jwt": map[string]any{"sd-jwt_alg_values": []string{"ES256", "EdDSA"}, "kb-jwt_alg_values": []string{"ES256", "EdDSA"}},
			"mso_mdoc":  map[string]any{"issuerauth_alg_values": []int{-7}, "deviceauth_alg_values": []int{-7}},
		},
	}
}

func randomToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("openid4vp: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Offer opens the exchange for a session the identity service made, for
// HTTP edges that only know the session id.
func (v *Verifier) Offer(sessionID string) (requestURI, walletURL string, err error) {
	sess, ok := v.cfg.Service.Session(sessionID)
	if !ok {
		return "", "", fmt.Errorf("openid4vp: no identity session %q", sessionID)
	}
	o, err := v.Open(sess)
	if err != nil {
		return "", "", err
	}
	return o.RequestURI, o.WalletURL, nil
}

// WalletURL is a session's openid4vp:// link while a wallet may still
// answer it: false once the session expired or was answered, so a QR code
// of it is not served for a dead session.
func (v *Verifier) WalletURL(sessionID string) (string, bool) {
	v.mu.Lock()
	r, ok := v.requests[sessionID]
	live := ok && !r.answered && v.cfg.Clock().Before(r.sess.ExpiresAt)
	v.mu.Unlock()
	if !live {
		return "", false
	}
	return v.walletURL(sessionID), true
}

// walletURL is the link a wallet opens: openid4vp://?client_id=…&request_uri=….
func (v *Verifier) walletURL(sessionID string) string {
	return "openid4vp://?client_id=" + url.QueryEscape(v.clientID) +
		"&request_uri=" + url.QueryEscape(v.sessionURL(sessionID, RequestPath))
}
