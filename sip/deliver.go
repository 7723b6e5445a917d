package sip

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/emiago/sipgo"
	sipmsg "github.com/emiago/sipgo/sip"

	"github.com/frontdoor-project/frontdoor/calls"
	"github.com/frontdoor-project/frontdoor/media"
)

// In a cluster, a browser agent's softphone is connected to one node (its
// home); a call held by another node reaches it node to node: the call's
// node INVITEs the home node with X-Frontdoor-Deliver naming the agent, and
// the home node rings its browser leg and bridges that RTP leg to it.

// DeliverHeader names the agent a node-to-node INVITE is for.
const DeliverHeader = "X-Frontdoor-Deliver"

// claimsHeader carries the caller's verified claims between nodes (JSON), so
// the home node's screen pop shows what a local one would.
const claimsHeader = "X-Frontdoor-Identity-Claims"

// fromHeader carries the caller's number or display as the offer had it
// (the From display is the agents' "Verified: …" line).
const fromHeader = "X-Frontdoor-From"

// DialNode rings agentID's softphone on the cluster node at addr (its
// advertise SIP host:port) and returns the answered node-to-node leg. The
// home node's 480/486/timeout is an error: the agent did not answer.
func (e *Edge) DialNode(ctx context.Context, addr, agentID string, o calls.Offer) (calls.AgentLeg, error) {
	req, err := e.deliveryRequest(addr, agentID, o)
	if err != nil {
		return nil, err
	}
	leg, err := e.invite(ctx, req, sipgo.AnswerOptions{}, "node "+addr+" for agent "+agentID)
	if err != nil {
		return nil, err
	}
	return leg, nil
}

// deliveryRequest is the INVITE (without SDP) that carries o to agentID's home node.
func (e *Edge) deliveryRequest(addr, agentID string, o calls.Offer) (*sipmsg.Request, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("node address %q: %w", addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("node address %q: bad port", addr)
	}
	req := sipmsg.NewRequest(sipmsg.INVITE, sipmsg.Uri{Scheme: "sip", User: agentID, Host: host, Port: port})
	req.Laddr = e.listenAddr() // the home node checks the source is a node
	e.addFromTo(req, agentDisplay(o), agentID)
	addOfferHeaders(req, o)
	req.AppendHeader(sipmsg.NewHeader(DeliverHeader, agentID))
	if o.From != "" {
		req.AppendHeader(sipmsg.NewHeader(fromHeader, o.From))
	}
	if o.Verified && len(o.Identity) > 0 {
		b, err := json.Marshal(o.Identity)
		if err == nil {
			req.AppendHeader(sipmsg.NewHeader(claimsHeader, string(b)))
		}
	}
	return req, nil
}

// fromNode tells whether source (host:port) is a live cluster node's
// advertised SIP address; only the IP is compared (TCP uses fresh ports).
func (e *Edge) fromNode(ctx context.Context, source string) (bool, error) {
	if e.cfg.Nodes == nil {
		return false, nil
	}
	host, _, err := net.SplitHostPort(source)
	if err != nil {
		return false, nil
	}
	addrs, err := e.cfg.Nodes(ctx)
	if err != nil {
		return false, err
	}
	for _, a := range addrs {
		if h, _, err := net.SplitHostPort(a); err == nil && h == host {
			return true, nil
		}
	}
	return false, nil
}

// offerFrom rebuilds the offer a node sent with a delivery INVITE.
func offerFrom(req *sipmsg.Request) calls.Offer {
	get := func(name string) string {
		if h := req.GetHeader(name); h != nil {
			return h.Value()
		}
		return ""
	}
	o := calls.Offer{CallID: get("X-Frontdoor-Call"), Agency: get("X-Frontdoor-Agency"),
		Verified: get("X-Frontdoor-Identity") == "verified", Callback: get("X-Frontdoor-Callback"), Codec: media.PCMU}
	o.From = get(fromHeader)
	o.Waited, _ = strconv.ParseFloat(get("X-Frontdoor-Waited"), 64)
	if h := get("X-Frontdoor-Transferred-From"); h != "" {
		o.History = strings.Split(h, ", ")
	}
	if c := get(claimsHeader); c != "" && o.Verified {
		if err := json.Unmarshal([]byte(c), &o.Identity); err != nil {
			o.Identity = nil
		}
	}
	return o
}

