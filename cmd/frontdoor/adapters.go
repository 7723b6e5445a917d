package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/frontdoor-project/frontdoor/agents"
	"github.com/frontdoor-project/frontdoor/calls"
	"github.com/frontdoor-project/frontdoor/config"
	"github.com/frontdoor-project/frontdoor/dashboard"
	"github.com/frontdoor-project/frontdoor/identity"
	"github.com/frontdoor-project/frontdoor/identity/openid4vp"
	"github.com/frontdoor-project/frontdoor/identity/sms"
	"github.com/frontdoor-project/frontdoor/metrics"
	"github.com/frontdoor-project/frontdoor/store"
)

// The adapters below let packages meet through the narrow interfaces each one
// declares, so no package has to import another just for its types.

// directory serves the agents directory to the call path, the SIP registrar and the API.
type directory struct{ *agents.Directory }

func directoryOf(cfg *config.Config) directory {
	profiles := make([]agents.Profile, 0, len(cfg.Agents))
	for _, a := range cfg.Agents {
		profiles = append(profiles, agents.Profile{ID: a.ID, Name: a.Name, Role: agents.Role(a.Role), Skills: a.Skills, PasswordHash: a.Password, SIPHA1: a.SIPHA1})
	}
	return directory{agents.NewDirectory(profiles, agents.WithRealm(cfg.SIP.Realm))}
}

func (d directory) Name(id string) (string, bool) {
	p, ok := d.Get(id)
	return p.Name, ok
}

func (d directory) Skills(id string) map[string]int {
	p, _ := d.Get(id)
	return p.Skills
}

func (d directory) Role(id string) string {
	p, _ := d.Get(id)
	return string(p.Role)
}

// httpDirectory is the directory as the HTTP edge asks it (with a found flag).
type httpDirectory struct{ directory }

func (d httpDirectory) Role(id string) (string, bool) {
	p, ok := d.Get(id)
	return string(p.Role), ok
}

// Agencies scopes an agent's live view to its skills (dashboard.Scoper).
func (d httpDirectory) Agencies(id string) []string {
	p, _ := d.Get(id)
	return slices.Sorted(maps.Keys(p.Skills))
}

// citizenRef late-binds the callback dialer: the trunk lives in the SIP edge, built after the switchboard.
type citizenRef struct {
	mu sync.RWMutex
	d  calls.CitizenDialer
}

func (r *citizenRef) set(d calls.CitizenDialer) {
	r.mu.Lock()
	r.d = d
	r.mu.Unlock()
}

func (r *citizenRef) DialCitizen(ctx context.Context, number, callID string) (calls.CallerLeg, error) {
	r.mu.RLock()
	d := r.d
	r.mu.RUnlock()
	if d == nil {
		return nil, errors.New("no trunk dialer yet")
	}
	return d.DialCitizen(ctx, number, callID)
}

// newIdentity builds the verifier from the config; nil when identity is off.
func newIdentity(cfg *config.Config, st store.Store, m *metrics.Metrics, log *slog.Logger) (*identity.Service, error) {
	if cfg.Identity.Mode == config.ModeOff && len(cfg.Identity.Issuers) == 0 {
		return nil, nil
	}
	var issuers []identity.IssuerKeys
	for _, is := range cfg.Identity.Issuers {
		raw, err := cfg.ReadFile(is.JWKSFile)
		if err != nil {
			return nil, fmt.Errorf("identity issuer %s: %w", is.Iss, err)
		}
		set, err := identity.ParseJWKS(raw)
		if err != nil {
			return nil, fmt.Errorf("identity issuer %s: jwks %s: %w", is.Iss, is.JWKSFile, err)
		}
		issuers = append(issuers, identity.IssuerKeys{Issuer: is.Iss, Keys: set})
	}
	return identity.NewService(identity.ServiceConfig{
		VerifierID: cfg.Identity.VerifierID, Issuers: issuers, Claims: cfg.Identity.Claims,
		StatusListAllowed: cfg.Identity.StatusListAllowed,
		StatusListTTL:     time.Duration(cfg.Identity.StatusListTTLSeconds) * time.Second,
		VCTs:              cfg.Identity.VCTs,
		Push:              pushConfig(cfg.Identity.PushURL),
		Audit: func(e identity.AuditEntry) {
			rec := store.AuditRecord{Time: e.Time, Kind: "identity." + e.Method, CallID: e.CallID, Result: e.Result,
				Reason: e.Reason, Issuer: e.Issuer, Digest: e.Digest, Detail: e.Detail}
			if err := st.AppendAudit(context.Background(), rec); err != nil {
				log.Error("audit", "err", err)
			}
		},
		Observe: m.IdentityVerification,
		Logger:  log,
	})
}

