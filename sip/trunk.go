package sip

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/emiago/sipgo"
	sipmsg "github.com/emiago/sipgo/sip"

	"github.com/frontdoor-project/frontdoor/calls"
)

// Trunk is the outbound SIP trunk callbacks go through.
type Trunk struct {
	Addr      string // host:port
	Transport string // udp | tcp
	Username  string // digest credentials, if the trunk challenges
	Password  string
}

// ErrNoTrunk: callbacks need an outbound trunk.
var ErrNoTrunk = errors.New("no outbound trunk configured")

// DialCitizen calls a citizen back through the trunk (INVITE sip:<number>@trunk,
// from the front-door number) and returns the answered leg. ctx ending while it
// rings sends CANCEL; a 401/407 from the trunk is answered with the configured
// credentials.
func (e *Edge) DialCitizen(ctx context.Context, number, callID string) (calls.CallerLeg, error) {
	t := e.cfg.Trunk
	if t.Addr == "" {
		return nil, ErrNoTrunk
	}
	if number == "" || strings.Trim(number, "+0123456789") != "" {
		return nil, fmt.Errorf("callback number %q is not a phone number", number)
	}
	host, portStr, err := net.SplitHostPort(t.Addr)
	if err != nil {
		return nil, fmt.Errorf("trunk address %q: %w", t.Addr, err)
	}
	port, _ := strconv.Atoi(portStr)
	req := sipmsg.NewRequest(sipmsg.INVITE, sipmsg.Uri{Scheme: "sip", User: number, Host: host, Port: port})
	if strings.EqualFold(t.Transport, "tcp") {
		req.SetTransport("TCP")
	} else {
		// From the listening socket, as an agent's INVITE (Dial): a fresh
		// socket's source is not the address the Via names, so on a node
		// listening on one address of several (a cluster node on 127.0.0.3)
		// the trunk's answers went astray and no callback connected.
		req.Laddr = e.listenAddr()
	}
	e.addFromTo(req, "Government Call Center", number)
	req.AppendHeader(sipmsg.NewHeader("X-Frontdoor-Call", callID))
	return e.invite(ctx, req, sipgo.AnswerOptions{Username: t.Username, Password: t.Password}, "callback to "+number)
}
