package dashboard

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/frontdoor-project/frontdoor/identity"
	"github.com/frontdoor-project/frontdoor/identity/openid4vp"
	"github.com/frontdoor-project/frontdoor/identity/wallet"
)

// These tests run the real identity.Service and openid4vp.Verifier behind
// the real HTTP edge, with the wallet side of identity/openid4vp (the code
// behind fdwallet present -link) as the wallet.

type oidClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *oidClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *oidClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// serviceIdentity is the adapter cmd/frontdoor has, in small.
type serviceIdentity struct{ s *identity.Service }

func (a serviceIdentity) conv(s identity.Session) IdentitySession {
	return IdentitySession{ID: s.ID, Nonce: s.Nonce, Aud: s.Aud, Code: s.Code, ExpiresAt: s.ExpiresAt,
		CallID: s.CallID, Claims: a.s.ClaimNames()}
}

func (a serviceIdentity) NewSession(callID string) (IdentitySession, error) {
	s, err := a.s.NewSession(callID)
	return a.conv(s), err
}

func (a serviceIdentity) ByCode(code string) (IdentitySession, bool) {
	s, ok := a.s.ByCode(code)
	return a.conv(s), ok
}

func (a serviceIdentity) Present(ctx context.Context, id string, body []byte, method string) (map[string]string, error) {
	return a.s.Present(ctx, id, body, method)
}

type oidEnv struct {
	t      *testing.T
	url    string
	svc    *identity.Service
	clock  *oidClock
	wallet wallet.Wallet
	trust  openid4vp.Trust

	mu       sync.Mutex
	audit    []identity.AuditEntry
	observed []string
}

type oidOptions struct {
	mode   string
	mdoc   openid4vp.MdocVerifier
	claims map[string]any
}