// identityBridge is the identity service as the IVR (Start, Wait) and the HTTP
// edge (NewSession, ByCode, Present) use it. It remembers which sessions the IVR
// opened so a presentation posted for one counts as a phone-code verification.
type identityBridge struct {
	s *identity.Service
	// oid4vp, when set, gets an OpenID4VP exchange for every session the
	// IVR opens, so a wallet reached another way (a push, a link sent to
	// the caller) can answer the phone session at its request_uri.
	oid4vp *openid4vp.Verifier
	phone  sync.Map // session id -> phoneSession
	// texts sends wallet links by text message (sms.go); nil: no offer.
	texts *sms.Sender
}

func (b *identityBridge) Start(ctx context.Context, callID, asserted string) (string, string, string, error) {
	sess, err := b.s.NewSession(callID)
	if err != nil {
		return "", "", "", err
	}
	var walletURL string
	if b.oid4vp != nil {
		offer, err := b.oid4vp.Open(sess)
		if err != nil {
			return "", "", "", fmt.Errorf("identity: openid4vp request: %w", err)
		}
		walletURL = offer.WalletURL
	}
	match := ""
	if asserted != "" && b.s.Pushes() {
		b.s.Push(sess, asserted, walletURL)
		match = sess.Match
	}
	b.phone.Store(sess.ID, phoneSession{walletURL: walletURL, match: sess.Match})
	time.AfterFunc(identity.DefaultTTL+time.Minute, func() { b.phone.Delete(sess.ID) })
	return sess.ID, sess.Code, match, nil
}

// Wait waits for the session, then closes it: whoever waited (a call's
// identity step, a caller page) is done with it, and a session nobody
// waits for must neither take a presentation nor count against the limits.
func (b *identityBridge) Wait(ctx context.Context, id string) (map[string]string, error) {
	defer b.s.Close(id)
	return b.s.Wait(ctx, id)
}

func (b *identityBridge) session(sess identity.Session) dashboard.IdentitySession {
	return dashboard.IdentitySession{ID: sess.ID, Nonce: sess.Nonce, Aud: sess.Aud, Code: sess.Code,
		ExpiresAt: sess.ExpiresAt, CallID: sess.CallID, Claims: b.s.ClaimNames()}
}

func (b *identityBridge) NewSession(callID string) (dashboard.IdentitySession, error) {
	sess, err := b.s.NewSession(callID)
	if err != nil {
		return dashboard.IdentitySession{}, err
	}
	return b.session(sess), nil
}

func (b *identityBridge) ByCode(code string) (dashboard.IdentitySession, bool) {
	sess, ok := b.s.ByCode(code)
	if !ok {
		return dashboard.IdentitySession{}, false
	}
	return b.session(sess), true
}

func (b *identityBridge) Present(ctx context.Context, id string, body []byte, _ string) (map[string]string, error) {
	method := identity.MethodWeb
	if _, ok := b.phone.Load(id); ok {
		method = identity.MethodPhoneCode
	}
	c, err := b.s.Present(ctx, id, body, method)
	if err != nil {
		var r *identity.Refusal
		if errors.As(err, &r) {
			return nil, &dashboard.IdentityRefusal{Code: r.Code, Detail: r.Detail}
		}
		return nil, err
	}
	return c, nil
}

// metricsSnapshot feeds the scrape-time gauges.
func (n *Node) metricsSnapshot() metrics.Snapshot {
	qs := n.sb.Queues()
	snap := metrics.Snapshot{ActiveCalls: n.sb.ActiveCalls(), Agents: map[string]int{}}
	for _, q := range qs {
		snap.Queues = append(snap.Queues, metrics.QueueGauge{Agency: q.Agency, Waiting: q.Waiting,
			OldestWait: q.OldestWaitSeconds, AgentsByState: q.Agents, Offered: q.Offered, Abandoned: q.Abandoned,
			ServiceLevel: q.ServiceLevel, ServiceLevelGoal: q.ServiceLevelGoal, ServiceLevelThreshold: float64(q.ServiceLevelSecs),
			ASA: q.ASASeconds, AverageHandle: q.AverageHandleSeconds, Open: q.Open})
	}
	for _, a := range n.sb.Agents() {
		snap.Agents[a.State]++
	}
	if n.cluster != nil {
		snap.Cluster = n.cluster.role()
	}
	return snap
}

// dashIdentity hands the bridge to the HTTP edge; a nil interface when identity is off.
func dashIdentity(b *identityBridge) dashboard.Identity {
	if b == nil {
		return nil
	}
	return b
}

func pushConfig(url string) *identity.PushConfig {
	if url == "" {
		return nil
	}
	return &identity.PushConfig{URL: url}
}
