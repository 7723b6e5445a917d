package statuslist

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Errors of Fetcher.Status.
var (
	ErrNotAllowed  = errors.New("status list uri not allowed")
	ErrUnavailable = errors.New("status list unavailable")
)

// MaxTokenBytes bounds a fetched Status List Token.
const MaxTokenBytes = 1 << 20

// DefaultTTL is how long a token without a ttl claim is cached.
const DefaultTTL = 5 * time.Minute

// FetcherConfig configures a Fetcher.
type FetcherConfig struct {
	Client *http.Client // nil: a client with a 5 s timeout
	// Allowed are URL prefixes: a status list uri is fetched only when its
	// scheme and host equal an entry's and its path starts with the entry's.
	Allowed []string
	Clock   func() time.Time // nil: time.Now
	TTL     time.Duration    // cache time for tokens without ttl; 0: DefaultTTL
}

// Fetcher retrieves and caches Status List Tokens.
type Fetcher struct {
	client  *http.Client
	allowed []*url.URL
	clock   func() time.Time
	ttl     time.Duration

	mu       sync.Mutex
	cache    map[string]cached
	inflight map[string]*fetchCall
}

// fetchCall is one fetch that concurrent lookups of the same list share, so
// a cache expiry under load costs one request, not one per call.
type fetchCall struct {
	done  chan struct{}
	list  List
	until time.Time
	err   error
}

type cached struct {
	list  List
	until time.Time
}

// NewFetcher checks the allowed prefixes and builds a Fetcher.
func NewFetcher(cfg FetcherConfig) (*Fetcher, error) {
	f := &Fetcher{clock: cfg.Clock, ttl: cfg.TTL, cache: map[string]cached{}, inflight: map[string]*fetchCall{}}
	if f.clock == nil {
		f.clock = time.Now
	}
	if f.ttl <= 0 {
		f.ttl = DefaultTTL
	}
	for _, a := range cfg.Allowed {
		u, err := url.Parse(a)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			return nil, fmt.Errorf("status list allowed prefix %q: want an http(s) URL with a host", a)
		}
		f.allowed = append(f.allowed, u)
	}
	client := cfg.Client
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second}
	}
	// A copy, so redirects can be held to the same allow list without
	// changing the caller's client.
	c := *client
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 3 {
			return errors.New("too many redirects")
		}
		if !f.Allowed(req.URL.String()) {
			return fmt.Errorf("%w: redirect to %s", ErrNotAllowed, req.URL.Redacted())
		}
		return nil
	}
	f.client = &c
	return f, nil
}

// Allowed reports whether uri may be fetched.
func (f *Fetcher) Allowed(uri string) bool {
	u, err := url.Parse(uri)
	if err != nil || u.User != nil || u.Fragment != "" {
		return false
	}
	// Dot segments could climb out of the allowed path on the server.
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == "." || seg == ".." {
			return false
		}
	}
	for _, a := range f.allowed {
		if u.Scheme == a.Scheme && strings.EqualFold(u.Host, a.Host) && underPath(u.EscapedPath(), a.EscapedPath()) {
			return true
		}
	}
	return false
}

// underPath reports whether path is prefix or lies below it on a segment
// boundary, so an allowed "/status" covers "/status/7" but not "/status-evil".
func underPath(path, prefix string) bool {
	if !strings.HasPrefix(path, prefix) {
		return false
	}
	return len(path) == len(prefix) || strings.HasSuffix(prefix, "/") || path[len(prefix)] == '/'
}

// Status returns entry idx of the list at uri, signed by one of keys (the
// credential issuer's). Tokens are cached per issuer and uri.
func (f *Fetcher) Status(ctx context.Context, iss, uri string, idx int, keys []jose.JSONWebKey) (uint8, error) {
	if !f.Allowed(uri) {
		return 0, fmt.Errorf("%w: %s", ErrNotAllowed, uri)
	}
	list, err := f.list(ctx, iss, uri, keys)
	if err != nil {
		return 0, err
	}
	s, err := list.Status(idx)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return s, nil
}

func (f *Fetcher) list(ctx context.Context, iss, uri string, keys []jose.JSONWebKey) (List, error) {
	key := iss + "\x00" + uri
	f.mu.Lock()
	if c, ok := f.cache[key]; ok && f.clock().Before(c.until) {
		f.mu.Unlock()
		return c.list, nil
	}
	call, running := f.inflight[key]
	if !running {
		call = &fetchCall{done: make(chan struct{})}
		f.inflight[key] = call
	}
	f.mu.Unlock()
	if running {
		select {
		case <-call.done:
			return call.list, call.err
		case <-ctx.Done():
			return List{}, fmt.Errorf("%w: %v", ErrUnavailable, ctx.Err())
		}
	}
	call.list, call.until, call.err = f.refresh(ctx, iss, uri, keys)
	f.mu.Lock()
	delete(f.inflight, key)
	if call.err == nil {
		f.cache[key] = cached{list: call.list, until: call.until}
	}
	f.mu.Unlock()
	close(call.done)
	return call.list, call.err
}

// refresh fetches a token and says until when it may be cached: its ttl (or
// the configured one), never past its exp.
func (f *Fetcher) refresh(ctx context.Context, iss, uri string, keys []jose.JSONWebKey) (List, time.Time, error) {
	tok, err := f.fetch(ctx, uri, keys)
	if err != nil {
		return List{}, time.Time{}, err
	}
	if tok.Issuer != "" && tok.Issuer != iss {
		return List{}, time.Time{}, fmt.Errorf("%w: token iss %q is not the credential's %q", ErrUnavailable, tok.Issuer, iss)
	}
	ttl := f.ttl
	if tok.TTL > 0 {
		ttl = tok.TTL
	}
	until := f.clock().Add(ttl)
	if !tok.Expiry.IsZero() && tok.Expiry.Before(until) {
		until = tok.Expiry
	}
	return tok.List, until, nil
}

func (f *Fetcher) fetch(ctx context.Context, uri string, keys []jose.JSONWebKey) (Token, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return Token{}, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	req.Header.Set("Accept", "application/statuslist+jwt")
	resp, err := f.client.Do(req)
	if err != nil {
		if errors.Is(err, ErrNotAllowed) {
			return Token{}, err
		}
		return Token{}, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Token{}, fmt.Errorf("%w: %s answered %s", ErrUnavailable, uri, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxTokenBytes+1))
	if err != nil {
		return Token{}, fmt.Errorf("%w: reading %s: %v", ErrUnavailable, uri, err)
	}
	if len(body) > MaxTokenBytes {
		return Token{}, fmt.Errorf("%w: %s sent more than %d bytes", ErrUnavailable, uri, MaxTokenBytes)
	}
	tok, err := ParseToken(string(body), uri, keys, f.clock())
	if err != nil {
		return Token{}, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return tok, nil
}
