// Package sms texts a phone caller the OpenID4VP wallet link of their call's
// identity session, with the match number the IVR says, so a wallet on the
// phone they are calling from can answer the session (issue 11, "Reaching
// the wallet"). It sends only what the caller asked for on a number a
// trusted trunk asserted (the IVR checks that), at most once per call and a
// few times per number per hour, through the configured channels in order:
// a site's SMS gateway webhook, then SIP MESSAGE through the carrier.
package sms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Message is one text to send.
type Message struct {
	CallID string
	To     string // the caller's number as the trunk asserted it
	Link   string // openid4vp://?client_id=…&request_uri=…
	Match  string // the two digits the IVR says
}

// Channel delivers one text; the Sender tries its channels in order until
// one takes it.
type Channel interface {
	Name() string // the metrics label: webhook or sip
	Deliver(ctx context.Context, m Message, text string) error
}

// Recorder counts texts by channel and result (metrics.Metrics).
type Recorder interface {
	IdentitySMS(channel, result string)
}

// Metric labels, pre-registered at zero.
const (
	ChannelWebhook    = "webhook"
	ChannelSIP        = "sip"
	ResultSent        = "sent"
	ResultError       = "error"
	ResultRateLimited = "rate_limited"
)

// Channels and Results are every label value of frontdoor_identity_sms_total.
var (
	Channels = []string{ChannelWebhook, ChannelSIP}
	Results  = []string{ResultSent, ResultError, ResultRateLimited}
)

// Refusals before anything is sent.
var (
	ErrAlreadySent = errors.New("sms: this call already had its text")
	ErrRateLimited = errors.New("sms: this number had its texts for the hour")
	ErrNotAllowed  = errors.New("sms: the destination policy does not allow this number")
)

// Config wires a Sender.
type Config struct {
	Channels []Channel // in the order they are tried; at least one
	// Text is the template; {link} and {match} are filled in.
	Text string
	// Timeout bounds each channel's attempt (default 3 s): the caller
	// waits in silence meanwhile.
	Timeout time.Duration
	// PerNumberPerHour caps the texts to one number (default 3).
	PerNumberPerHour int
	// AllowedPrefixes, if any, are the only destinations texted (SMS
	// pumping: a fraudster calling from premium numbers they own earns
	// on every text we send there).
	AllowedPrefixes []string
	Recorder        Recorder
	Logger          *slog.Logger
	Now             func() time.Time
}

// Sender sends wallet links; safe for concurrent use.
type Sender struct {
	cfg    Config
	limits *limiter
}

// New checks cfg and fills in its defaults.
func New(cfg Config) (*Sender, error) {
	if len(cfg.Channels) == 0 {
		return nil, errors.New("sms: no channel configured")
	}
	if !strings.Contains(cfg.Text, "{link}") {
		return nil, errors.New("sms: the text must contain {link}")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 3 * time.Second
	}
	if cfg.PerNumberPerHour <= 0 {
		cfg.PerNumberPerHour = 3
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Sender{cfg: cfg, limits: newLimiter(cfg.PerNumberPerHour, time.Hour)}, nil
}

// Send texts m.Link and m.Match to m.To. It returns once a channel took the
// text, or every channel failed (errors joined), or a limit refused it
// (ErrAlreadySent, ErrRateLimited). A refused or failed attempt still uses
// the call's one text: a gateway that timed out may have delivered it.
func (s *Sender) Send(ctx context.Context, m Message) error {
	if !isPhoneNumber(m.To) {
		return fmt.Errorf("sms: %q is not a phone number", m.To)
	}
	if !s.Allowed(m.To) {
		return ErrNotAllowed
	}
	if m.Link == "" {
		return errors.New("sms: no wallet link to send")
	}
	if err := s.limits.take(m.CallID, m.To, s.cfg.Now()); err != nil {
		// Counted on the channel that would have carried it.
		s.count(s.cfg.Channels[0].Name(), ResultRateLimited)
		s.cfg.Logger.Warn("identity text refused", "call", m.CallID, "err", err)
		return err
	}
	text := strings.NewReplacer("{link}", m.Link, "{match}", m.Match).Replace(s.cfg.Text)
	var errs []error
	for _, ch := range s.cfg.Channels {
		cctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
		err := ch.Deliver(cctx, m, text)
		cancel()
		if err == nil {
			s.count(ch.Name(), ResultSent)
			s.cfg.Logger.Info("identity text sent", "call", m.CallID, "channel", ch.Name())
			return nil
		}
		s.count(ch.Name(), ResultError)
		// The number is personal data and stays out of the log; the call id finds it.
		s.cfg.Logger.Warn("identity text failed", "call", m.CallID, "channel", ch.Name(), "err", err)
		errs = append(errs, fmt.Errorf("%s: %w", ch.Name(), err))
		if ctx.Err() != nil {
			break
		}
	}
	return fmt.Errorf("sms: not sent: %w", errors.Join(errs...))
}

func (s *Sender) count(channel, result string) {
	if s.cfg.Recorder != nil {
		s.cfg.Recorder.IdentitySMS(channel, result)
	}
}

// Allowed reports whether number is a phone number the destination policy allows.
func (s *Sender) Allowed(number string) bool {
	if !isPhoneNumber(number) {
		return false
	}
	if len(s.cfg.AllowedPrefixes) == 0 {
		return true
	}
	for _, p := range s.cfg.AllowedPrefixes {
		if strings.HasPrefix(number, p) {
			return true
		}
	}
	return false
}

// isPhoneNumber is digits with an optional leading +, as trunks assert them.
func isPhoneNumber(n string) bool {
	d := strings.TrimPrefix(n, "+")
	return d != "" && len(d) <= 20 && strings.Trim(d, "0123456789") == ""
}
