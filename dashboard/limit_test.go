package dashboard

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

func TestLoginAttemptsAreLimitedPerClient(t *testing.T) {
	e := newEnv(t)
	for i := range 10 { // ten accounts, so the per-account back-off stays out of it
		resp, body := e.do("POST", "/api/v1/login", "", fmt.Sprintf(`{"id":"nobody%d","password":"guess"}`, i))
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d %s", i+1, resp.StatusCode, body)
		}
	}
	// The eleventh within the minute is refused before the password is checked,
	// even when it is right.
	resp, body := e.do("POST", "/api/v1/login", "", `{"id":"1001","password":"pw-1001"}`)
	wantError(t, resp, body, http.StatusTooManyRequests, "rate_limited")
	if ra := resp.Header.Get("Retry-After"); ra != "6" {
		t.Errorf("Retry-After %q, want 6 (10 a minute)", ra)
	}
	// The budget refills with the clock.
	e.clock.Advance(6 * time.Second)
	if resp, body := e.do("POST", "/api/v1/login", "", `{"id":"1001","password":"pw-1001"}`); resp.StatusCode != http.StatusOK {
		t.Errorf("after waiting: %d %s", resp.StatusCode, body)
	}
	// Logged-in traffic is not counted against the login budget.
	if resp, body := e.do("GET", "/api/v1/queues", testAdminToken, ""); resp.StatusCode != http.StatusOK {
		t.Errorf("queues: %d %s", resp.StatusCode, body)
	}
}

func TestPublicIdentityRoutesAreLimitedPerClient(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.PublicPerMinute = 3 })
	for range 2 {
		e.do("GET", "/api/v1/identity/codes/000001", "", "")
	}
	e.do("POST", "/api/v1/identity/sessions/x/presentation", "", "eyJ~", "Content-Type", "application/dc+sd-jwt")
	resp, body := e.do("GET", "/api/v1/identity/codes/000004", "", "")
	wantError(t, resp, body, http.StatusTooManyRequests, "rate_limited")

	resp, body = e.do("POST", "/api/v1/identity/sessions/x/presentation", "", "eyJ~", "Content-Type", "application/dc+sd-jwt")
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("presentation over budget: %d %s", resp.StatusCode, body)
	}
	r := decode[presentationRefusal](t, body)
	if r.Verified || r.Error != "rate_limited" {
		t.Errorf("presentation refusal %s", body)
	}
}
