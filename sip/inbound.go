package sip

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	sipmsg "github.com/emiago/sipgo/sip"

	"github.com/frontdoor-project/frontdoor/calls"
	"github.com/frontdoor-project/frontdoor/media"
	"github.com/frontdoor-project/frontdoor/media/dtmf"
)

// onInvite answers a citizen's call: route the number, negotiate media, hand the
// answered leg to the switchboard. Refusals: 404 unknown number, 488 no common codec
// or no SDP offer, 400 malformed SDP, 503 overloaded or out of RTP ports.
func (e *Edge) onInvite(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
	e.count(req)
	if req.To() != nil && req.To().Params.Has("tag") {
		// A re-INVITE (hold, session refresh) inside a call: keep the media as it is.
		e.onReinvite(req, tx)
		return
	}
	// 100 at once, before any admission work: a proxy in front (Kamailio's
	// fr_timer) takes a silent node for dead and fails the call over, and
	// the caller's UA stops retransmitting.
	e.respond(tx, req, sipmsg.StatusTrying, "Trying")
	if h := req.GetHeader(DeliverHeader); h != nil {
		// A cluster node's call for an agent whose softphone is here (deliver.go);
		// not counted against the source's caller budget: it is a node.
		e.onDeliver(req, tx, h.Value())
		return
	}
	release, ok := e.guard.AdmitInvite(req, tx) // answers 503 itself when full
	if !ok {
		return
	}
	defer release()
	endCall, ok := e.guard.AdmitCall(req, tx) // a source holding too many calls: 503
	if !ok {
		return
	}
	defer endCall()
	user := req.Recipient.User
	agency, consultBy := "", ""
	if user != e.cfg.Number {
		a, ok := e.cfg.Numbers[user]
		switch {
		case ok:
			agency = a
		case e.isAgencyID(user):
			// An agent's phone calling another agency: a consult call (attended
			// transfer). Only authenticated agents may; others are challenged.
			agentID, ok := e.authAgent(req, tx)
			if !ok {
				return
			}
			agency, consultBy = user, agentID
		default:
			e.guard.Failure(req, "INVITE to an unknown number")
			e.respond(tx, req, sipmsg.StatusNotFound, "Not Found")
			return
		}
	}
	if err := e.cfg.Switchboard.Admit(); err != nil {
		e.log.Warn("overloaded: INVITE refused", "source", req.Source())
		e.respond(tx, req, sipmsg.StatusServiceUnavailable, "Service Unavailable", sipmsg.NewHeader("Retry-After", "5"))
		return
	}
	if !isSDP(req) {
		e.respond(tx, req, sipmsg.StatusNotAcceptableHere, "SDP Offer Required")
		return
	}
	remote, err := media.ParseSDP(req.Body())
	if errors.Is(err, media.ErrNoCommonCodec) {
		e.respond(tx, req, sipmsg.StatusNotAcceptableHere, "Not Acceptable Here")
		return
	}
	if err != nil {
		e.log.Info("bad SDP in INVITE", "source", req.Source(), "err", err)
		e.respond(tx, req, sipmsg.StatusBadRequest, "Malformed SDP")
		return
	}
	conn, err := e.cfg.Ports.Listen()
	if err != nil {
		e.log.Error("no RTP port for caller", "err", err)
		e.respond(tx, req, sipmsg.StatusServiceUnavailable, "Service Unavailable", sipmsg.NewHeader("Retry-After", "5"))
		return
	}
	answer, codec, dtmfPT, err := media.AnswerSDP(remote, e.cfg.AdvertiseIP, localPort(conn), nil)
	if err != nil {
		conn.Close()
		if errors.Is(err, media.ErrNoCommonCodec) {
			e.respond(tx, req, sipmsg.StatusNotAcceptableHere, "Not Acceptable Here", sipmsg.NewHeader("Warning", `305 frontdoor "Incompatible media format: PCMU or PCMA required"`))
			return
		}
		e.respond(tx, req, sipmsg.StatusNotAcceptableHere, "Not Acceptable Here")
		return
	}
	dlg, err := e.dsrv.ReadInvite(req, tx)
	if err != nil {
		conn.Close()
		e.respond(tx, req, sipmsg.StatusBadRequest, "Bad Request")
		return
	}
	defer dlg.Close()

	leg := media.NewRTPLeg(conn, media.LegConfig{Remote: remote.UDPAddr(), Codec: codec, DTMFPayloadType: dtmfPT,
		Timeout: e.cfg.RTPTimeout, HoldTimeout: e.cfg.HoldTimeout, Logger: e.log, Stats: e.cfg.RTPStats})
	lctx, lcancel := context.WithCancel(context.Background())
	leg.Start(lctx)
	cl := &sipLeg{dlg: dlg, rtp: leg, stop: lcancel, done: make(chan struct{})}
	go cl.watch()

	id := calls.NewCallID()
	from, asserted := e.callerNumber(req)
	in := calls.Inbound{Number: user, From: from, FromAsserted: asserted, Agency: agency, Leg: cl}
	if consultBy != "" {
		in.From, in.FromAsserted, in.Consult = consultBy, false, true
	}
	call := e.cfg.Switchboard.Start(id, in)
	e.byDialog.Store(dlg.ID, call)
	if sipCallID := req.CallID(); sipCallID != nil {
		// REFER with Replaces names a dialog by its SIP Call-ID.
		e.bySIPCallID.Store(sipCallID.Value(), id)
		defer e.bySIPCallID.Delete(sipCallID.Value())
	}
	e.legs.Store(dlg.ID, cl)
	defer e.byDialog.Delete(dlg.ID)
	defer e.legs.Delete(dlg.ID)

	if err := dlg.RespondSDP(answer); err != nil {
		e.log.Info("caller leg not confirmed", "call", id, "err", err)
		cl.Hangup(context.Background())
	}
	release() // answered and confirmed (or failed): no longer pending
	// Keep the dialog in the cache until the call is over, for BYE and INFO matching.
	<-cl.Done()
}

