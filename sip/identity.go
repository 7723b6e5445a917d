package sip

import (
	"strings"

	sipmsg "github.com/emiago/sipgo/sip"
)

// callerNumber is who the caller is, as far as we can tell: the number a
// trusted trunk asserts (P-Asserted-Identity, RFC 3325) if the INVITE comes
// from a trusted source, else the From user, which the caller chooses freely.
// A PAI from anyone else is ignored (it is as spoofable as From).
// asserted reports which of the two it is.
func (e *Edge) callerNumber(req *sipmsg.Request) (number string, asserted bool) {
	if h := req.GetHeader("P-Asserted-Identity"); h != nil {
		if ip := sourceIP(req); ip.IsValid() && e.guard.trusted(ip) {
			var u sipmsg.Uri
			v := strings.TrimSpace(h.Value())
			if i := strings.IndexByte(v, '<'); i >= 0 {
				if j := strings.IndexByte(v[i:], '>'); j > 0 {
					v = v[i+1 : i+j]
				}
			}
			if strings.HasPrefix(v, "tel:") {
				return strings.TrimPrefix(strings.SplitN(v, ";", 2)[0], "tel:"), true
			}
			if err := sipmsg.ParseUri(v, &u); err == nil && u.User != "" {
				return u.User, true
			}
		}
	}
	if f := req.From(); f != nil {
		return f.Address.User, false
	}
	return "", false
}
