package identity

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/frontdoor-project/frontdoor/identity/statuslist"
)

// statusServer serves Status List Tokens on 127.0.0.1 and counts fetches.
type statusServer struct {
	*httptest.Server
	mu      sync.Mutex
	fetches int
	token   func(uri string) (string, int)
}

func newStatusServer(t *testing.T) *statusServer {
	s := &statusServer{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.fetches++
		tok := s.token
		s.mu.Unlock()
		body, code := tok(s.URL + r.URL.Path)
		if code/100 == 3 {
			http.Redirect(w, r, body, code)
			return
		}
		w.Header().Set("Content-Type", "application/statuslist+jwt")
		w.WriteHeader(code)
		w.Write([]byte(body))
	}))
	s.Listener = listenLocal(t)
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func (s *statusServer) count() int { s.mu.Lock(); defer s.mu.Unlock(); return s.fetches }

// statusFixture: a fixture whose issuer publishes a list where index 1 is
// revoked, 2 suspended, 3 holds an application-specific value, others valid.
func statusFixture(t *testing.T, alg string) (*fixture, *statusServer) {
	srv := newStatusServer(t)
	f := newFixture(t, alg, func(c *ServiceConfig) {
		c.HTTPClient = srv.Client()
		c.StatusListAllowed = []string{srv.URL + "/lists/"}
	})
	srv.token = func(uri string) (string, int) {
		tok, err := statuslist.SignToken(f.issuer, statuslist.TokenParams{
			Issuer: testIss, URI: uri, Bits: 2, Statuses: []uint8{0, 1, 2, 3, 0, 0, 0, 0, 0}, IssuedAt: f.clock.Now(), TTL: time.Minute,
		})
		if err != nil {
			t.Error(err)
		}
		return tok, http.StatusOK
	}
	return f, srv
}

func withStatus(uri string, idx int) func(*pres) {
	return func(p *pres) {
		p.payload["status"] = map[string]any{"status_list": map[string]any{"idx": idx, "uri": uri}}
	}
}

func TestStatusList(t *testing.T) {
	for _, alg := range algs {
		t.Run(alg, func(t *testing.T) {
			f, srv := statusFixture(t, alg)
			list := srv.URL + "/lists/1"
			for _, c := range []struct {
				name string
				brk  func(*pres)
				code string
			}{
				{"valid entry", withStatus(list, 0), ""},
				{"revoked", withStatus(list, 1), CodeRevoked},
				{"suspended", withStatus(list, 2), CodeSuspended},
				{"unknown status value", withStatus(list, 3), CodeRevoked},
				{"index beyond the list", withStatus(list, 4000), CodeStatusUnavailable},
				{"uri outside the allowed prefixes", withStatus(srv.URL+"/other/1", 0), CodeStatusUnavailable},
				{"allowed host lookalike", withStatus("http://127.0.0.1.evil.example/lists/1", 0), CodeStatusUnavailable},
				{"no idx", func(p *pres) { p.payload["status"] = map[string]any{"status_list": map[string]any{"uri": list}} }, CodeMalformed},
			} {
				t.Run(c.name, func(t *testing.T) {
					_, err := f.present(c.brk)
					if c.code == "" {
						if err != nil {
							t.Fatalf("refused: %v", err)
						}
						return
					}
					wantRefusal(t, err, c.code)
				})
			}
		})
	}
}

func TestStatusListCachedForTTL(t *testing.T) {
	f, srv := statusFixture(t, "ES256")
	list := srv.URL + "/lists/1"
	for i := 0; i < 3; i++ {
		if _, err := f.present(withStatus(list, 0)); err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.count(); n != 1 {
		t.Fatalf("%d fetches within the ttl, want 1", n)
	}
	f.clock.Advance(61 * time.Second) // token ttl is 60 s
	if _, err := f.present(withStatus(list, 0)); err != nil {
		t.Fatal(err)
	}
	if n := srv.count(); n != 2 {
		t.Fatalf("%d fetches after the ttl, want 2", n)
	}
}

func TestStatusListUnavailable(t *testing.T) {
	other := mustKey(t, "ES256")
	for _, c := range []struct {
		name  string
		token func(f *fixture, uri string) (string, int)
	}{
		{"server error", func(f *fixture, uri string) (string, int) { return "oops", http.StatusInternalServerError }},
		{"not a JWT", func(f *fixture, uri string) (string, int) { return "hello", http.StatusOK }},
		{"signed by another issuer's key", func(f *fixture, uri string) (string, int) {
			return signList(t, other, testIss, uri, f.clock.Now(), time.Time{}), http.StatusOK
		}},
		{"sub is another list", func(f *fixture, uri string) (string, int) {
			return signList(t, f.issuer, testIss, uri+"x", f.clock.Now(), time.Time{}), http.StatusOK
		}},
		{"iss is another issuer", func(f *fixture, uri string) (string, int) {
			return signList(t, f.issuer, "https://other.example", uri, f.clock.Now(), time.Time{}), http.StatusOK
		}},
		{"expired token", func(f *fixture, uri string) (string, int) {
			return signList(t, f.issuer, testIss, uri, f.clock.Now().Add(-time.Hour), f.clock.Now().Add(-2*time.Minute)), http.StatusOK
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, srv := statusFixture(t, "ES256")
			srv.token = func(uri string) (string, int) { return c.token(f, uri) }
			_, err := f.present(withStatus(srv.URL+"/lists/1", 0))
			wantRefusal(t, err, CodeStatusUnavailable)
		})
	}
	t.Run("server down", func(t *testing.T) {
		f, srv := statusFixture(t, "ES256")
		uri := srv.URL + "/lists/1"
		srv.Close()
		_, err := f.present(withStatus(uri, 0))
		wantRefusal(t, err, CodeStatusUnavailable)
	})
}

func TestStatusListRedirectOutsideAllowListRefused(t *testing.T) {
	f, srv := statusFixture(t, "ES256")
	target := newStatusServer(t)
	target.token = func(uri string) (string, int) {
		return signList(t, f.issuer, testIss, uri, f.clock.Now(), time.Time{}), http.StatusOK
	}
	srv.token = func(string) (string, int) { return target.URL + "/lists/1", http.StatusFound }
	_, err := f.present(withStatus(srv.URL+"/lists/1", 0))
	wantRefusal(t, err, CodeStatusUnavailable)
	if target.count() != 0 {
		t.Fatal("the redirect outside the allow list was followed")
	}
}

func signList(t *testing.T, key jose.JSONWebKey, iss, uri string, iat, exp time.Time) string {
	t.Helper()
	tok, err := statuslist.SignToken(key, statuslist.TokenParams{Issuer: iss, URI: uri, Bits: 1, Statuses: make([]uint8, 16), IssuedAt: iat, Expiry: exp})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestStatusWithoutAllowListIsUnavailable(t *testing.T) {
	f := newFixture(t, "EdDSA")
	_, err := f.present(withStatus("https://id.example/lists/1", 0))
	wantRefusal(t, err, CodeStatusUnavailable)
}
