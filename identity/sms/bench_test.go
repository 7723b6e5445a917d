package sms

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// BenchmarkSendWebhook is what one text costs the IVR with the gateway on
// loopback: limits, the text, the JSON POST and its answer. The clock moves
// an hour per text so the per-number cap never refuses.
func BenchmarkSendWebhook(b *testing.B) {
	gw := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		rw.WriteHeader(http.StatusAccepted)
	}))
	defer gw.Close()
	now := time.Now()
	s, err := New(Config{Channels: []Channel{&Webhook{URL: gw.URL}}, Text: benchText,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:    func() time.Time { now = now.Add(time.Hour); return now }})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if err := s.Send(ctx, Message{CallID: strconv.Itoa(i), To: "010" + strconv.Itoa(10_000_000+i%1000), Link: link, Match: "47"}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "texts/s")
}

// benchText is config.DefaultSMSText, kept here so the benchmark needs no config.
const benchText = "Government call center: to verify your ID for your call, open this link with your ID wallet: {link} The call center told you the number {match}."