// onDeliver answers a node-to-node INVITE: 403 unless it comes from a live
// node; then the agent's softphone rings (180), and the answer is 200 with
// an RTP leg bridged to the browser leg. 480: no softphone here or the agent
// rejected; 487: the calling node cancelled (CANCEL at its ring timeout).
func (e *Edge) onDeliver(req *sipmsg.Request, tx sipmsg.ServerTransaction, agentID string) {
	ok, err := e.fromNode(context.Background(), req.Source())
	if err != nil {
		e.log.Warn("delivery refused: cannot read the cluster's nodes", "source", req.Source(), "err", err)
		e.respond(tx, req, sipmsg.StatusServiceUnavailable, "Service Unavailable", sipmsg.NewHeader("Retry-After", "5"))
		return
	}
	if !ok {
		e.guard.Failure(req, "delivery INVITE from a non-node")
		e.log.Warn("delivery refused: not a cluster node", "source", req.Source(), "agent", agentID)
		e.respond(tx, req, sipmsg.StatusForbidden, "Forbidden: Not A Cluster Node")
		return
	}
	if e.cfg.Deliver == nil {
		e.respond(tx, req, sipmsg.StatusTemporarilyUnavailable, "Temporarily Unavailable")
		return
	}
	if !isSDP(req) {
		e.respond(tx, req, sipmsg.StatusNotAcceptableHere, "SDP Offer Required")
		return
	}
	remote, err := media.ParseSDP(req.Body())
	if err != nil {
		e.respond(tx, req, sipmsg.StatusNotAcceptableHere, "Not Acceptable Here")
		return
	}
	dlg, err := e.dsrv.ReadInvite(req, tx)
	if err != nil {
		e.respond(tx, req, sipmsg.StatusBadRequest, "Bad Request")
		return
	}
	defer dlg.Close()
	dlg.Respond(sipmsg.StatusRinging, "Ringing", nil)
	offer := offerFrom(req)
	lost := e.trackDelivery(offer.CallID)
	defer e.untrackDelivery(offer.CallID, lost)
	ring, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-tx.Done(): // CANCEL, or the transaction ended
		case <-dlg.Context().Done():
		case <-lost.ctx.Done():
		case <-ring.Done():
		}
		cancel()
	}()
	browser, err := e.cfg.Deliver.Dial(ring, agentID, offer)
	if err != nil {
		e.log.Info("delivered call not answered", "agent", agentID, "err", err)
		if ring.Err() == nil {
			dlg.Respond(sipmsg.StatusTemporarilyUnavailable, "Temporarily Unavailable", nil)
		}
		return
	}
	conn, err := e.cfg.Ports.Listen()
	if err != nil {
		browser.Hangup(context.Background())
		dlg.Respond(sipmsg.StatusServiceUnavailable, "Service Unavailable", nil)
		return
	}
	answer, codec, dtmfPT, err := media.AnswerSDP(remote, e.cfg.AdvertiseIP, localPort(conn), nil)
	if err != nil {
		conn.Close()
		browser.Hangup(context.Background())
		dlg.Respond(sipmsg.StatusNotAcceptableHere, "Not Acceptable Here", nil)
		return
	}
	leg := media.NewRTPLeg(conn, media.LegConfig{Remote: remote.UDPAddr(), Codec: codec, DTMFPayloadType: dtmfPT,
		Timeout: e.cfg.RTPTimeout, HoldTimeout: e.cfg.HoldTimeout, Logger: e.log, Stats: e.cfg.RTPStats})
	lctx, lcancel := context.WithCancel(context.Background())
	leg.Start(lctx)
	nl := &sipLeg{dlg: dlg, rtp: leg, stop: lcancel, done: make(chan struct{}), dialogID: dlg.ID}
	go nl.watch()
	e.legs.Store(dlg.ID, nl)
	defer e.legs.Delete(dlg.ID)
	stop := media.Bridge(leg, browser.Media())
	defer stop()
	if err := dlg.RespondSDP(answer); err != nil {
		e.log.Info("delivered call not confirmed", "agent", agentID, "err", err)
		nl.Hangup(context.Background())
	}
	// Either side's end ends both: BYE from the calling node, or the agent's hang-up.
	select {
	case <-nl.Done():
		browser.Hangup(context.Background())
	case <-browser.Done():
		nl.Hangup(context.Background())
	case <-lost.ctx.Done():
		// The calling node is dead: no BYE (nobody would answer it).
		nl.close()
		browser.Hangup(context.Background())
	}
}

// deliveryEnd ends one delivered call when its calling node is lost.
type deliveryEnd struct {
	ctx    context.Context
	cancel context.CancelFunc
}

func (e *Edge) trackDelivery(callID string) *deliveryEnd {
	d := &deliveryEnd{}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	e.delivered.Store(callID, d)
	return d
}

func (e *Edge) untrackDelivery(callID string, d *deliveryEnd) {
	e.delivered.CompareAndDelete(callID, d)
	d.cancel()
}

// EndDelivered ends the delivered call callID, ringing or connected, when
// the node that held its caller is lost (the cluster's node_lost): that
// node will never send BYE or CANCEL, and without this the browser leg
// would last until the RTP timeout while the ACD has freed the agent.
// It does not block.
func (e *Edge) EndDelivered(callID string) {
	if d, ok := e.delivered.Load(callID); ok {
		d.(*deliveryEnd).cancel()
	}
}
