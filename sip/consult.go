package sip

import (
	"net/url"
	"strings"

	sipmsg "github.com/emiago/sipgo/sip"
)

// isAgencyID tells whether user names an agency by id (consult calls dial them).
func (e *Edge) isAgencyID(user string) bool {
	if e.cfg.Transfers == nil || user == "" {
		return false
	}
	a, ok := e.cfg.Transfers.ResolveAgency(user)
	return ok && a == user
}

// authAgent checks an INVITE's digest credentials (Proxy-Authorization or
// Authorization) against the agents directory and answers the refusal itself:
// 407 with a challenge when there are none (or the nonce is stale), 403 when
// they are wrong (unknown user and wrong password alike), 400 when unreadable.
func (e *Edge) authAgent(req *sipmsg.Request, tx sipmsg.ServerTransaction) (string, bool) {
	h := req.GetHeader("Proxy-Authorization")
	if h == nil {
		h = req.GetHeader("Authorization")
	}
	if h == nil {
		e.challengeProxy(tx, req, false)
		return "", false
	}
	creds, err := ParseCredentials(h.Value())
	if err != nil {
		e.respond(tx, req, sipmsg.StatusBadRequest, "Bad Authorization")
		return "", false
	}
	if err := e.nonces.Check(creds.Nonce); err != nil {
		e.challengeProxy(tx, req, err == errNonceStale)
		return "", false
	}
	if !e.reg.authorized(creds, creds.Username, req) {
		e.guard.Failure(req, "INVITE with wrong credentials")
		e.log.Warn("security: consult INVITE refused", "user", creds.Username, "source", req.Source())
		e.respond(tx, req, sipmsg.StatusForbidden, "Forbidden")
		return "", false
	}
	if err := e.replays.use(creds.Nonce, creds.NC); err != nil {
		e.log.Warn("security: consult INVITE digest replay refused", "user", creds.Username, "source", req.Source(), "err", err)
		e.challengeProxy(tx, req, true)
		return "", false
	}
	return creds.Username, true
}

func (e *Edge) challengeProxy(tx sipmsg.ServerTransaction, req *sipmsg.Request, stale bool) {
	res := sipmsg.NewResponseFromRequest(req, sipmsg.StatusProxyAuthRequired, "Proxy Authentication Required", nil)
	for _, ch := range Challenges(e.cfg.Realm, e.nonces.Issue(), e.cfg.DigestAlgorithms) {
		if stale {
			ch += ", stale=true"
		}
		res.AppendHeader(sipmsg.NewHeader("Proxy-Authenticate", ch))
	}
	if err := tx.Respond(res); err != nil {
		e.log.Debug("sip respond 407", "err", err)
	}
}

// replacesCallID takes the Call-ID out of a Refer-To URI's Replaces header
// (RFC 3891): <sip:x@h?Replaces=CALLID%3Bto-tag%3D..%3Bfrom-tag%3D..>.
func replacesCallID(referTo string) (string, bool) {
	i := strings.Index(strings.ToLower(referTo), "replaces=")
	if i < 0 {
		return "", false
	}
	v := referTo[i+len("replaces="):]
	if j := strings.IndexAny(v, "&>"); j >= 0 {
		v = v[:j]
	}
	v, err := url.QueryUnescape(v)
	if err != nil {
		return "", false
	}
	callID, _, _ := strings.Cut(v, ";")
	return callID, callID != ""
}
