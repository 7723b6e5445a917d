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
	conn, err := e.cfg.Ports.Listen()
	if err != nil {
		return nil, fmt.Errorf("rtp port for agent leg: %w", err)
	}
	offer := media.OfferSDP(e.cfg.AdvertiseIP, localPort(conn), rand.Uint64()>>1)

	req := sipmsg.NewRequest(sipmsg.INVITE, *b.contact.Clone())
	if b.transport == "tcp" {
		req.SetTransport("TCP")
		req.SetDestination(b.source)
	}
	from := &sipmsg.FromHeader{DisplayName: o.From, Address: sipmsg.Uri{Scheme: "sip", User: e.cfg.Number, Host: e.cfg.AdvertiseIP, Port: e.port}, Params: sipmsg.NewParams()}
	from.Params.Add("tag", sipmsg.GenerateTagN(16))
	req.AppendHeader(from)
	req.AppendHeader(&sipmsg.ToHeader{Address: sipmsg.Uri{Scheme: "sip", User: agentID, Host: e.cfg.AdvertiseIP, Port: e.port}, Params: sipmsg.NewParams()})
	verified := "unverified"
	if o.Verified {
		verified = "verified"
	}
	req.AppendHeader(sipmsg.NewHeader("X-Frontdoor-Agency", o.Agency))
	req.AppendHeader(sipmsg.NewHeader("X-Frontdoor-Call", o.CallID))
	req.AppendHeader(sipmsg.NewHeader("X-Frontdoor-Identity", verified))
	req.AppendHeader(sipmsg.NewHeader("X-Frontdoor-Waited", strconv.Itoa(int(o.Waited))))
	if len(o.History) > 0 {
		// The screen pop: where the caller comes from (agency/agent per earlier leg).
		req.AppendHeader(sipmsg.NewHeader("X-Frontdoor-Transferred-From", strings.Join(o.History, ", ")))
	}
	req.AppendHeader(sipmsg.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(offer)

	dlg, err := e.dcli.WriteInvite(ctx, req)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("invite agent %s: %w", agentID, err)
	}
	if err := dlg.WaitAnswer(ctx, sipgo.AnswerOptions{}); err != nil {
		conn.Close()
		dlg.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("agent %s did not answer: %w", agentID, err)
	}
	fail := func(err error) (calls.AgentLeg, error) {
		conn.Close()
		dlg.Ack(context.Background())
		dlg.Bye(context.Background())
		dlg.Close()
		return nil, err
	}
	remote, err := media.ParseSDP(dlg.InviteResponse.Body())
	if err != nil {
		return fail(fmt.Errorf("agent %s answered with bad SDP: %w", agentID, err))
	}
	codec, dtmfPT, err := media.Negotiated(remote)
	if err != nil {
		return fail(fmt.Errorf("agent %s answer: %w", agentID, err))
	}
	if err := dlg.Ack(ctx); err != nil {
		return fail(fmt.Errorf("ack agent %s: %w", agentID, err))
	}
	leg := media.NewRTPLeg(conn, media.LegConfig{Remote: remote.UDPAddr(), Codec: codec, DTMFPayloadType: dtmfPT,
		Timeout: e.cfg.RTPTimeout, Logger: e.log, Stats: e.cfg.RTPStats})
	lctx, lcancel := context.WithCancel(context.Background())
	leg.Start(lctx)
	al := &sipLeg{dlg: dlg, rtp: leg, stop: lcancel, done: make(chan struct{})}
	e.agentCalls.Store(dlg.ID, o.CallID)
	e.legs.Store(dlg.ID, al)
	go func() {
		al.watch()
		e.agentCalls.Delete(dlg.ID)
		e.legs.Delete(dlg.ID)
		dlg.Close()
	}()
	return al, nil
}
