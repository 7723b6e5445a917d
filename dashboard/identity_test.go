package dashboard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// verifier is a test double of the identity service: sessions with codes,
// and a Present that answers by what the body says, so each refusal path of
// the edge can be driven. The real verifier is tested in identity.
type verifier struct {
	mu       sync.Mutex
	sessions map[string]IdentitySession
	used     map[string]bool
	methods  []string
	n        int
}

func newVerifier() *verifier {
	return &verifier{sessions: map[string]IdentitySession{}, used: map[string]bool{}}
}

func (v *verifier) NewSession(callID string) (IdentitySession, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.n++
	s := IdentitySession{ID: fmt.Sprintf("sess-%d", v.n), Nonce: fmt.Sprintf("nonce-%d-abcdefghijklmnop", v.n),
		Aud: "https://frontdoor.example", Code: fmt.Sprintf("%06d", 482900+v.n),
		ExpiresAt: time.Date(2026, 3, 2, 10, 5, 0, 0, time.UTC), CallID: callID,
		Claims: []string{"given_name", "family_name", "birthdate"}}
	v.sessions[s.ID] = s
	return s, nil
}

func (v *verifier) ByCode(code string) (IdentitySession, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, s := range v.sessions {
		if s.Code == code {
			return s, true
		}
	}
	return IdentitySession{}, false
}

func (v *verifier) sessionForCall(callID string) (IdentitySession, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, s := range v.sessions {
		if s.CallID == callID {
			return s, true
		}
	}
	return IdentitySession{}, false
}

// refusal is shaped like identity.Refusal: fields, and the method the edge looks for.
type refusal struct{ Code, Detail string }

func (r *refusal) Error() string      { return r.Code + ": " + r.Detail }
func (r *refusal) ReasonCode() string { return r.Code }

func (v *verifier) Present(ctx context.Context, id string, body []byte, method string) (map[string]string, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.methods = append(v.methods, method)
	if _, ok := v.sessions[id]; !ok {
		return nil, &IdentityRefusal{Code: "unknown_session", Detail: "no session " + id}
	}
	if v.used[id] {
		return nil, fmt.Errorf("present: %w", &refusal{Code: "replayed", Detail: "nonce already used"})
	}
	switch b := string(body); {
	case strings.HasPrefix(b, "refuse:"):
		code := strings.TrimPrefix(b, "refuse:")
		return nil, fmt.Errorf("verify: %w", &refusal{Code: code, Detail: "refused as asked: " + code})
	case b == "explode":
		return nil, errors.New("status list cache: disk full at /var/lib/x.go:12")
	case strings.HasPrefix(b, "eyJ"):
		v.used[id] = true
		return map[string]string{"given_name": "Minho", "family_name": "Choi"}, nil
	}
	return nil, &IdentityRefusal{Code: "malformed", Detail: "not an SD-JWT"}
}

func TestIdentitySessionsNeedAnAgentOrTheAdminToken(t *testing.T) {
	e := newEnv(t)
	resp, body := e.do("POST", "/api/v1/identity/sessions", "", `{"call_id":"c-1"}`)
	wantError(t, resp, body, http.StatusUnauthorized, "unauthorized")

	for _, token := range []string{e.login("1001"), testAdminToken} {
		resp, body = e.do("POST", "/api/v1/identity/sessions", token, `{"call_id":"c-1"}`)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("new session: %d %s", resp.StatusCode, body)
		}
		got := decode[map[string]any](t, body)
		for _, k := range []string{"id", "nonce", "aud", "code", "expires_at"} {
			if s, _ := got[k].(string); s == "" {
				t.Errorf("session response lacks %q: %s", k, body)
			}
		}
		if got["call_id"] != "c-1" {
			t.Errorf("call_id %v, want c-1", got["call_id"])
		}
	}
	// The body is optional: a session need not belong to a call yet.
	resp, body = e.do("POST", "/api/v1/identity/sessions", testAdminToken, "")
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("session without body: %d %s", resp.StatusCode, body)
	}
	resp, body = e.do("POST", "/api/v1/identity/sessions", testAdminToken, `{"call":"c-1"}`)
	wantError(t, resp, body, http.StatusBadRequest, "bad_json")
}

func TestWalletReadsASessionByCodeWithoutLogin(t *testing.T) {
	e := newEnv(t)
	_, body := e.do("POST", "/api/v1/identity/sessions", testAdminToken, "")
	sess := decode[sessionResponse](t, body)

	resp, body := e.do("GET", "/api/v1/identity/codes/"+sess.Code, "", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("by code: %d %s", resp.StatusCode, body)
	}
	got := decode[codeResponse](t, body)
	if got.ID != sess.ID || got.Nonce != sess.Nonce || got.Aud != sess.Aud {
		t.Errorf("by code gave %+v, want the session %+v", got, sess)
	}
	if strings.Join(got.Claims, ",") != "given_name,family_name,birthdate" {
		t.Errorf("claims %v", got.Claims)
	}
	resp, body = e.do("GET", "/api/v1/identity/codes/000000", "", "")
	wantError(t, resp, body, http.StatusNotFound, "unknown_code")
}

