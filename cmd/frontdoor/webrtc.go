package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/frontdoor-project/frontdoor/calls"
	"github.com/frontdoor-project/frontdoor/config"
	"github.com/frontdoor-project/frontdoor/identity"
	"github.com/frontdoor-project/frontdoor/identity/openid4vp"
	"github.com/frontdoor-project/frontdoor/media"
	"github.com/frontdoor-project/frontdoor/sip"
	"github.com/frontdoor-project/frontdoor/webrtc"
)

// agentDialers rings an agent where it works: in the browser when its
// softphone is open here, else on its registered SIP phone (on any node of a
// cluster: registrations are shared), else, in a cluster, on the softphone
// open on its home node, node to node (sip/deliver.go). They are set after
// the switchboard exists (each edge needs the switchboard first).
type agentDialers struct {
	mu      sync.RWMutex
	browser *webrtc.Server
	sip     calls.AgentDialer
	// homes is the advertised SIP address of the agent's home node when
	// that is another cluster node, else ""; nil without a cluster.
	homes func(ctx context.Context, agentID string) string
	nodes nodeDialer
}

// nodeDialer rings an agent's softphone on another cluster node (sip.Edge).
type nodeDialer interface {
	DialNode(ctx context.Context, addr, agentID string, o calls.Offer) (calls.AgentLeg, error)
}

func (d *agentDialers) set(browser *webrtc.Server, sip calls.AgentDialer) {
	d.mu.Lock()
	d.browser, d.sip = browser, sip
	d.mu.Unlock()
}

// setNodes adds the cluster's node-to-node path.
func (d *agentDialers) setNodes(homes func(ctx context.Context, agentID string) string, nodes nodeDialer) {
	d.mu.Lock()
	d.homes, d.nodes = homes, nodes
	d.mu.Unlock()
}

func (d *agentDialers) Dial(ctx context.Context, agentID string, o calls.Offer) (calls.AgentLeg, error) {
	d.mu.RLock()
	browser, sipd, homes, nodes := d.browser, d.sip, d.homes, d.nodes
	d.mu.RUnlock()
	if browser != nil && browser.Connected(agentID) {
		return browser.Dial(ctx, agentID, o)
	}
	if sipd == nil {
		return nil, webrtc.ErrNotConnected
	}
	leg, err := sipd.Dial(ctx, agentID, o)
	if !errors.Is(err, sip.ErrNotRegistered) || homes == nil {
		return leg, err
	}
	if addr := homes(ctx, agentID); addr != "" {
		return nodes.DialNode(ctx, addr, agentID, o)
	}
	return nil, err
}

// localBrowsers rings only softphones open on this node: what a node
// delivers a call from another node to.
type localBrowsers struct{ d *agentDialers }

func (l localBrowsers) Dial(ctx context.Context, agentID string, o calls.Offer) (calls.AgentLeg, error) {
	l.d.mu.RLock()
	browser := l.d.browser
	l.d.mu.RUnlock()
	if browser == nil || !browser.Connected(agentID) {
		return nil, webrtc.ErrNotConnected
	}
	return browser.Dial(ctx, agentID, o)
}

// webIdentity is the identity service as the caller page uses it: a
// session the citizen's wallet answers through the public HTTP routes.
type webIdentity struct {
	b *identityBridge
	// oid4vp adds the OpenID4VP link to each session; nil when off.
	oid4vp *openid4vp.Verifier
}

func (w webIdentity) Open(ctx context.Context) (webrtc.Verification, error) {
	sess, err := w.b.s.NewSession("", identity.WithSource(webrtc.Source(ctx)))
	if err != nil {
		return webrtc.Verification{}, err
	}
	v := webrtc.Verification{ID: sess.ID, Code: sess.Code, ExpiresAt: sess.ExpiresAt}
	if w.oid4vp != nil {
		o, err := w.oid4vp.Open(sess)
		if err != nil {
			return webrtc.Verification{}, fmt.Errorf("openid4vp offer: %w", err)
		}
		v.RequestURI, v.WalletURL = o.RequestURI, o.WalletURL
	}
	return v, nil
}

func (w webIdentity) Wait(ctx context.Context, id string) (map[string]string, error) {
	return w.b.Wait(ctx, id)
}

// newBrowserEdge builds the WebRTC edge. principal is asked per request
// (the dashboard that answers it is built after this edge, which it mounts).
func newBrowserEdge(cfg *config.Config, sb *calls.Switchboard, principal func(*http.Request) (string, string, bool),
	idb *identityBridge, oid4vp *openid4vp.Verifier, audio calls.Audio, stats *media.Stats, log *slog.Logger) (*webrtc.Server, error) {
	rtpIP, _, _ := net.SplitHostPort(cfg.Listen.SIP)
	lo, hi := cfg.RTPPortRange()
	wcfg := webrtc.Config{
		Switchboard: sb, Principal: principal, Number: cfg.Number, Stats: stats, Logger: log,
		Peer:                   webrtc.PeerConfig{IP: rtpIP, AdvertiseIP: cfg.Media.AdvertiseIP, PortMin: uint16(lo), PortMax: uint16(hi)},
		HoldMusic:              func(ctx context.Context, ep media.Endpoint) error { return audio.Loop(ctx, ep, "hold") },
		MaxCallerSockets:       cfg.Security.WebSockets.Callers,
		CallerSocketsPerSource: cfg.Security.WebSockets.CallersPerSource,
		MaxAgentSockets:        cfg.Security.WebSockets.Agents,
		AgentSocketsPerAgent:   cfg.Security.WebSockets.PerAgent,
		Trusted:                cfg.Security.TrustedPrefixes(),
	}
	if idb != nil {
		wcfg.Identity = webIdentity{b: idb, oid4vp: oid4vp}
	}
	for _, a := range cfg.Agencies {
		wcfg.Agencies = append(wcfg.Agencies, webrtc.Agency{ID: a.ID, Name: a.Name, Digit: a.Digit,
			Wrapup: time.Duration(a.Queue.WrapupSeconds) * time.Second})
	}
	return webrtc.New(wcfg)
}
