package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/frontdoor-project/frontdoor/calls"
)

// A transfer or coaching request for a call held on another node of a
// cluster answers from the forwarding's outcome: the call's node gone 503,
// silent 504, both with Retry-After; a call nobody has 404. The user's right
// is checked before anything is forwarded, the user's id goes along, and
// every request is an audit record.
func TestCallActionsForwardedAnswers(t *testing.T) {
	outcomes := map[string]error{
		"gone":    fmt.Errorf("transfer on node node-a: %w", calls.ErrOwnerGone),
		"silent":  fmt.Errorf("coach on node node-a: %w", calls.ErrOwnerTimeout),
		"nobody":  fmt.Errorf("%w: nobody", calls.ErrUnknownCall),
		"refused": fmt.Errorf("coach on node node-a: %w (call c-2)", calls.ErrNotConnected),
	}
	var asked, audited []string
	e := newEnv(t, func(cfg *Config) {
		cfg.Audit = func(_ context.Context, e AuditEntry) error {
			audited = append(audited, e.Kind+" "+e.Actor+" "+e.State+" "+e.Result)
			return nil
		}
		cfg.Transfer = func(_ context.Context, callID, to, by string) error {
			asked = append(asked, "transfer "+callID+" for "+by)
			return outcomes[to]
		}
		cfg.Coach = func(_ context.Context, callID, supervisor, mode string) error {
			asked = append(asked, "coach "+callID+" for "+supervisor)
			return outcomes[mode]
		}
	})
	agent, sup := e.login("1002"), e.login("2001")
	for _, tc := range []struct {
		path, token, body string
		status            int
		code              string
	}{
		{"/api/v1/calls/c-2/transfer", agent, `{"to":"gone"}`, http.StatusServiceUnavailable, "owner_unavailable"},
		{"/api/v1/calls/c-2/transfer", agent, `{"to":"silent"}`, http.StatusGatewayTimeout, "owner_timeout"},
		{"/api/v1/calls/c-9/transfer", sup, `{"to":"nobody"}`, http.StatusNotFound, "unknown_call"},
		{"/api/v1/calls/c-2/coach", sup, `{"mode":"gone"}`, http.StatusServiceUnavailable, "owner_unavailable"},
		{"/api/v1/calls/c-2/coach", sup, `{"mode":"silent"}`, http.StatusGatewayTimeout, "owner_timeout"},
		{"/api/v1/calls/c-9/coach", sup, `{"mode":"nobody"}`, http.StatusNotFound, "unknown_call"},
		{"/api/v1/calls/c-2/coach", sup, `{"mode":"refused"}`, http.StatusConflict, "not_connected"},
	} {
		resp, body := e.do("POST", tc.path, tc.token, tc.body)
		wantError(t, resp, body, tc.status, tc.code)
		if retry := resp.Header.Get("Retry-After"); (tc.status >= 500) != (retry != "") {
			t.Errorf("%s %s: Retry-After %q", tc.path, tc.body, retry)
		}
	}
	// Agent 1002 may not transfer c-1 (not its call): refused here, never forwarded.
	resp, body := e.do("POST", "/api/v1/calls/c-1/transfer", agent, `{"to":"gone"}`)
	wantError(t, resp, body, http.StatusForbidden, "forbidden")
	if len(asked) != 7 || asked[0] != "transfer c-2 for 1002" || asked[3] != "coach c-2 for 2001" {
		t.Fatalf("asked the core %q", asked)
	}
	// Each request is audited on this node with the user who asked.
	if len(audited) != 8 || audited[0] != "call.transfer 1002 gone owner_unavailable" ||
		audited[4] != "supervisor.coach 2001 silent owner_timeout" || audited[7] != "call.transfer 1002 gone forbidden" {
		t.Fatalf("audit records %q", audited)
	}
}