func TestPresentationAnswers(t *testing.T) {
	e := newEnv(t)
	_, body := e.do("POST", "/api/v1/identity/sessions", testAdminToken, "")
	sess := decode[sessionResponse](t, body)
	path := "/api/v1/identity/sessions/" + sess.ID + "/presentation"
	present := func(path, ct, body string) (*http.Response, presentationRefusal) {
		t.Helper()
		resp, b := e.do("POST", path, "", body, "Content-Type", ct)
		wantSecurityHeaders(t, resp)
		var r presentationRefusal
		if resp.StatusCode != http.StatusOK {
			r = decode[presentationRefusal](t, b)
			if r.Verified || r.Error == "" || r.Detail == "" {
				t.Errorf("refusal body %s lacks verified:false, error or detail", b)
			}
			if strings.Contains(string(b), ".go:") {
				t.Errorf("refusal leaks internals: %s", b)
			}
		}
		return resp, r
	}
	const ct = "application/dc+sd-jwt"
	cases := []struct {
		name, path, ct, body string
		status               int
		code                 string
	}{
		{"wrong media type", path, "application/json", "eyJx~", http.StatusUnsupportedMediaType, "unsupported_media_type"},
		{"empty body", path, ct, "", http.StatusBadRequest, "malformed"},
		{"oversize", path, ct, "eyJ" + strings.Repeat("a", maxPresentationBody), http.StatusRequestEntityTooLarge, "too_large"},
		{"malformed", path, ct, "hello", http.StatusBadRequest, "malformed"},
		{"bad signature", path, ct, "refuse:bad_signature", http.StatusUnauthorized, "bad_signature"},
		{"key binding", path, ct, "refuse:wrong_nonce", http.StatusUnauthorized, "wrong_nonce"},
		{"revoked", path, ct, "refuse:revoked", http.StatusForbidden, "revoked"},
		{"expired session", path, ct, "refuse:session_expired", http.StatusGone, "session_expired"},
		{"stale key binding", path, ct, "refuse:stale_kb", http.StatusUnauthorized, "stale_kb"},
		{"not a dc+sd-jwt", path, ct, "refuse:bad_typ", http.StatusBadRequest, "bad_typ"},
		{"code added later", path, ct, "refuse:brand_new_code", http.StatusBadRequest, "brand_new_code"},
		{"issuer not trusted", path, ct, "refuse:unknown_issuer", http.StatusForbidden, "unknown_issuer"},
		{"status list down", path, ct, "refuse:status_unavailable", http.StatusServiceUnavailable, "status_unavailable"},
		{"internal failure", path, ct, "explode", http.StatusInternalServerError, "internal"},
		{"unknown session", "/api/v1/identity/sessions/nope/presentation", ct, "eyJx~", http.StatusNotFound, "unknown_session"},
	}
	for _, c := range cases {
		resp, r := present(c.path, c.ct, c.body)
		if resp.StatusCode != c.status || r.Error != c.code {
			t.Errorf("%s: %d %q, want %d %q", c.name, resp.StatusCode, r.Error, c.status, c.code)
		}
	}

	// The legacy media type is accepted; the claims come back.
	resp, b := e.do("POST", path, "", "eyJhbGciOiJFUzI1NiJ9.e30.sig~WyJ4Il0~eyJ0eXAiOiJrYitqd3QifQ.e30.sig",
		"Content-Type", "application/vc+sd-jwt")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("good presentation: %d %s", resp.StatusCode, b)
	}
	ok := decode[presentationResponse](t, b)
	if !ok.Verified || ok.Claims["given_name"] != "Minho" {
		t.Errorf("good presentation gave %s", b)
	}
	// The nonce is spent: the same session again is a conflict.
	resp2, r := present(path, ct, "eyJ.again~")
	if resp2.StatusCode != http.StatusConflict || r.Error != "replayed" {
		t.Errorf("replay: %d %q, want 409 replayed", resp2.StatusCode, r.Error)
	}
	e.id.mu.Lock()
	defer e.id.mu.Unlock()
	for _, m := range e.id.methods {
		if m != "web" {
			t.Errorf("method passed to the verifier %q, want web", m)
		}
	}
}

func TestIdentityRoutesWhenIdentityIsOff(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Identity = nil })
	resp, body := e.do("GET", "/api/v1/identity/codes/123456", "", "")
	wantError(t, resp, body, http.StatusNotFound, "identity_disabled")
	resp, body = e.do("POST", "/api/v1/identity/sessions", testAdminToken, "")
	wantError(t, resp, body, http.StatusNotFound, "identity_disabled")
}
