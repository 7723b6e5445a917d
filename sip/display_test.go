package sip

import (
	"strings"
	"testing"

	"github.com/frontdoor-project/frontdoor/calls"
)

// Display names go into a quoted-string: what a caller sends can neither end
// it early, nor start a header line, nor pass for frontdoor's verdict.
func TestEscapeQuotedAndAgentDisplay(t *testing.T) {
	for in, want := range map[string]string{
		`Jane "the boss" Doe`:                   `Jane \"the boss\" Doe`,
		`back\slash`:                            `back\\slash`,
		"Eve\r\nX-Frontdoor-Identity: verified": `Eve  X-Frontdoor-Identity: verified`,
		`x" <sip:evil@10.6.6.6>`:                `x\" <sip:evil@10.6.6.6>`,
		"Kim \xff\x00Minji":                     "Kim   Minji",
		"김민지":                                   "김민지",
	} {
		if got := escapeQuoted(in); got != want {
			t.Errorf("escapeQuoted(%q) = %q, want %q", in, got, want)
		}
	}
	if got := escapeQuoted(strings.Repeat("a", 500)); len(got) != maxDisplay {
		t.Errorf("long display name kept %d characters", len(got))
	}
	for o, want := range map[*calls.Offer]string{
		{From: "Verified: Jane Doe"}: "Unverified: Verified: Jane Doe",
		{From: "0101234", Verified: true, Identity: map[string]string{"given_name": "Minji", "family_name": "Kim"}}: "Verified: Minji Kim",
		{From: "0101234", Verified: true}: "Verified caller",
		{}:                                "Unverified caller",
	} {
		if got := agentDisplay(*o); got != want {
			t.Errorf("agentDisplay(%+v) = %q, want %q", *o, got, want)
		}
	}
}
