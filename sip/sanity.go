package sip

import (
	"strings"

	sipmsg "github.com/emiago/sipgo/sip"
)

// checkSanity answers requests the parser accepted but that frontdoor must refuse
// before any handler sees them, the way Kamailio's sanity module does (RFC 4475
// gives the expected answers): a SIP version other than 2.0 gets 505, a
// Request-URI scheme other than sip/sips/tel gets 416, a Require naming any
// extension gets 420 (we support none), and conflicting Content-Length headers
// get 400 (the body's length is unknowable).
func checkSanity(h func(*sipmsg.Request, sipmsg.ServerTransaction)) func(*sipmsg.Request, sipmsg.ServerTransaction) {
	return func(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
		if code, reason, hdr := insane(req); code != 0 {
			res := sipmsg.NewResponseFromRequest(req, code, reason, nil)
			res.SipVersion = "SIP/2.0"
			if hdr != nil {
				res.AppendHeader(hdr)
			}
			tx.Respond(res)
			return
		}
		h(req, tx)
	}
}

func insane(req *sipmsg.Request) (int, string, sipmsg.Header) {
	if req.SipVersion != "SIP/2.0" {
		return sipmsg.StatusVersionNotSupported, "Version Not Supported", nil
	}
	switch strings.ToLower(req.Recipient.Scheme) {
	case "sip", "sips", "tel":
	default:
		return 416, "Unsupported URI Scheme", nil
	}
	if cls := req.GetHeaders("Content-Length"); len(cls) > 1 {
		for _, cl := range cls[1:] {
			if strings.TrimSpace(cl.Value()) != strings.TrimSpace(cls[0].Value()) {
				return sipmsg.StatusBadRequest, "Conflicting Content-Length", nil
			}
		}
	}
	// ACK and CANCEL must not be refused for Require (RFC 3261 §8.2.2.3).
	if req.Method != sipmsg.ACK && req.Method != sipmsg.CANCEL {
		var tags []string
		for _, r := range req.GetHeaders("Require") {
			for _, t := range strings.Split(r.Value(), ",") {
				if t = strings.TrimSpace(t); t != "" {
					tags = append(tags, t)
				}
			}
		}
		if len(tags) > 0 {
			return sipmsg.StatusBadExtension, "Bad Extension", sipmsg.NewHeader("Unsupported", strings.Join(tags, ", "))
		}
	}
	return 0, "", nil
}
