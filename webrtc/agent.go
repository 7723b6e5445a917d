package webrtc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/coder/websocket"

	"github.com/frontdoor-project/frontdoor/calls"
	"github.com/frontdoor-project/frontdoor/media"
)

// ErrNotConnected is Dial's answer for an agent without a softphone.
var ErrNotConnected = errors.New("webrtc: the agent's softphone is not connected")

// ErrRejected is Dial's answer when the agent clicks reject.
var ErrRejected = errors.New("webrtc: the agent rejected the call")

// agentLine is one agent's softphone: its socket (nil while a reload is in
// its grace period), the offer ringing it and the call it is on. Fields are
// guarded by Server.mu.
type agentLine struct {
	id       string
	so       *socket
	back     chan struct{} // closed when a socket attaches
	grace    *time.Timer
	ring     *ringing
	active   *Leg
	agency   string // of the last call, for the wrap-up countdown
	attached int    // counts attaches, so a stale grace timer does nothing
}

// ringing is an offer waiting for the agent's click.
type ringing struct {
	callID string
	leg    *Leg
	choice chan bool // true: accept
}

func (s *Server) serveAgent(w http.ResponseWriter, r *http.Request) {
	id, _, ok := s.cfg.Principal(r)
	if !ok {
		writeError(w, http.StatusUnauthorized, "unauthorized", "sign in first")
		return
	}
	if !s.isAgent(id) {
		writeError(w, http.StatusForbidden, "forbidden", "only a configured agent has a softphone")
		return
	}
	so, done, err := s.accept(w, r, s.agentSlot(id))
	if err != nil {
		s.log.Debug("agent socket refused", "err", err)
		return
	}
	defer done()
	line, fresh := s.attach(id, so)
	defer s.detach(line, so)
	if fresh {
		s.cfg.Switchboard.AgentOnline(id)
	}
	go s.followAgent(line, so)
	for {
		m, err := so.read()
		if err != nil {
			return
		}
		s.mu.Lock()
		leg := line.active
		ring := line.ring
		s.mu.Unlock()
		if leg == nil && ring != nil {
			leg = ring.leg
		}
		if handleMedia(so, leg, m) {
			continue
		}
		switch m.Type {
		case tAccept, tReject:
			if ring == nil || ring.callID != m.CallID {
				so.sendError("no_call", "that call is no longer ringing")
				continue
			}
			select {
			case ring.choice <- m.Type == tAccept:
			default:
			}
		case tHangup:
			if leg != nil && ring == nil {
				leg.Close()
			}
		case tHold:
			if leg != nil && ring == nil && m.On != nil {
				leg.SetHold(*m.On, s.cfg.HoldMusic)
				so.send(msg{Type: tHold, On: m.On})
			}
		default:
			so.sendError("unknown_type", fmt.Sprintf("the softphone cannot send %q", m.Type))
		}
	}
}

func (s *Server) isAgent(id string) bool {
	for _, a := range s.cfg.Switchboard.Agents() {
		if a.ID == id && id != "" {
			return true
		}
	}
	return false
}

// attach makes so the agent's softphone. A second page replaces the first
// (told why); a page back within the grace period keeps the agent logged in.
func (s *Server) attach(id string, so *socket) (line *agentLine, fresh bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	line, ok := s.agents[id]
	if !ok {
		line = &agentLine{id: id, back: make(chan struct{})}
		s.agents[id] = line
	}
	if old := line.so; old != nil {
		go old.close(websocket.StatusPolicyViolation, "the softphone was opened in another page")
	}
	if line.grace != nil {
		line.grace.Stop()
		line.grace = nil
	}
	if line.so == nil {
		close(line.back) // wakes offers waiting for the page
	}
	line.so = so
	line.attached++
	return line, !ok
}

// detach ends the page's media (a page that is gone cannot talk) and logs
// the agent out unless a page comes back within the grace period.
func (s *Server) detach(line *agentLine, so *socket) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if line.so != so {
		return // replaced by a newer page
	}
	line.so = nil
	line.back = make(chan struct{})
	if line.active != nil {
		line.active.Close()
	}
	if line.ring != nil {
		line.ring.leg.Close()
	}
	gen := line.attached
	line.grace = time.AfterFunc(s.cfg.Grace, func() {
		s.mu.Lock()
		gone := line.so == nil && line.attached == gen
		if gone {
			delete(s.agents, line.id)
		}
		s.mu.Unlock()
		if gone {
			s.cfg.Switchboard.AgentOffline(line.id)
		}
	})
}

// Connected tells whether the agent takes calls in the browser: its
// softphone is open, or was until a moment ago (a reload).
func (s *Server) Connected(agentID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.agents[agentID]
	return ok
}

