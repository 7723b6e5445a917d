package sip

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/emiago/sipgo"
	sipmsg "github.com/emiago/sipgo/sip"
)

// TextTrunk is where SIP MESSAGE texts go (identity.sms.trunk).
type TextTrunk struct {
	// URI is the Request-URI; {number} is replaced by the destination.
	URI       string
	From      string // a sip: URI; "" = the front-door number at our address
	Transport string // udp | tcp
	Username  string // digest credentials, if the trunk challenges
	Password  string
}

// maxUDPMessageBody keeps a MESSAGE with its headers inside RFC 3428's 1300 bytes.
const maxUDPMessageBody = 1000

// ErrNoTextTrunk: SendText needs identity.sms.trunk.
var ErrNoTextTrunk = errors.New("no SIP MESSAGE trunk configured")

// SendText sends text to number as a SIP MESSAGE (RFC 3428, text/plain)
// through the text trunk, over the edge's own client and socket (the
// trunk sees the address it already trusts). 200 and 202 are success; a
// 401/407 is answered once with the configured credentials; anything else
// is an error naming the status.
func (e *Edge) SendText(ctx context.Context, number, text string) error {
	t := e.cfg.Texts
	if t.URI == "" {
		return ErrNoTextTrunk
	}
	if number == "" || strings.Trim(number, "+0123456789") != "" {
		return fmt.Errorf("text destination %q is not a phone number", number)
	}
	if !strings.EqualFold(t.Transport, "tcp") && len(text) > maxUDPMessageBody {
		// RFC 3428 §5: over a transport without congestion control a MESSAGE stays under 1300 bytes.
		return fmt.Errorf("text of %d bytes is too long for a MESSAGE over UDP (at most %d)", len(text), maxUDPMessageBody)
	}
	var ruri sipmsg.Uri
	if err := sipmsg.ParseUri(strings.ReplaceAll(t.URI, "{number}", number), &ruri); err != nil {
		return fmt.Errorf("text trunk uri %q: %w", t.URI, err)
	}
	req := sipmsg.NewRequest(sipmsg.MESSAGE, ruri)
	if strings.EqualFold(t.Transport, "tcp") {
		req.SetTransport("TCP")
	} else {
		// From the listening socket, as the INVITEs to agents and trunks
		// (outbound.go): on a node bound to one address of several a fresh
		// socket's source is not the address the trunk knows.
		req.Laddr = e.listenAddr()
	}
	from := sipmsg.Uri{Scheme: "sip", User: e.cfg.Number, Host: e.cfg.AdvertiseIP, Port: e.port}
	if t.From != "" {
		if err := sipmsg.ParseUri(t.From, &from); err != nil {
			return fmt.Errorf("text trunk from %q: %w", t.From, err)
		}
	}
	fh := &sipmsg.FromHeader{Address: from, Params: sipmsg.NewParams()}
	fh.Params.Add("tag", sipmsg.GenerateTagN(16))
	req.AppendHeader(fh)
	// To is the caller's number at the trunk, whatever the Request-URI
	// (which may be a proxy's).
	req.AppendHeader(&sipmsg.ToHeader{Address: sipmsg.Uri{Scheme: "sip", User: number, Host: ruri.Host, Port: ruri.Port}, Params: sipmsg.NewParams()})
	req.AppendHeader(sipmsg.NewHeader("Content-Type", "text/plain;charset=UTF-8"))
	req.SetBody([]byte(text))

	res, err := e.cli.Do(ctx, req)
	if err != nil {
		return fmt.Errorf("message to the text trunk: %w", err)
	}
	if (res.StatusCode == sipmsg.StatusUnauthorized || res.StatusCode == sipmsg.StatusProxyAuthRequired) && t.Username != "" {
		if res, err = e.cli.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: t.Username, Password: t.Password}); err != nil {
			return fmt.Errorf("message to the text trunk (authenticated): %w", err)
		}
	}
	switch res.StatusCode {
	case sipmsg.StatusOK, sipmsg.StatusAccepted:
		return nil
	default:
		return fmt.Errorf("text trunk answered %d %s", res.StatusCode, res.Reason)
	}
}
