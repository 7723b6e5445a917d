package sip

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/emiago/sipgo"
	sipmsg "github.com/emiago/sipgo/sip"

	"github.com/frontdoor-project/frontdoor/calls"
	"github.com/frontdoor-project/frontdoor/media"
)

// ErrNotRegistered: the agent has no phone registered.
var ErrNotRegistered = errors.New("agent has no registered phone")

// Dial rings an agent's registered phone with an INVITE carrying the X-Frontdoor-*
// headers, and returns the answered leg. ctx ending while it rings sends CANCEL.
func (e *Edge) Dial(ctx context.Context, agentID string, o calls.Offer) (calls.AgentLeg, error) {
	b, ok := e.reg.lookup(agentID)
	if !ok {
		return nil, ErrNotRegistered
	}
	req := sipmsg.NewRequest(sipmsg.INVITE, *b.contact.Clone())
	if b.transport == "tcp" || b.transport == "tls" {
		// Over the phone's own connection: a phone behind NAT or TLS listens on none.
		req.SetTransport(strings.ToUpper(b.transport))
		req.SetDestination(b.source)
	} else {
		// From the listening socket, whose address the Via and Contact give: a
		// phone that registered on another node of a cluster has sent this node
		// nothing, so there is no connection to it to reuse, and a fresh
		// socket's answers would go astray.
		req.Laddr = e.listenAddr()
	}
	e.addFromTo(req, agentDisplay(o), agentID)
	addOfferHeaders(req, o)
	leg, err := e.invite(ctx, req, sipgo.AnswerOptions{}, "agent "+agentID)
	if err != nil {
		return nil, err
	}
	e.agentCalls.Store(leg.dialogID, o.CallID)
	go func() {
		<-leg.Done()
		e.agentCalls.Delete(leg.dialogID)
	}()
	return leg, nil
}

// addOfferHeaders puts the screen pop in X-Frontdoor-* headers.
func addOfferHeaders(req *sipmsg.Request, o calls.Offer) {
	verified := "unverified"
	if o.Verified {
		verified = "verified"
	}
	req.AppendHeader(sipmsg.NewHeader("X-Frontdoor-Agency", o.Agency))
	req.AppendHeader(sipmsg.NewHeader("X-Frontdoor-Call", o.CallID))
	req.AppendHeader(sipmsg.NewHeader("X-Frontdoor-Identity", verified))
	if name := verifiedName(o); name != "" {
		req.AppendHeader(sipmsg.NewHeader("X-Frontdoor-Identity-Name", quotedString(name)))
	}
	req.AppendHeader(sipmsg.NewHeader("X-Frontdoor-Waited", strconv.Itoa(int(o.Waited))))
	if len(o.History) > 0 {
		// The screen pop: where the caller comes from (agency/agent per earlier leg).
		req.AppendHeader(sipmsg.NewHeader("X-Frontdoor-Transferred-From", strings.Join(o.History, ", ")))
	}
	if o.Callback != "" {
		req.AppendHeader(sipmsg.NewHeader("X-Frontdoor-Callback", o.Callback))
	}
}

// addFromTo sets From (frontdoor's number, with a display name) and To.
func (e *Edge) addFromTo(req *sipmsg.Request, display, toUser string) {
	// sipgo writes DisplayName between quotes as it is: escape it here.
	from := &sipmsg.FromHeader{DisplayName: escapeQuoted(display), Address: sipmsg.Uri{Scheme: "sip", User: e.cfg.Number, Host: e.cfg.AdvertiseIP, Port: e.port}, Params: sipmsg.NewParams()}
	from.Params.Add("tag", sipmsg.GenerateTagN(16))
	req.AppendHeader(from)
	to := req.Recipient
	to.User = toUser
	req.AppendHeader(&sipmsg.ToHeader{Address: to, Params: sipmsg.NewParams()})
}

// invite sends an INVITE offering G.711 from a fresh RTP port, waits for the
// answer (ctx ending sends CANCEL; auth answers a digest challenge) and returns
// the established leg. who names the far end in errors.
func (e *Edge) invite(ctx context.Context, req *sipmsg.Request, auth sipgo.AnswerOptions, who string) (*sipLeg, error) {
	conn, err := e.cfg.Ports.Listen()
	if err != nil {
		return nil, fmt.Errorf("rtp port for %s: %w", who, err)
	}
	req.AppendHeader(sipmsg.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(media.OfferSDP(e.cfg.AdvertiseIP, localPort(conn), rand.Uint64()>>1))
	dlg, err := e.dcli.WriteInvite(ctx, req)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("invite %s: %w", who, err)
	}
	if err := dlg.WaitAnswer(ctx, auth); err != nil {
		conn.Close()
		dlg.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%s did not answer: %w", who, err)
	}
	fail := func(err error) (*sipLeg, error) {
		conn.Close()
		dlg.Ack(context.Background())
		dlg.Bye(context.Background())
		dlg.Close()
		return nil, err
	}
	remote, err := media.ParseSDP(dlg.InviteResponse.Body())
	if err != nil {
		return fail(fmt.Errorf("%s answered with bad SDP: %w", who, err))
	}
	codec, dtmfPT, err := media.Negotiated(remote)
	if err != nil {
		return fail(fmt.Errorf("%s answer: %w", who, err))
	}
	if err := dlg.Ack(ctx); err != nil {
		return fail(fmt.Errorf("ack %s: %w", who, err))
	}
	leg := media.NewRTPLeg(conn, media.LegConfig{Remote: remote.UDPAddr(), Codec: codec, DTMFPayloadType: dtmfPT,
		Timeout: e.cfg.RTPTimeout, HoldTimeout: e.cfg.HoldTimeout, Logger: e.log, Stats: e.cfg.RTPStats})
	lctx, lcancel := context.WithCancel(context.Background())
	leg.Start(lctx)
	l := &sipLeg{dlg: dlg, rtp: leg, stop: lcancel, done: make(chan struct{}), dialogID: dlg.ID}
	e.legs.Store(dlg.ID, l)
	go func() {
		l.watch()
		e.legs.Delete(dlg.ID)
		dlg.Close()
	}()
	return l, nil
}
