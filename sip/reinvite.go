package sip

import (
	"slices"

	sipmsg "github.com/emiago/sipgo/sip"

	"github.com/frontdoor-project/frontdoor/media"
)

// onReinvite answers a re-INVITE on a caller's or an agent's leg: a phone putting
// the other side on hold (sendonly / inactive / c=0.0.0.0), taking it off hold,
// moving its media, or a carrier's session refresh (RFC 4028). The media stays on
// our port with the codec already chosen; the remote address follows the offer,
// and while on hold RTP silence does not end the call. An offer without our codec
// gets 488 and the call goes on as it was; an offerless re-INVITE gets our current
// SDP as the offer (its answer, in the ACK, changes nothing).
func (e *Edge) onReinvite(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
	leg, ok := e.legOf(req)
	if !ok {
		e.respond(tx, req, sipmsg.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	codec := leg.rtp.Codec()
	port := leg.rtp.LocalAddr().Port
	if !isSDP(req) {
		e.respondSDP(tx, req, media.OfferSDP(e.cfg.AdvertiseIP, port, 1))
		return
	}
	remote, err := media.ParseSDP(req.Body())
	if err != nil {
		e.respond(tx, req, sipmsg.StatusNotAcceptableHere, "Not Acceptable Here")
		return
	}
	if !slices.ContainsFunc(remote.Codecs, func(c media.Codec) bool { return c.PayloadType == codec.PayloadType }) {
		e.respond(tx, req, sipmsg.StatusNotAcceptableHere, "Not Acceptable Here",
			sipmsg.NewHeader("Warning", `305 frontdoor "the call's codec `+codec.Name+` must stay offered"`))
		return
	}
	answer, _, _, err := media.AnswerSDP(remote, e.cfg.AdvertiseIP, port, []media.Codec{codec})
	if err != nil {
		e.respond(tx, req, sipmsg.StatusNotAcceptableHere, "Not Acceptable Here")
		return
	}
	addr := remote.UDPAddr()
	if addr != nil {
		leg.rtp.SetRemote(addr)
	}
	held := addr == nil || remote.Direction == media.SendOnly || remote.Direction == media.Inactive
	leg.rtp.SetHeld(held)
	e.log.Info("re-INVITE", "held", held, "direction", remote.Direction, "source", req.Source())
	e.respondSDP(tx, req, answer)
}

func (e *Edge) respondSDP(tx sipmsg.ServerTransaction, req *sipmsg.Request, body []byte) {
	res := sipmsg.NewSDPResponseFromRequest(req, body)
	if res.Contact() == nil {
		res.AppendHeader(&sipmsg.ContactHeader{Address: sipmsg.Uri{Scheme: "sip", User: e.cfg.Number, Host: e.cfg.AdvertiseIP, Port: e.port}})
	}
	if err := tx.Respond(res); err != nil {
		e.log.Debug("sip respond re-INVITE", "err", err)
	}
}

// legOf finds the leg a mid-dialog request belongs to: a caller's (we answered
// its INVITE) or an agent's (we sent the INVITE).
func (e *Edge) legOf(req *sipmsg.Request) (*sipLeg, bool) {
	if dlg, err := e.dsrv.MatchDialogRequest(req); err == nil {
		if v, ok := e.legs.Load(dlg.ID); ok {
			return v.(*sipLeg), true
		}
	}
	if dlg, err := e.dcli.MatchRequestDialog(req); err == nil {
		if v, ok := e.legs.Load(dlg.ID); ok {
			return v.(*sipLeg), true
		}
	}
	return nil, false
}
