package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
)

// Every identity method × result pair shows at zero before any presentation,
// and every text channel × result pair before the first text.
func TestIdentitySeriesAtZero(t *testing.T) {
	m := New([]string{"tax"})
	m.IdentitySeries([]string{"web", "openid4vp-sdjwt"}, []string{"verified", "wrong_state"})
	m.SMSSeries([]string{"webhook", "sip"}, []string{"sent", "error", "rate_limited"})
	m.IdentitySMS("sip", "sent")
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`frontdoor_identity_verifications_total{method="openid4vp-sdjwt",result="wrong_state"} 0`,
		`frontdoor_identity_verifications_total{method="web",result="verified"} 0`,
		`frontdoor_identity_sms_total{channel="webhook",result="error"} 0`,
		`frontdoor_identity_sms_total{channel="webhook",result="rate_limited"} 0`,
		`frontdoor_identity_sms_total{channel="sip",result="sent"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("missing %s", want)
		}
	}
}
