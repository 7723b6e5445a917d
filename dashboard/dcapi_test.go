package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/frontdoor-project/frontdoor/identity/openid4vp"
)

// dcRequest GETs a session's DC API request as the caller page does.
func (e *oidEnv) dcRequest(t *testing.T, id, query string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(e.url + "/api/v1/identity/sessions/" + id + "/dc-request" + query)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode == http.StatusOK && (resp.Header.Get("Content-Type") != "application/json" ||
		resp.Header.Get("Cache-Control") != "no-store") {
		t.Fatalf("dc-request headers %v", resp.Header)
	}
	return resp.StatusCode, body
}

// The page's DC API round trip over the real routes: the request it
// fetches, the Go wallet answering it for the page's origin, the answer
// posted with that Origin header; then each HTTP-level refusal.
func TestDCAPIRoutes(t *testing.T) {
	e := newOIDEnv(t, oidOptions{})
	dcURL := func(id string) string { return e.url + "/api/v1/identity/sessions/" + id + "/dc-response" }
	answer := func(t *testing.T, id, origin string) []byte {
		t.Helper()
		status, raw := e.dcRequest(t, id, "")
		var req openid4vp.DCRequest
		if err := json.Unmarshal(raw, &req); status != http.StatusOK || err != nil {
			t.Fatalf("dc-request %d %s: %v", status, raw, err)
		}
		wr, err := openid4vp.ResolveDC(req, origin, e.trust)
		if err != nil {
			t.Fatal(err)
		}
		body, err := wr.AnswerDC(e.wallet, openid4vp.AnswerOptions{Now: e.clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		return body
	}
	post := func(t *testing.T, id, origin string, body []byte) (int, openid4vp.ErrorBody) {
		t.Helper()
		res, err := openid4vp.PostDC(context.Background(), http.DefaultClient, dcURL(id), origin, body)
		if err != nil {
			t.Fatal(err)
		}
		var eb openid4vp.ErrorBody
		if err := json.Unmarshal(res.Body, &eb); err != nil {
			t.Fatalf("answer %d %s: %v", res.Status, res.Body, err)
		}
		return res.Status, eb
	}

	t.Run("verified", func(t *testing.T) {
		id, _ := e.session(t)
		if status, body := post(t, id, e.url, answer(t, id, e.url)); status != http.StatusOK || body.Error != "" {
			t.Fatalf("answer: %d %+v", status, body)
		}
		e.mu.Lock()
		defer e.mu.Unlock()
		if last := e.observed[len(e.observed)-1]; last != "dcapi-sdjwt/verified" {
			t.Fatalf("observed %v", e.observed)
		}
	})
	for _, tc := range []struct {
		name, origin, code string
	}{
		{"posted from another site", "https://evil.example", openid4vp.CodeOriginNotExpected},
		{"no Origin header", "", openid4vp.CodeOriginNotExpected},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, _ := e.session(t)
			status, body := post(t, id, tc.origin, answer(t, id, e.url))
			if status != http.StatusBadRequest || body.Error != tc.code {
				t.Fatalf("got %d %+v, want 400 %s", status, body, tc.code)
			}
		})
	}
	t.Run("form-encoded", func(t *testing.T) {
		id, _ := e.session(t)
		req, _ := http.NewRequest(http.MethodPost, dcURL(id), strings.NewReader("response=x"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", e.url)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("form post: %d", resp.StatusCode)
		}
	})
	t.Run("request refusals", func(t *testing.T) {
		id, _ := e.session(t)
		if status, body := e.dcRequest(t, id, "?protocol=openid4vp-v1-multisigned"); status != http.StatusBadRequest ||
			!strings.Contains(string(body), `"invalid_request"`) {
			t.Fatalf("unknown protocol: %d %s", status, body)
		}
		if status, body := e.dcRequest(t, "nope", ""); status != http.StatusNotFound {
			t.Fatalf("unknown session: %d %s", status, body)
		}
		status, body := e.dcRequest(t, id, "?protocol="+openid4vp.ProtocolUnsigned)
		if status != http.StatusOK || !strings.Contains(string(body), fmt.Sprintf("%q", openid4vp.ProtocolUnsigned)) {
			t.Fatalf("unsigned: %d %s", status, body)
		}
	})
}
