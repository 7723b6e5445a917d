package webrtc

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/frontdoor-project/frontdoor/calls"
	"github.com/frontdoor-project/frontdoor/store"
)

// connectTimeout bounds ICE and DTLS set-up of a browser leg.
const connectTimeout = 15 * time.Second

// maxVerifies bounds the verification sessions one page may open: each
// holds a nonce in the identity service for its lifetime.
const maxVerifies = 5

// QRPath is where the dashboard serves a session's wallet link as a QR
// code (PNG), for a wallet on another device.
func QRPath(sessionID string) string { return sessionPath(sessionID, "/qr.png") }

// DCRequestPath and DCResponsePath are the session's Digital Credentials
// API routes on the dashboard.
func DCRequestPath(sessionID string) string  { return sessionPath(sessionID, "/dc-request") }
func DCResponsePath(sessionID string) string { return sessionPath(sessionID, "/dc-response") }

func sessionPath(sessionID, leaf string) string {
	return "/api/v1/identity/sessions/" + url.PathEscape(sessionID) + leaf
}

// callerSession is one citizen's page: at most one digital-ID check and one
// call at a time.
type callerSession struct {
	s  *Server
	so *socket

	mu           sync.Mutex
	claims       map[string]string // verified before the call
	verifyCancel context.CancelFunc
	verifies     int // sessions opened by this page
	leg          *Leg
}

func (s *Server) serveCaller(w http.ResponseWriter, r *http.Request) {
	so, done, err := s.accept(w, r, s.callerSlot(r))
	if err != nil {
		s.log.Debug("caller socket refused", "err", err)
		return
	}
	defer done()
	cs := &callerSession{s: s, so: so}
	defer cs.end()
	hello := msg{Type: tHello, Role: "caller", Identity: s.cfg.Identity != nil}
	for _, a := range s.cfg.Agencies {
		hello.Agencies = append(hello.Agencies, agencyInfo{ID: a.ID, Name: a.Name, Digit: a.Digit})
	}
	if so.send(hello) != nil {
		return
	}
	for {
		m, err := so.read()
		if err != nil {
			return
		}
		cs.mu.Lock()
		leg := cs.leg
		cs.mu.Unlock()
		if handleMedia(so, leg, m) {
			continue
		}
		switch m.Type {
		case tVerify:
			cs.verify()
		case tCall:
			cs.call(m.Agency)
		case tHangup:
			if leg != nil {
				leg.Close()
			}
		default:
			so.sendError("unknown_type", fmt.Sprintf("the caller page cannot send %q", m.Type))
		}
	}
}

// end hangs up whatever the page left behind: a closed page is a hang-up.
func (cs *callerSession) end() {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.verifyCancel != nil {
		cs.verifyCancel()
	}
	if cs.leg != nil {
		cs.leg.Close()
	}
}

// verify opens a digital-ID session and tells the page its code; the
// claims arrive when the citizen's wallet presents to it.
func (cs *callerSession) verify() {
	id := cs.s.cfg.Identity
	if id == nil {
		cs.so.sendError("identity_off", "digital ID is not offered here")
		return
	}
	cs.mu.Lock()
	if cs.leg != nil {
		cs.mu.Unlock()
		cs.so.sendError("in_call", "verify before calling")
		return
	}
	if cs.verifies >= maxVerifies {
		cs.mu.Unlock()
		cs.so.sendError("too_many_verifications", "reload the page to try again")
		return
	}
	cs.verifies++
	if cs.verifyCancel != nil {
		cs.verifyCancel() // a new code replaces the old one
	}
	ctx, cancel := context.WithCancel(cs.so.ctx)
	cs.verifyCancel = cancel
	cs.mu.Unlock()
	v, err := id.Open(ctx)
	if err != nil {
		cs.s.log.Error("open verification", "err", err)
		cs.so.sendError("identity_unavailable", "could not start a verification; please try again")
		return
	}
	vm := msg{Type: tVerification, Code: v.Code, ExpiresAt: &v.ExpiresAt, WalletURL: v.WalletURL, RequestURI: v.RequestURI}
	if v.WalletURL != "" {
		// Relative, so the page loads them from wherever it was served
		// (and its origin is what the DC API answer is bound to).
		vm.QR, vm.DCRequest, vm.DCResponse = QRPath(v.ID), DCRequestPath(v.ID), DCResponsePath(v.ID)
	}
	cs.so.send(vm)
	go func() {
		claims, err := id.Wait(ctx, v.ID)
		if err != nil {
			if ctx.Err() == nil {
				cs.so.send(msg{Type: tError, Error: "verification_failed", Detail: "the code expired before a wallet answered it"})
			}
			return
		}
		cs.mu.Lock()
		cs.claims = claims
		cs.mu.Unlock()
		cs.so.send(msg{Type: tVerified, Claims: claims})
	}()
}

