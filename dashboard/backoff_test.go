package dashboard

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// TestLoginBackoffPerAccount: a guesser of one account's password, coming
// from many addresses (here: a fresh address budget each round, the clock
// moved on), is held by the account's back-off: three wrong passwords are
// free, then each waits longer (1 s, 2 s, 4 s, ...) up to 5 minutes, with
// 429 login_backoff and Retry-After, and not even the right password is
// checked inside the wait. An unknown id backs off alike; another account
// is untouched; a success clears the account.
func TestLoginBackoffPerAccount(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.LoginsPerMinute = 1000 })
	guess := func(id string) (*http.Response, []byte) {
		return e.do("POST", "/api/v1/login", "", fmt.Sprintf(`{"id":%q,"password":"guess"}`, id))
	}
	for _, id := range []string{"1001", "no-such-agent"} {
		for i := range freeFailures {
			if resp, body := guess(id); resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("%s guess %d: %d %s", id, i+1, resp.StatusCode, body)
			}
		}
		want := time.Second
		for round := range 12 {
			if resp, body := guess(id); resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("%s round %d: %d %s, want 401 once the wait is over", id, round, resp.StatusCode, body)
			}
			resp, body := e.do("POST", "/api/v1/login", "", fmt.Sprintf(`{"id":%q,"password":%q}`, id, testDirectory["1001"][0]))
			wantError(t, resp, body, http.StatusTooManyRequests, "login_backoff")
			if ra, _ := strconv.Atoi(resp.Header.Get("Retry-After")); ra != int(want/time.Second) {
				t.Fatalf("%s round %d: Retry-After %q, want %v", id, round, resp.Header.Get("Retry-After"), want)
			}
			e.clock.Advance(want)
			want = min(2*want, backoffMax)
		}
		if want != backoffMax {
			t.Fatalf("the wait grew to %v only", want)
		}
	}
	// Another account was never slowed.
	e.login("1002")
	// 1001's wait is over: the right password logs in and clears it.
	e.login("1001")
	for i := range freeFailures {
		if resp, _ := guess("1001"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("after success, guess %d: %d", i+1, resp.StatusCode)
		}
	}
}
