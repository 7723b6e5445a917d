package sip

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// logSink collects log output and tells when a line containing want arrives.
type logSink struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
	once sync.Once
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf.Write(p)
	if strings.Contains(s.buf.String(), s.want) {
		s.once.Do(func() { close(s.seen) })
	}
	return len(p), nil
}

func (s *logSink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// A message sipgo cannot parse, carrying an agent's Authorization, sent over
// UDP and TCP: sipgo's "failed to parse" is logged, without the message.
func TestUnparsableMessageSecretsNotLogged(t *testing.T) {
	const secret = "5ec2e7f00dcafe5ec2e7f00dcafe5ec2"
	for _, network := range []string{"udp", "tcp"} {
		t.Run(network, func(t *testing.T) {
			sink := &logSink{want: "failed to parse", seen: make(chan struct{})}
			log := slog.New(slog.NewTextHandler(sink, &slog.HandlerOptions{Level: slog.LevelDebug}))
			e, err := New(Config{Addr: "127.0.0.1:0", AdvertiseIP: "127.0.0.1", Number: "110", Logger: log})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- e.Serve(ctx) }()
			defer func() { cancel(); <-done }()

			conn, err := net.Dial(network, e.Addr())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			msg := "REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/" + strings.ToUpper(network) + " 127.0.0.1:5999;branch=z9hG4bK1\r\n" +
				"From: <sip:1001@127.0.0.1>;tag=1\r\nTo: <sip:1001@127.0.0.1>\r\nCall-ID: leak\r\nCSeq: 1 REGISTER\r\n" +
				`Authorization: Digest username="1001", realm="frontdoor", nonce="n", uri="sip:127.0.0.1", response="` + secret + `"` + "\r\n" +
				"Content-Length: nonsense\r\n\r\n"
			if _, err := conn.Write([]byte(msg)); err != nil {
				t.Fatal(err)
			}
			select {
			case <-sink.seen:
			case <-ctx.Done():
				t.Fatalf("sipgo logged no parse failure; log:\n%s", sink.String())
			}
			out := sink.String()
			if strings.Contains(out, secret) || strings.Contains(out, "Authorization") {
				t.Fatalf("log carries the message:\n%s", out)
			}
			t.Logf("logged:\n%s", out)
		})
	}
}
