package sip

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	sipmsg "github.com/emiago/sipgo/sip"

	"github.com/frontdoor-project/frontdoor/calls"
)

// Transferer is the core's side of blind and attended transfers.
type Transferer interface {
	ResolveAgency(target string) (string, bool)
	Transfer(ctx context.Context, callID, target string, beforeRelease func()) error
	CompleteTransfer(ctx context.Context, callID, consultCallID string, beforeRelease func()) error
}

// onRefer takes a blind transfer from an agent's phone (RFC 3515): REFER inside
// the agent's dialog with Refer-To naming an agency (its id or a legacy number).
// Answers: 202 and NOTIFYs (100 Trying, then 200 OK or the failure) when taken;
// 404 for an unknown target, 400 without Refer-To, 481 outside an agent's call.
func (e *Edge) onRefer(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
	e.count(req)
	dlg, err := e.dcli.MatchRequestDialog(req)
	if err != nil {
		e.respond(tx, req, sipmsg.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	v, ok := e.agentCalls.Load(dlg.ID)
	tr := e.cfg.Transfers
	if !ok || tr == nil {
		e.respond(tx, req, sipmsg.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	callID := v.(string)
	if h := req.GetHeader("Refer-To"); h != nil {
		if sipCallID, ok := replacesCallID(h.Value()); ok {
			e.completeAttended(req, tx, dlg, callID, sipCallID)
			return
		}
	}
	target, err := referTarget(req)
	if err != nil {
		e.respond(tx, req, sipmsg.StatusBadRequest, "Bad Refer-To")
		return
	}
	if _, ok := tr.ResolveAgency(target); !ok {
		e.respond(tx, req, sipmsg.StatusNotFound, "Not Found")
		return
	}
	e.respond(tx, req, sipmsg.StatusAccepted, "Accepted")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e.notifyRefer(ctx, dlg, "SIP/2.0 100 Trying", false)
	notified := false
	err = tr.Transfer(ctx, callID, target, func() {
		notified = true
		e.notifyRefer(ctx, dlg, "SIP/2.0 200 OK", true)
	})
	if err != nil && !notified {
		e.log.Warn("transfer failed", "call", callID, "to", target, "err", err)
		e.notifyRefer(ctx, dlg, "SIP/2.0 503 Service Unavailable", true)
	}
}

// referTarget takes the user part of Refer-To: <sip:customs@host>.
func referTarget(req *sipmsg.Request) (string, error) {
	h := req.GetHeader("Refer-To")
	if h == nil {
		return "", errors.New("no Refer-To")
	}
	v := strings.TrimSpace(h.Value())
	if i := strings.IndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j > 0 {
			v = v[i+1 : i+j]
		}
	}
	var uri sipmsg.Uri
	if err := sipmsg.ParseUri(v, &uri); err != nil || uri.User == "" {
		return "", errors.New("Refer-To is not a SIP URI with a user")
	}
	return uri.User, nil
}

// notifyRefer reports the transfer's progress to the transferor (RFC 3515 §2.4.5).
func (e *Edge) notifyRefer(ctx context.Context, dlg *sipgo.DialogClientSession, frag string, final bool) {
	target := dlg.InviteRequest.Recipient
	if c := dlg.InviteResponse.Contact(); c != nil {
		target = c.Address
	}
	req := sipmsg.NewRequest(sipmsg.NOTIFY, target)
	req.AppendHeader(sipmsg.NewHeader("Event", "refer"))
	state := "active;expires=60"
	if final {
		state = "terminated;reason=noresource"
	}
	req.AppendHeader(sipmsg.NewHeader("Subscription-State", state))
	req.AppendHeader(sipmsg.NewHeader("Content-Type", "message/sipfrag;version=2.0"))
	req.SetBody([]byte(frag + "\r\n"))
	if _, err := dlg.Do(ctx, req); err != nil {
		e.log.Debug("NOTIFY for REFER", "err", err)
	}
}

var _ Transferer = (*calls.Switchboard)(nil)

// completeAttended finishes an attended transfer (REFER with Replaces naming the
// agent's consult call): 202, then NOTIFY 200 before the agent's legs end, or
// NOTIFY 503 when the core refuses. A Replaces naming no live call gets 481.
func (e *Edge) completeAttended(req *sipmsg.Request, tx sipmsg.ServerTransaction, dlg *sipgo.DialogClientSession, callID, sipCallID string) {
	v, ok := e.bySIPCallID.Load(sipCallID)
	if !ok {
		e.respond(tx, req, sipmsg.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	consultID := v.(string)
	e.respond(tx, req, sipmsg.StatusAccepted, "Accepted")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e.notifyRefer(ctx, dlg, "SIP/2.0 100 Trying", false)
	notified := false
	err := e.cfg.Transfers.CompleteTransfer(ctx, callID, consultID, func() {
		notified = true
		e.notifyRefer(ctx, dlg, "SIP/2.0 200 OK", true)
	})
	if err != nil && !notified {
		e.log.Warn("attended transfer failed", "call", callID, "consult", consultID, "err", err)
		e.notifyRefer(ctx, dlg, "SIP/2.0 503 Service Unavailable", true)
	}
}
