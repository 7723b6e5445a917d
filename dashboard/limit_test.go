package dashboard

import (
	"fmt"
	"net"
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

// TestCodeLookupsHaveANodeBudget: guessing codes from many addresses (each
// under its own limit) still meets the node's one budget.
func TestCodeLookupsHaveANodeBudget(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.PublicPerMinute, c.CodeLookupsPerMinute = 100, 4 })
	from := func(src string) *http.Response {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
		client := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
		resp, err := client.Get(e.srv.URL + "/api/v1/identity/codes/000001")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for i := 2; i <= 5; i++ { // four guessers, one lookup each: all answered
		if resp := from(fmt.Sprintf("127.0.0.%d", i)); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("lookup %d: %d", i, resp.StatusCode)
		}
	}
	resp := from("127.0.0.6") // a fresh address, but the node's budget is spent
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("5th lookup from a 5th address: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}
