package sms

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/metrics"
)

// gateway is a real HTTP server on 127.0.0.1 answering status and keeping
// what it was sent.
type gateway struct {
	*httptest.Server
	mu     sync.Mutex
	status int
	got    []WebhookBody
	types  []string
}

func newGateway(t *testing.T, status int) *gateway {
	g := &gateway{status: status}
	g.Server = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		var b WebhookBody
		if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
			http.Error(rw, err.Error(), 400)
			return
		}
		g.mu.Lock()
		g.got = append(g.got, b)
		g.types = append(g.types, r.Header.Get("Content-Type"))
		status := g.status
		g.mu.Unlock()
		rw.WriteHeader(status)
	}))
	t.Cleanup(g.Close)
	return g
}

func (g *gateway) received() []WebhookBody {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]WebhookBody(nil), g.got...)
}

func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func newSender(t *testing.T, m *metrics.Metrics, now func() time.Time, chans ...Channel) *Sender {
	t.Helper()
	m.SMSSeries(Channels, Results)
	s, err := New(Config{Channels: chans, Text: "Open {link} - the number is {match}.", Recorder: m, Now: now,
		Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const link = "openid4vp://?client_id=x509_hash%3Aabc&request_uri=https%3A%2F%2Ffd.example%2Fr"

func TestWebhookGetsTheText(t *testing.T) {
	g := newGateway(t, http.StatusAccepted)
	m := metrics.New(nil)
	s := newSender(t, m, nil, &Webhook{URL: g.URL})
	if err := s.Send(context.Background(), Message{CallID: "c1", To: "+821055556666", Link: link, Match: "47"}); err != nil {
		t.Fatal(err)
	}
	got := g.received()
	want := WebhookBody{To: "+821055556666", Text: "Open " + link + " - the number is 47.", Link: link, Match: "47", CallID: "c1"}
	if len(got) != 1 || got[0] != want || g.types[0] != "application/json" {
		t.Fatalf("gateway got %+v (%v), want %+v", got, g.types, want)
	}
	if body := scrape(t, m); !strings.Contains(body, `frontdoor_identity_sms_total{channel="webhook",result="sent"} 1`) {
		t.Errorf("not counted:\n%s", body)
	}
}

// A gateway's 500 is an error, counted, and the next channel is tried.
func TestWebhookRefusalIsCountedAndTheNextChannelTried(t *testing.T) {
	bad, good := newGateway(t, http.StatusInternalServerError), newGateway(t, http.StatusOK)
	m := metrics.New(nil)
	s := newSender(t, m, nil, &Webhook{URL: bad.URL}, &Webhook{URL: good.URL})
	if err := s.Send(context.Background(), Message{CallID: "c1", To: "01055556666", Link: link, Match: "12"}); err != nil {
		t.Fatalf("second channel did not take it: %v", err)
	}
	if len(bad.received()) != 1 || len(good.received()) != 1 {
		t.Fatalf("bad %d good %d", len(bad.received()), len(good.received()))
	}
	body := scrape(t, m)
	for _, want := range []string{`{channel="webhook",result="error"} 1`, `{channel="webhook",result="sent"} 1`} {
		if !strings.Contains(body, "frontdoor_identity_sms_total"+want) {
			t.Errorf("missing %s", want)
		}
	}
	// Only a refusing gateway: the error says who refused and how.
	s = newSender(t, metrics.New(nil), nil, &Webhook{URL: bad.URL})
	err := s.Send(context.Background(), Message{CallID: "c2", To: "01055556666", Link: link, Match: "12"})
	if err == nil || !strings.Contains(err.Error(), "webhook: gateway answered 500 Internal Server Error") {
		t.Fatalf("got %v", err)
	}
}

// A gateway that never answers costs the caller the timeout, no more.
func TestHangingGatewayTimesOut(t *testing.T) {
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer hang.Close()
	defer close(release)
	s, err := New(Config{Channels: []Channel{&Webhook{URL: hang.URL}}, Text: "{link}", Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Send(context.Background(), Message{CallID: "c", To: "0101234567", Link: link})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want a deadline error", err)
	}
}

// One text per call; at most PerNumberPerHour to a number, an hour sliding.
func TestLimits(t *testing.T) {
	g := newGateway(t, http.StatusOK)
	m := metrics.New(nil)
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	s := newSender(t, m, func() time.Time { return now }, &Webhook{URL: g.URL})
	msg := func(call string) Message { return Message{CallID: call, To: "01055556666", Link: link, Match: "33"} }
	ctx := context.Background()
	if err := s.Send(ctx, msg("a")); err != nil {
		t.Fatal(err)
	}
	if err := s.Send(ctx, msg("a")); !errors.Is(err, ErrAlreadySent) {
		t.Fatalf("second text in one call: %v", err)
	}
	for _, c := range []string{"b", "c"} {
		now = now.Add(10 * time.Minute)
		if err := s.Send(ctx, msg(c)); err != nil {
			t.Fatalf("call %s: %v", c, err)
		}
	}
	if err := s.Send(ctx, msg("d")); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("fourth text within the hour: %v", err)
	}
	// Another number is not held back by this one.
	if err := s.Send(ctx, Message{CallID: "e", To: "01099998888", Link: link}); err != nil {
		t.Fatal(err)
	}
	now = now.Add(41 * time.Minute) // the first text (09:00) left the hour
	if err := s.Send(ctx, msg("f")); err != nil {
		t.Fatalf("after the first left the hour: %v", err)
	}
	if n := len(g.received()); n != 5 {
		t.Fatalf("gateway got %d texts, want 5", n)
	}
	if body := scrape(t, m); !strings.Contains(body, `frontdoor_identity_sms_total{channel="webhook",result="rate_limited"} 2`) {
		t.Errorf("refusals not counted:\n%s", body)
	}
}

func TestRefusedInput(t *testing.T) {
	g := newGateway(t, http.StatusOK)
	s := newSender(t, metrics.New(nil), nil, &Webhook{URL: g.URL})
	for _, m := range []Message{
		{CallID: "a", To: "alice@example", Link: link},
		{CallID: "b", To: "", Link: link},
		{CallID: "c", To: "0101234567"},
	} {
		if err := s.Send(context.Background(), m); err == nil {
			t.Errorf("%+v accepted", m)
		}
	}
	if len(g.received()) != 0 {
		t.Fatal("a refused message reached the gateway")
	}
	if _, err := New(Config{Channels: []Channel{&Webhook{URL: g.URL}}, Text: "no link"}); err == nil {
		t.Error("a text without {link} accepted")
	}
	if _, err := New(Config{Text: "{link}"}); err == nil {
		t.Error("no channel accepted")
	}
}

// With allowed prefixes only those destinations are texted (SMS pumping).
func TestDestinationPolicy(t *testing.T) {
	g := newGateway(t, http.StatusOK)
	s, err := New(Config{Channels: []Channel{&Webhook{URL: g.URL}}, Text: "{link}", AllowedPrefixes: []string{"010", "+8210"}})
	if err != nil {
		t.Fatal(err)
	}
	for number, want := range map[string]bool{"01055556666": true, "+821055556666": true, "+88212345678": false, "0212345678": false, "010x": false} {
		if got := s.Allowed(number); got != want {
			t.Errorf("Allowed(%q) = %v, want %v", number, got, want)
		}
	}
	if err := s.Send(context.Background(), Message{CallID: "a", To: "+88212345678", Link: link}); !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("premium number: %v", err)
	}
	if len(g.received()) != 0 {
		t.Fatal("a refused destination reached the gateway")
	}
}

// A gateway URL may carry its token; a failed post must not log it.
func TestWebhookErrorHidesTheURL(t *testing.T) {
	ln := httptest.NewServer(http.NotFoundHandler())
	addr := ln.URL
	ln.Close() // nothing listens there now: connection refused
	err := (&Webhook{URL: addr + "/send?token=s3cret"}).Deliver(context.Background(), Message{To: "010"}, "x")
	if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("got %v", err)
	}
}