// call makes the page's leg and, once its media is up, hands it to the
// switchboard as a web call.
func (cs *callerSession) call(agency string) {
	s := cs.s
	if agency != "" {
		if _, ok := s.agencies[agency]; !ok {
			cs.so.sendError("unknown_agency", fmt.Sprintf("no agency %q", agency))
			return
		}
	}
	cs.mu.Lock()
	if cs.leg != nil {
		cs.mu.Unlock()
		cs.so.sendError("in_call", "this page already has a call")
		return
	}
	if err := s.cfg.Switchboard.Admit(); err != nil {
		cs.mu.Unlock()
		cs.so.sendError("overloaded", "all lines are busy; please try again in a few minutes")
		return
	}
	leg, err := s.newLeg()
	if err != nil {
		cs.mu.Unlock()
		s.log.Error("browser leg", "err", err)
		cs.so.sendError("internal", "could not set up the call")
		return
	}
	cs.leg = leg
	claims := cs.claims
	cs.mu.Unlock()

	ctx, cancel := context.WithTimeout(cs.so.ctx, connectTimeout)
	if err := cs.so.offer(ctx, leg, msg{}); err != nil {
		cancel()
		cs.failed(leg, err)
		return
	}
	go func() {
		defer cancel()
		select {
		case <-leg.Connected():
		case <-leg.Done():
			cs.failed(leg, errors.New("media closed before it connected"))
			return
		case <-ctx.Done():
			cs.failed(leg, fmt.Errorf("media did not connect: %w", ctx.Err()))
			return
		}
		id := calls.NewCallID()
		s.cfg.Switchboard.Start(id, calls.Inbound{Number: s.cfg.Number, From: "web", Agency: agency,
			Leg: legHandle{leg}, Identity: claims})
		cs.follow(id, leg)
	}()
}

func (cs *callerSession) failed(leg *Leg, err error) {
	cs.s.log.Info("web call not set up", "err", err)
	leg.Close()
	cs.mu.Lock()
	if cs.leg == leg {
		cs.leg = nil
	}
	cs.mu.Unlock()
	cs.so.send(msg{Type: tEnded, Reason: "failed", Detail: "the call could not be set up"})
}

// follow tells the page what happens to its call until it ends: state,
// queue position and estimated wait, and the outcome.
func (cs *callerSession) follow(id string, leg *Leg) {
	sb := cs.s.cfg.Switchboard
	ctx, cancel := context.WithCancel(cs.so.ctx)
	defer cancel()
	events := sb.Subscribe(ctx)
	last := msg{}
	report := func() {
		m, ok := cs.s.callStatus(id)
		if ok && (m.State != last.State || m.Position != last.Position || m.Agency != last.Agency) {
			last = m
			cs.so.send(m)
		}
	}
	report()
	legDone := leg.Done()
	// Every call's state change is an event, so the position is re-read on
	// events only: it moves when a call ahead is offered or leaves.
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return
			}
			if cdr, isCDR := ev.Data.(store.CDR); isCDR && cdr.CallID == id {
				cs.callEnded(leg, cdr.Outcome)
				return
			}
			report()
		case <-legDone:
			// Our side ended (hang-up button, media failure): the CDR follows.
			legDone = nil
		case <-ctx.Done():
			return
		}
	}
}

func (cs *callerSession) callEnded(leg *Leg, outcome string) {
	leg.Close()
	cs.mu.Lock()
	if cs.leg == leg {
		cs.leg = nil
	}
	cs.mu.Unlock()
	cs.so.send(msg{Type: tEnded, Reason: outcome})
}

// callStatus is the page's view of a call in progress: its state, and while it
// waits its place in the queue and the ACD's estimated wait, the same figures
// the IVR announces.
func (s *Server) callStatus(id string) (msg, bool) {
	sb := s.cfg.Switchboard
	var me *calls.CallStatus
	for _, c := range sb.Calls() {
		if c.ID == id {
			me = &c
			break
		}
	}
	if me == nil {
		return msg{}, false
	}
	m := msg{Type: tCall, CallID: id, State: me.State, Agency: me.Agency, Verified: ptr(me.Verified)}
	if a, ok := s.agencies[me.Agency]; ok {
		m.AgencyName = a.Name
	}
	if pos, ewt, known, ok := sb.QueuePosition(id); ok {
		m.Position = pos
		if known {
			m.EWT = ptr(ewt.Seconds())
		}
	}
	return m, true
}
