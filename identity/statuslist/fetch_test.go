package statuslist

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

const iss = "https://id.example"

type listServer struct {
	*httptest.Server
	mu      sync.Mutex
	fetches int
	params  TokenParams
	key     jose.JSONWebKey
}

func newListServer(t *testing.T, key jose.JSONWebKey, p TokenParams) *listServer {
	s := &listServer{key: key, params: p}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.fetches++
		p := s.params
		s.mu.Unlock()
		p.URI = s.URL + r.URL.Path
		tok, err := SignToken(s.key, p)
		if err != nil {
			t.Error(err)
		}
		w.Write([]byte(tok))
	}))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Listener = l
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func (s *listServer) count() int { s.mu.Lock(); defer s.mu.Unlock(); return s.fetches }

func testKey(t *testing.T) jose.JSONWebKey {
	t.Helper()
	k, err := genTestKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// cacheFor fetches once, then reports after how long (in whole seconds of
// the injected clock) the fetcher fetched again.
func cacheFor(t *testing.T, p TokenParams, configured time.Duration) time.Duration {
	t.Helper()
	key := testKey(t)
	now := time.Unix(1_800_000_000, 0)
	p.IssuedAt = now
	srv := newListServer(t, key, p)
	f, err := NewFetcher(FetcherConfig{Client: srv.Client(), Allowed: []string{srv.URL + "/"}, Clock: func() time.Time { return now }, TTL: configured})
	if err != nil {
		t.Fatal(err)
	}
	pub := []jose.JSONWebKey{key.Public()}
	start := now
	for step := 0; step < 3600; step++ {
		if _, err := f.Status(context.Background(), iss, srv.URL+"/l", 0, pub); err != nil {
			t.Fatal(err)
		}
		if srv.count() == 2 {
			return now.Sub(start)
		}
		now = now.Add(time.Second)
	}
	t.Fatal("never refetched")
	return 0
}

func TestCacheLifetime(t *testing.T) {
	base := TokenParams{Issuer: iss, Bits: 1, Statuses: make([]uint8, 8)}
	withTTL := base
	withTTL.TTL = 30 * time.Second
	if got := cacheFor(t, withTTL, time.Hour); got != 30*time.Second {
		t.Errorf("ttl claim 30s: refetched after %s", got)
	}
	if got := cacheFor(t, base, 45*time.Second); got != 45*time.Second {
		t.Errorf("no ttl claim, configured 45s: refetched after %s", got)
	}
	withExp := withTTL
	withExp.Expiry = time.Unix(1_800_000_000, 0).Add(10 * time.Second)
	if got := cacheFor(t, withExp, time.Hour); got != 10*time.Second {
		t.Errorf("exp in 10s, ttl 30s: refetched after %s", got)
	}
}

func TestAllowedPrefixes(t *testing.T) {
	f, err := NewFetcher(FetcherConfig{Allowed: []string{"https://id.example/status/", "http://127.0.0.1:8443/", "https://lists.example/status"}})
	if err != nil {
		t.Fatal(err)
	}
	for uri, want := range map[string]bool{
		"https://id.example/status/1":        true,
		"https://ID.example/status/1":        true,
		"https://id.example/other/1":         false,
		"http://id.example/status/1":         false,
		"https://id.example.evil/status/1":   false,
		"https://id.example:444/status/1":    false,
		"https://user@id.example/status/1":   false,
		"https://id.example/status/1#frag":   false,
		"http://127.0.0.1:8443/anything":     true,
		"http://127.0.0.1:8444/anything":     false,
		"https://id.example/status/../admin": false,
		"::not a url":                        false,
		// A prefix without a trailing slash ends on a path-segment boundary.
		"https://lists.example/status":      true,
		"https://lists.example/status/7":    true,
		"https://lists.example/status-evil": false,
		"https://lists.example/statusx/7":   false,
	} {
		if got := f.Allowed(uri); got != want {
			t.Errorf("Allowed(%q) = %v, want %v", uri, got, want)
		}
	}
	if _, err := f.Status(context.Background(), iss, "https://elsewhere.example/1", 0, nil); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("Status outside the prefixes: %v", err)
	}
	for _, bad := range []string{"ftp://id.example/", "https://", "not a url"} {
		if _, err := NewFetcher(FetcherConfig{Allowed: []string{bad}}); err == nil {
			t.Errorf("prefix %q accepted", bad)
		}
	}
}
