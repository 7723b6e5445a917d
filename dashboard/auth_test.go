package dashboard

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestLoginGivesATokenThatWorks(t *testing.T) {
	e := newEnv(t)
	resp, body := e.do("POST", "/api/v1/login", "", `{"id":"2001","password":"pw-2001"}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login: %d %s", resp.StatusCode, body)
	}
	lr := decode[loginResponse](t, body)
	if lr.Role != "supervisor" || lr.ID != "2001" {
		t.Errorf("login answered %+v", lr)
	}
	if len(lr.Token) != 43 { // 256 bits, base64url without padding
		t.Errorf("token %q has %d characters, want 43 (256 bits)", lr.Token, len(lr.Token))
	}
	if !lr.ExpiresAt.Equal(e.clock.Now().Add(12 * time.Hour)) {
		t.Errorf("expires_at %v, want 12 h after login", lr.ExpiresAt)
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie {
			cookie = c
		}
	}
	if cookie == nil || cookie.Value != lr.Token || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.MaxAge != 12*3600 {
		t.Errorf("session cookie %+v, want HttpOnly SameSite=Strict carrying the token", cookie)
	}
	if again := e.login("2001"); again == lr.Token {
		t.Error("two logins got the same token")
	}
	resp, body = e.do("GET", "/api/v1/queues", lr.Token, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("queues with the token: %d %s", resp.StatusCode, body)
	}
}

func TestLoginRefusalsLookAlike(t *testing.T) {
	e := newEnv(t)
	_, wrongPassword := e.do("POST", "/api/v1/login", "", `{"id":"1001","password":"nope"}`)
	resp, unknownID := e.do("POST", "/api/v1/login", "", `{"id":"7777","password":"nope"}`)
	wantError(t, resp, unknownID, http.StatusUnauthorized, "unauthorized")
	if string(wrongPassword) != string(unknownID) {
		t.Errorf("wrong password and unknown id answer differently:\n%s\n%s", wrongPassword, unknownID)
	}
	cases := []struct {
		name, body string
		status     int
		code       string
	}{
		{"empty body", "", http.StatusBadRequest, "bad_json"},
		{"not JSON", `id=1001&password=x`, http.StatusBadRequest, "bad_json"},
		{"unknown field", `{"id":"1001","password":"pw-1001","remember":true}`, http.StatusBadRequest, "bad_json"},
		{"two objects", `{"id":"1001","password":"pw-1001"}{}`, http.StatusBadRequest, "bad_json"},
		{"oversize", `{"id":"1001","password":"` + strings.Repeat("x", maxJSONBody) + `"}`, http.StatusRequestEntityTooLarge, "too_large"},
		{"empty id", `{"id":"","password":""}`, http.StatusUnauthorized, "unauthorized"},
	}
	for _, c := range cases {
		resp, body := e.do("POST", "/api/v1/login", "", c.body)
		t.Run(c.name, func(t *testing.T) { wantError(t, resp, body, c.status, c.code) })
	}
	resp, body := e.do("POST", "/api/v1/login", "", `{"id":"1001","password":"pw-1001"}`, "Content-Type", "text/plain")
	wantError(t, resp, body, http.StatusUnsupportedMediaType, "unsupported_media_type")
}

func TestTokensAreCheckedOnEveryAPIRoute(t *testing.T) {
	e := newEnv(t)
	routes := [][2]string{
		{"GET", "/api/v1/queues"}, {"GET", "/api/v1/agents"}, {"GET", "/api/v1/calls"},
		{"GET", "/api/v1/cdrs"}, {"GET", "/api/v1/events"}, {"PUT", "/api/v1/agents/1001/state"},
		{"POST", "/api/v1/identity/sessions"}, {"POST", "/api/v1/logout"},
	}
	for _, r := range routes {
		for _, token := range []string{"", "not-a-token", strings.Repeat("A", 43)} {
			resp, body := e.do(r[0], r[1], token, "")
			wantError(t, resp, body, http.StatusUnauthorized, "unauthorized")
			if resp.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s %s: 401 without WWW-Authenticate", r[0], r[1])
			}
		}
		resp, body := e.do(r[0], r[1], "", "", "Authorization", "Basic MTAwMTpwdy0xMDAx")
		wantError(t, resp, body, http.StatusUnauthorized, "unauthorized")
	}
}

func TestTokensExpireAfterTwelveHours(t *testing.T) {
	e := newEnv(t)
	token := e.login("1001")
	e.clock.Advance(12*time.Hour - time.Second)
	if resp, body := e.do("GET", "/api/v1/agents", token, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("token refused before its expiry: %d %s", resp.StatusCode, body)
	}
	e.clock.Advance(time.Second)
	resp, body := e.do("GET", "/api/v1/agents", token, "")
	wantError(t, resp, body, http.StatusUnauthorized, "unauthorized")
}

func TestLogoutEndsTheToken(t *testing.T) {
	e := newEnv(t)
	token := e.login("1001")
	resp, body := e.do("POST", "/api/v1/logout", token, "")
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("logout: %d %s", resp.StatusCode, body)
	}
	resp, body = e.do("GET", "/api/v1/agents", token, "")
	wantError(t, resp, body, http.StatusUnauthorized, "unauthorized")
}

func TestAdminTokenIsABearerWithRoleAdmin(t *testing.T) {
	e := newEnv(t)
	resp, body := e.do("PUT", "/api/v1/agents/2001/state", testAdminToken, `{"state":"ready"}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("admin token set a state: %d %s", resp.StatusCode, body)
	}
	// Empty admin token: disabled, so an empty bearer is no way in.
	e2 := newEnv(t, func(c *Config) { c.AdminToken = "" })
	resp, body = e2.do("GET", "/api/v1/agents", testAdminToken, "")
	wantError(t, resp, body, http.StatusUnauthorized, "unauthorized")
	resp, body = e2.do("GET", "/api/v1/agents", "", "", "Authorization", "Bearer ")
	wantError(t, resp, body, http.StatusUnauthorized, "unauthorized")

	if _, err := New(Config{View: newCore(), Directory: testDirectory, AdminToken: "short"}); err == nil {
		t.Error("a 5-character admin token was accepted")
	}
	if _, err := New(Config{Directory: testDirectory}); err == nil {
		t.Error("a config without View was accepted")
	}
}

// The cookie exists for EventSource; it must not authorise changes.
func TestSessionCookieServesReadsOnly(t *testing.T) {
	e := newEnv(t)
	token := e.login("2001")
	cookie := sessionCookie + "=" + token
	resp, body := e.do("GET", "/api/v1/agents", "", "", "Cookie", cookie)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET with the cookie: %d %s", resp.StatusCode, body)
	}
	resp, body = e.do("PUT", "/api/v1/agents/1001/state", "", `{"state":"ready"}`, "Cookie", cookie)
	wantError(t, resp, body, http.StatusUnauthorized, "unauthorized")
}