func newOIDEnv(t testing.TB, o oidOptions) *oidEnv {
	t.Helper()
	e := &oidEnv{clock: &oidClock{now: time.Now()}}
	issuerKey, err := wallet.NewKey("ES256")
	if err != nil {
		t.Fatal(err)
	}
	if o.claims == nil {
		o.claims = map[string]any{"given_name": "Minji", "family_name": "Kim", "birthdate": "1958-03-02"}
	}
	e.wallet, err = wallet.Issue(issuerKey, wallet.IssueParams{Issuer: "https://id.example", Claims: o.claims,
		IssuedAt: e.clock.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	e.svc, err = identity.NewService(identity.ServiceConfig{
		VerifierID: "https://frontdoor.example", Clock: e.clock.Now,
		Issuers: []identity.IssuerKeys{{Issuer: "https://id.example", Keys: wallet.PublicSet(issuerKey.Public())}},
		Audit: func(a identity.AuditEntry) {
			e.mu.Lock()
			e.audit = append(e.audit, a)
			e.mu.Unlock()
		},
		Observe: func(method, result string) {
			e.mu.Lock()
			e.observed = append(e.observed, method+"/"+result)
			e.mu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	chain, priv, root, err := openid4vp.DemoVerifier(t.TempDir(), "frontdoor test verifier", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	roots, err := openid4vp.LoadChain(root)
	if err != nil {
		t.Fatal(err)
	}
	e.trust.Roots = x509.NewCertPool()
	e.trust.Roots.AddCert(roots[0])

	var handler http.Handler
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	e.url = "http://" + srv.Listener.Addr().String()
	v, err := openid4vp.New(openid4vp.Config{Service: e.svc, PublicURL: e.url, Chain: chain, Key: priv,
		ResponseMode: o.mode, Mdoc: o.mdoc, Clock: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{View: newCore(), Directory: testDirectory, Identity: serviceIdentity{e.svc}, OpenID4VP: v,
		AdminToken: testAdminToken, PublicPerMinute: 10000})
	if err != nil {
		t.Fatal(err)
	}
	handler = s
	srv.Start()
	t.Cleanup(func() { s.CloseStreams(); srv.Close() })
	return e
}

// session opens a session over HTTP and resolves its wallet_url as a wallet does.
func (e *oidEnv) session(t testing.TB) (string, openid4vp.WalletRequest) {
	t.Helper()
	req, _ := http.NewRequest("POST", e.url+"/api/v1/identity/sessions", strings.NewReader(`{"call_id":"c-1"}`))
	req.Header.Set("Authorization", "Bearer "+testAdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		ID, Nonce, RequestURI, WalletURL string
	}
	var raw map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil {
		t.Fatal(err)
	}
	got.ID, _ = raw["id"].(string)
	got.Nonce, _ = raw["nonce"].(string)
	got.RequestURI, _ = raw["request_uri"].(string)
	got.WalletURL, _ = raw["wallet_url"].(string)
	if !strings.HasPrefix(got.RequestURI, e.url+"/api/v1/identity/sessions/"+got.ID+"/request") ||
		!strings.HasPrefix(got.WalletURL, "openid4vp://?client_id=x509_hash%3A") {
		t.Fatalf("session answer: %v", raw)
	}
	wr, err := openid4vp.ResolveLink(context.Background(), http.DefaultClient, got.WalletURL, e.trust)
	if err != nil {
		t.Fatal(err)
	}
	if wr.Nonce != got.Nonce {
		t.Fatalf("request nonce %q, session nonce %q", wr.Nonce, got.Nonce)
	}
	return got.ID, wr
}

func (e *oidEnv) post(t testing.TB, wr openid4vp.WalletRequest, form map[string][]string) (int, openid4vp.ErrorBody) {
	t.Helper()
	res, err := wr.Post(context.Background(), http.DefaultClient, form)
	if err != nil {
		t.Fatal(err)
	}
	var body openid4vp.ErrorBody
	if err := json.Unmarshal(res.Body, &body); err != nil {
		t.Fatalf("answer %d %s: %v", res.Status, res.Body, err)
	}
	return res.Status, body
}

func (e *oidEnv) answer(t testing.TB, wr openid4vp.WalletRequest, o openid4vp.AnswerOptions) map[string][]string {
	t.Helper()
	if o.Now.IsZero() {
		o.Now = e.clock.Now()
	}
	form, err := wr.Answer(e.wallet, o)
	if err != nil {
		t.Fatal(err)
	}
	return form
}

func TestOpenID4VPHappyPath(t *testing.T) {
	for _, mode := range []string{openid4vp.ModeDirectPostJWT, openid4vp.ModeDirectPost} {
		t.Run(mode, func(t *testing.T) {
			e := newOIDEnv(t, oidOptions{mode: mode})
			id, wr := e.session(t)
			if wr.ResponseMode != mode || !strings.HasSuffix(wr.ResponseURI, "/api/v1/identity/sessions/"+id+"/response") {
				t.Fatalf("request: mode %q response_uri %q", wr.ResponseMode, wr.ResponseURI)
			}
			status, body := e.post(t, wr, e.answer(t, wr, openid4vp.AnswerOptions{}))
			if status != http.StatusOK || body.Error != "" {
				t.Fatalf("answer: %d %+v", status, body)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			claims, err := e.svc.Wait(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if claims["given_name"] != "Minji" || claims["family_name"] != "Kim" || claims["birthdate"] != "1958-03-02" {
				t.Fatalf("claims %v", claims)
			}
			e.mu.Lock()
			defer e.mu.Unlock()
			if len(e.audit) != 1 || e.audit[0].Method != identity.MethodOpenID4VPSDJWT || e.audit[0].Result != "verified" ||
				e.audit[0].CallID != "c-1" {
				t.Fatalf("audit %+v", e.audit)
			}
			if fmt.Sprint(e.observed) != "[openid4vp-sdjwt/verified]" {
				t.Fatalf("observed %v", e.observed)
			}
		})
	}
}

func TestOpenID4VPRequestObject(t *testing.T) {
	e := newOIDEnv(t, oidOptions{})
	id, wr := e.session(t)
	resp, err := http.Get(e.url + "/api/v1/identity/sessions/" + id + "/request")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/oauth-authz-req+jwt" {
		t.Fatalf("content type %q", ct)
	}
	if len(wr.Claims) != 3 || wr.EncKey.Algorithm != "ECDH-ES" || wr.EncKey.Use != "enc" {
		t.Fatalf("request %+v", wr)
	}
	// An unknown session has no request object.
	resp, err = http.Get(e.url + "/api/v1/identity/sessions/nope/request")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown session: %d", resp.StatusCode)
	}
	// Nor has an expired one.
	e.clock.advance(identity.DefaultTTL)
	resp, err = http.Get(e.url + "/api/v1/identity/sessions/" + id + "/request")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("expired session: %d", resp.StatusCode)
	}
	e.clock.advance(-identity.DefaultTTL)
	// A wallet refuses a request whose certificate it does not trust.
	if _, err := openid4vp.ResolveLink(context.Background(), http.DefaultClient,
		"openid4vp://?client_id="+wr.ClientID+"&request_uri="+e.url+"/api/v1/identity/sessions/"+id+"/request",
		openid4vp.Trust{Roots: x509.NewCertPool()}); err == nil {
		t.Fatal("untrusted verifier accepted")
	}
	// ... or whose client_id is not the signing certificate's hash.
	if _, err := openid4vp.ResolveLink(context.Background(), http.DefaultClient,
		"openid4vp://?client_id=x509_hash:AAAA&request_uri="+e.url+"/api/v1/identity/sessions/"+id+"/request",
		openid4vp.Trust{SkipRootTrust: true}); err == nil {
		t.Fatal("mismatched client_id accepted")
	}
}

// fakeMdoc stands in for identity/mdoc: it checks it was given the
// transcript and answers the elements it is told to.
type fakeMdoc struct {
	t      *testing.T
	claims map[string]string
	got    openid4vp.Transcript
}

func (f *fakeMdoc) Verify(dr []byte, tr openid4vp.Transcript) (map[string]string, error) {
	f.got = tr
	if string(dr) != "device-response" {
		return nil, errors.New("not the device response sent")
	}
	return f.claims, nil
}

func TestOpenID4VPMdocHook(t *testing.T) {
	m := &fakeMdoc{t: t, claims: map[string]string{"given_name": "Minji", "family_name": "Kim", "birth_date": "1958-03-02"}}
	e := newOIDEnv(t, oidOptions{mdoc: m})
	id, wr := e.session(t)
	form, err := wr.Form(map[string][]string{"mdl": {"ZGV2aWNlLXJlc3BvbnNl"}}, openid4vp.AnswerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if status, body := e.post(t, wr, form); status != http.StatusOK {
		t.Fatalf("mdl answer: %d %+v", status, body)
	}
	claims, err := e.svc.Wait(context.Background(), id)
	if err != nil || claims["birthdate"] != "1958-03-02" {
		t.Fatalf("claims %v, %v", claims, err)
	}
	thumb, _ := wr.EncKey.Thumbprint(crypto.SHA256)
	if m.got.ClientID != wr.ClientID || m.got.Nonce != wr.Nonce || m.got.ResponseURI != wr.ResponseURI ||
		string(m.got.JWKThumbprint) != string(thumb) {
		t.Fatalf("transcript %+v", m.got)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.audit[0].Method != identity.MethodOpenID4VPMdoc {
		t.Fatalf("audit %+v", e.audit)
	}
}

func TestOpenID4VPRefusals(t *testing.T) {
	bad := "nope"
	tests := []struct {
		name   string
		opts   oidOptions
		form   func(e *oidEnv, wr openid4vp.WalletRequest) map[string][]string
		before func(e *oidEnv, wr openid4vp.WalletRequest)
		code   string
	}{
		{name: "wrong state", code: "wrong_state", form: func(e *oidEnv, wr openid4vp.WalletRequest) map[string][]string {
			return e.answer(t, wr, openid4vp.AnswerOptions{State: &bad})
		}},
		{name: "second answer", code: "replayed", before: func(e *oidEnv, wr openid4vp.WalletRequest) {
			if st, b := e.post(t, wr, e.answer(t, wr, openid4vp.AnswerOptions{})); st != http.StatusOK {
				t.Fatalf("first answer: %d %+v", st, b)
			}
		}},
		{name: "second answer after a refusal", code: "replayed", before: func(e *oidEnv, wr openid4vp.WalletRequest) {
			e.post(t, wr, e.answer(t, wr, openid4vp.AnswerOptions{State: &bad}))
		}},
		{name: "expired session", code: "session_expired", before: func(e *oidEnv, wr openid4vp.WalletRequest) {
			e.clock.advance(identity.DefaultTTL + time.Second)
		}},
		{name: "plain when encryption is required", code: "encryption_required", form: func(e *oidEnv, wr openid4vp.WalletRequest) map[string][]string {
			return e.answer(t, wr, openid4vp.AnswerOptions{Plain: true})
		}},
		{name: "wrong enc", code: "bad_encryption", form: func(e *oidEnv, wr openid4vp.WalletRequest) map[string][]string {
			return e.answer(t, wr, openid4vp.AnswerOptions{Enc: jose.A192GCM})
		}},
		{name: "garbage JWE", code: "bad_encryption", form: func(e *oidEnv, wr openid4vp.WalletRequest) map[string][]string {
			return map[string][]string{"response": {"a.b.c.d.e"}}
		}},
		{name: "KB-JWT aud is verifier_id, not client_id", code: "wrong_audience", form: func(e *oidEnv, wr openid4vp.WalletRequest) map[string][]string {
			return e.answer(t, wr, openid4vp.AnswerOptions{Aud: "https://frontdoor.example"})
		}},
		{name: "KB-JWT wrong nonce", code: "wrong_nonce", form: func(e *oidEnv, wr openid4vp.WalletRequest) map[string][]string {
			return e.answer(t, wr, openid4vp.AnswerOptions{Nonce: "other-nonce"})
		}},
		{name: "unrequested claims", code: "unrequested_claims",
			opts: oidOptions{claims: map[string]any{"given_name": "Minji", "family_name": "Kim", "birthdate": "1958-03-02", "nationality": "KR"}},
			form: func(e *oidEnv, wr openid4vp.WalletRequest) map[string][]string {
				return e.answer(t, wr, openid4vp.AnswerOptions{Disclose: []string{"given_name", "family_name", "birthdate", "nationality"}})
			}},
		{name: "vp_token without pid or mdl", code: "dcql_unanswered", form: func(e *oidEnv, wr openid4vp.WalletRequest) map[string][]string {
			f, _ := wr.Form(map[string][]string{}, openid4vp.AnswerOptions{})
			return f
		}},
		{name: "mdl without an mdoc verifier", code: "unsupported_format", form: func(e *oidEnv, wr openid4vp.WalletRequest) map[string][]string {
			f, _ := wr.Form(map[string][]string{"mdl": {"ZGV2aWNl"}}, openid4vp.AnswerOptions{})
			return f
		}},
		{name: "no response at all", code: "invalid_request", form: func(e *oidEnv, wr openid4vp.WalletRequest) map[string][]string {
			return map[string][]string{"state": {wr.State}}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newOIDEnv(t, tc.opts)
			id, wr := e.session(t)
			if tc.before != nil {
				tc.before(e, wr)
			}
			form := e.answer(t, wr, openid4vp.AnswerOptions{})
			if tc.form != nil {
				form = tc.form(e, wr)
			}
			status, body := e.post(t, wr, form)
			if status != http.StatusBadRequest || body.Error != tc.code || body.ErrorDescription == "" {
				t.Fatalf("got %d %+v, want 400 %s", status, body, tc.code)
			}
			if tc.before == nil {
				// A refusal leaves the session unverified.
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
				defer cancel()
				if claims, err := e.svc.Wait(ctx, id); err == nil {
					t.Fatalf("session verified after refusal: %v", claims)
				}
			}
		})
	}
}
