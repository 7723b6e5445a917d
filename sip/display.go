package sip

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/frontdoor-project/frontdoor/calls"
)

// maxDisplay bounds a display name we put in a header (characters).
const maxDisplay = 64

// agentDisplay is the From display name of an agent's INVITE. It always begins
// with what frontdoor knows, so a caller-chosen From ("Verified: Jane Doe")
// cannot pass for a verified identity: "Verified: <given> <family>" for a
// verified call, "Unverified: <caller>" otherwise, "Callback: <number>" for a
// booked callback.
func agentDisplay(o calls.Offer) string {
	switch {
	case o.Callback != "":
		return "Callback: " + o.Callback
	case o.Verified:
		if name := verifiedName(o); name != "" {
			return "Verified: " + name
		}
		return "Verified caller"
	case o.From == "":
		return "Unverified caller"
	}
	return "Unverified: " + o.From
}

// verifiedName is "given_name family_name" from the verified identity, "" if
// the call is not verified or discloses neither.
func verifiedName(o calls.Offer) string {
	if !o.Verified || o.Identity == nil {
		return ""
	}
	return strings.TrimSpace(o.Identity["given_name"] + " " + o.Identity["family_name"])
}

// escapeQuoted makes s the inside of an RFC 3261 quoted-string (§25.1): invalid
// UTF-8 and control characters (CR and LF cannot be quoted at all) become
// spaces, '"' and '\' are backslash-escaped, and it is cut to maxDisplay
// characters. Non-ASCII UTF-8 is allowed in qdtext and kept.
func escapeQuoted(s string) string {
	var b strings.Builder
	n := 0
	for i, r := range s {
		if n == maxDisplay {
			break
		}
		n++
		if r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD") || unicode.IsControl(r) {
			r = ' '
		}
		if r == '"' || r == '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// quotedString is s as a whole RFC 3261 quoted-string, for header values.
func quotedString(s string) string { return `"` + escapeQuoted(s) + `"` }
