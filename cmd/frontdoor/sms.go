package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/frontdoor-project/frontdoor/config"
	"github.com/frontdoor-project/frontdoor/identity/sms"
	"github.com/frontdoor-project/frontdoor/metrics"
	"github.com/frontdoor-project/frontdoor/sip"
)

// phoneSession is what the bridge keeps of a session the IVR opened.
type phoneSession struct{ walletURL, match string }

// newSMS builds the wallet-link texter from identity.sms: the webhook
// first, then SIP MESSAGE through the edge; nil when none is configured.
func newSMS(cfg config.SMS, edge *sip.Edge, m *metrics.Metrics, log *slog.Logger) (*sms.Sender, error) {
	if !cfg.Enabled() {
		return nil, nil
	}
	var chans []sms.Channel
	if cfg.WebhookURL != "" {
		chans = append(chans, &sms.Webhook{URL: cfg.WebhookURL, Client: &http.Client{}})
	}
	if cfg.Trunk.URI != "" {
		chans = append(chans, sms.SIP{Trunk: edge})
	}
	return sms.New(sms.Config{Channels: chans, Text: cfg.Text, Timeout: time.Duration(cfg.TimeoutSeconds) * time.Second,
		PerNumberPerHour: cfg.PerNumberPerHour, AllowedPrefixes: cfg.AllowedPrefixes, Recorder: m, Logger: log})
}

func textTrunk(t config.SMSTrunk) sip.TextTrunk {
	return sip.TextTrunk{URI: t.URI, From: t.From, Transport: t.Transport, Username: t.Username, Password: t.Password}
}

// TextsTo reports whether the IVR may offer a text to number (calls.IdentityTexter).
func (b *identityBridge) TextsTo(number string) bool {
	return b.texts != nil && b.texts.Allowed(number)
}

// TextLink texts the session's wallet link and match number to number.
func (b *identityBridge) TextLink(ctx context.Context, callID, sessionID, number string) (string, error) {
	v, ok := b.phone.Load(sessionID)
	if !ok {
		return "", errors.New("identity text: not a phone session")
	}
	ps := v.(phoneSession)
	if ps.walletURL == "" {
		return "", errors.New("identity text: the session has no wallet link (OpenID4VP is off)")
	}
	if err := b.texts.Send(ctx, sms.Message{CallID: callID, To: number, Link: ps.walletURL, Match: ps.match}); err != nil {
		return "", err
	}
	return ps.match, nil
}