func isSDP(req *sipmsg.Request) bool {
	ct := req.ContentType()
	return ct != nil && strings.HasPrefix(strings.ToLower(ct.Value()), "application/sdp") && len(req.Body()) > 0
}

func (e *Edge) onAck(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
	e.count(req)
	if err := e.dsrv.ReadAck(req, tx); err != nil {
		e.log.Debug("ACK outside a dialog", "err", err)
	}
}

func (e *Edge) onBye(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
	e.count(req)
	if err := e.dsrv.ReadBye(req, tx); err == nil {
		return
	}
	if err := e.dcli.ReadBye(req, tx); err == nil {
		return
	}
	e.respond(tx, req, sipmsg.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
}

// onInfo takes DTMF sent as SIP INFO (application/dtmf-relay or application/dtmf).
func (e *Edge) onInfo(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
	e.count(req)
	dlg, err := e.dsrv.MatchDialogRequest(req)
	if err != nil {
		if _, cerr := e.dcli.MatchRequestDialog(req); cerr == nil {
			e.respond(tx, req, sipmsg.StatusOK, "OK") // an agent's phone: nothing to do
			return
		}
		e.respond(tx, req, sipmsg.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	ct := ""
	if h := req.ContentType(); h != nil {
		ct = h.Value()
	}
	digit, err := dtmf.ParseInfo(ct, req.Body())
	if errors.Is(err, dtmf.ErrUnsupportedContentType) {
		e.respond(tx, req, sipmsg.StatusUnsupportedMediaType, "Unsupported Media Type",
			sipmsg.NewHeader("Accept", "application/dtmf-relay, application/dtmf"))
		return
	}
	if err != nil {
		e.log.Info("bad DTMF INFO", "source", req.Source(), "err", err)
		e.respond(tx, req, sipmsg.StatusBadRequest, "Bad DTMF Body")
		return
	}
	if v, ok := e.byDialog.Load(dlg.ID); ok {
		v.(*calls.Call).PressKey(digit)
	}
	e.respond(tx, req, sipmsg.StatusOK, "OK")
}

// sipLeg is one SIP dialog with its RTP leg: the caller's, or an agent's.
type sipLeg struct {
	dlg interface {
		Context() context.Context
		Bye(ctx context.Context) error
	}
	rtp      *media.RTPLeg
	stop     context.CancelFunc
	dialogID string
	once     sync.Once
	done     chan struct{}
}

var _ calls.CallerLeg = (*sipLeg)(nil)

func (l *sipLeg) Media() media.Endpoint { return l.rtp }
func (l *sipLeg) Done() <-chan struct{} { return l.done }

// watch ends the leg when the dialog ends (BYE, CANCEL) or the media dies (RTP timeout).
func (l *sipLeg) watch() {
	select {
	case <-l.dlg.Context().Done():
	case <-l.rtp.Done():
		if l.rtp.Err() != nil {
			// The media ended itself (no RTP, on hold too long): end the
			// dialog too, so the phone is not left in a call without media.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			l.Hangup(ctx)
			cancel()
		}
	}
	l.close()
}

func (l *sipLeg) close() {
	l.once.Do(func() {
		l.stop()
		l.rtp.Close()
		close(l.done)
	})
}

// Hangup sends BYE unless the other side already ended the dialog.
func (l *sipLeg) Hangup(ctx context.Context) error {
	var err error
	select {
	case <-l.dlg.Context().Done():
	default:
		if _, ok := ctx.Deadline(); !ok {
			// A peer that died (a cluster node after kill -9) never answers:
			// the call's cleanup need not wait out Timer F's 32 s for it.
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, byeTimeout)
			defer cancel()
		}
		err = l.dlg.Bye(ctx)
	}
	l.close()
	return err
}

// byeTimeout bounds the wait for a BYE's answer; the leg is closed either way.
const byeTimeout = 4 * time.Second