// followAgent sends the page its agent's state as it changes, with the end
// of wrap-up for the countdown.
func (s *Server) followAgent(line *agentLine, so *socket) {
	events := s.cfg.Switchboard.Subscribe(so.ctx)
	send := func(a calls.AgentStatus) {
		m := msg{Type: tAgentState, Agent: &a}
		s.mu.Lock()
		agency := line.agency
		s.mu.Unlock()
		if a.State == "wrap_up" {
			if ag, ok := s.agencies[agency]; ok && ag.Wrapup > 0 {
				m.WrapupEndsAt = ptr(a.Since.Add(ag.Wrapup))
			}
		}
		so.send(m)
	}
	hello := msg{Type: tHello, Role: "agent"}
	for _, a := range s.cfg.Switchboard.Agents() {
		if a.ID == line.id {
			hello.Agent = &a
		}
	}
	so.send(hello)
	if hello.Agent != nil {
		send(*hello.Agent)
	}
	for ev := range events {
		if a, ok := ev.Data.(calls.AgentStatus); ok && a.ID == line.id {
			send(a)
		}
	}
}

// Dial implements calls.AgentDialer for browser agents: the page gets the
// incoming call (agency, waiting time, verified identity) with our SDP
// offer, negotiates media while it rings, and the leg is returned the
// moment the agent clicks answer, so audio flows at once.
func (s *Server) Dial(ctx context.Context, agentID string, o calls.Offer) (calls.AgentLeg, error) {
	line, so, err := s.lineFor(ctx, agentID)
	if err != nil {
		return nil, err
	}
	leg, err := s.newLeg()
	if err != nil {
		return nil, err
	}
	r := &ringing{callID: o.CallID, leg: leg, choice: make(chan bool, 1)}
	s.mu.Lock()
	if line.ring != nil || line.active != nil {
		s.mu.Unlock()
		leg.Close()
		return nil, fmt.Errorf("webrtc: agent %s is already on a call", agentID)
	}
	line.ring = r
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		if line.ring == r {
			line.ring = nil
		}
		s.mu.Unlock()
	}()
	m := msg{Type: tIncoming, CallID: o.CallID, Agency: o.Agency, AgencyName: s.agencies[o.Agency].Name,
		From: o.From, Waited: ptr(o.Waited), Verified: ptr(o.Verified), Caller: o.Identity}
	sdp, err := leg.Offer(ctx)
	if err == nil {
		m.SDP = sdp
		err = so.send(m)
	}
	if err != nil {
		leg.Close()
		return nil, fmt.Errorf("webrtc: offer call to %s: %w", agentID, err)
	}
	withdraw := func(err error) (calls.AgentLeg, error) {
		leg.Close()
		so.send(msg{Type: tWithdrawn, CallID: o.CallID})
		return nil, err
	}
	select {
	case accepted := <-r.choice:
		if !accepted {
			return withdraw(ErrRejected)
		}
	case <-ctx.Done():
		return withdraw(ctx.Err())
	case <-leg.Done():
		return withdraw(errors.New("webrtc: softphone media failed while ringing"))
	}
	// The page answered our SDP when the call arrived; ICE is up by now
	// unless the agent clicked within milliseconds.
	select {
	case <-leg.Connected():
	case <-ctx.Done():
		return withdraw(ctx.Err())
	case <-leg.Done():
		return withdraw(errors.New("webrtc: softphone media failed"))
	}
	s.mu.Lock()
	line.active, line.agency = leg, o.Agency
	s.mu.Unlock()
	so.send(msg{Type: tConnected, CallID: o.CallID})
	go func() {
		<-leg.Done()
		s.mu.Lock()
		if line.active == leg {
			line.active = nil
		}
		s.mu.Unlock()
		so.send(msg{Type: tEnded, CallID: o.CallID})
	}()
	return legHandle{leg}, nil
}

// lineFor waits for the agent's softphone: during a reload's grace period
// the offer rings once the page is back (or the ring timeout ends it).
func (s *Server) lineFor(ctx context.Context, agentID string) (*agentLine, *socket, error) {
	for {
		s.mu.Lock()
		line, ok := s.agents[agentID]
		if !ok {
			s.mu.Unlock()
			return nil, nil, ErrNotConnected
		}
		so, back := line.so, line.back
		s.mu.Unlock()
		if so != nil {
			return line, so, nil
		}
		select {
		case <-back:
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
	}
}

// legHandle is a browser leg as the call path holds it: a citizen's
// calls.CallerLeg or an agent's calls.AgentLeg. Hanging up closes the
// PeerConnection; the page is told by the leg's watcher.
type legHandle struct{ l *Leg }

func (h legHandle) Media() media.Endpoint            { return h.l }
func (h legHandle) Hangup(ctx context.Context) error { return h.l.Close() }
func (h legHandle) Done() <-chan struct{}            { return h.l.Done() }

func writeError(w http.ResponseWriter, status int, code, detail string) {
	b, _ := json.Marshal(struct {
		Error  string `json:"error"`
		Detail string `json:"detail"`
	}{code, detail})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}
