package identity

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestSessionShape(t *testing.T) {
	f := newFixture(t, "ES256")
	sess, err := f.svc.NewSession("call-9")
	if err != nil {
		t.Fatal(err)
	}
	nonce, err := base64.RawURLEncoding.DecodeString(sess.Nonce)
	if err != nil || len(nonce) < 16 {
		t.Fatalf("nonce %q: %d bytes, err %v; want >= 128 bits of base64url", sess.Nonce, len(nonce), err)
	}
	if !regexp.MustCompile(`^[0-9]{6}$`).MatchString(sess.Code) {
		t.Fatalf("code %q is not six digits", sess.Code)
	}
	if sess.Aud != testAud || sess.CallID != "call-9" || sess.ID == "" {
		t.Fatalf("session %+v", sess)
	}
	if got := sess.ExpiresAt.Sub(f.clock.Now()); got != DefaultTTL {
		t.Fatalf("session lives %s, want %s", got, DefaultTTL)
	}
	got, ok := f.svc.ByCode(sess.Code)
	if !ok || got.ID != sess.ID || got.Nonce != sess.Nonce {
		t.Fatalf("ByCode(%s) = %+v, %v", sess.Code, got, ok)
	}
	if _, ok := f.svc.ByCode("abc"); ok {
		t.Fatal("ByCode found a session for a code never issued")
	}
}

func TestCodesAndNoncesAreUniqueAmongLiveSessions(t *testing.T) {
	f := newFixture(t, "ES256")
	codes, nonces := map[string]bool{}, map[string]bool{}
	// Enough sessions that six random digits would collide often if
	// uniqueness were not enforced (birthday bound ~1,200).
	for i := 0; i < 5000; i++ {
		s, err := f.svc.NewSession("")
		if err != nil {
			t.Fatal(err)
		}
		if codes[s.Code] || nonces[s.Nonce] {
			t.Fatalf("session %d reuses code %s or a nonce", i, s.Code)
		}
		codes[s.Code], nonces[s.Nonce] = true, true
	}
}

func TestNonceIsSingleUse(t *testing.T) {
	for _, alg := range algs {
		t.Run(alg, func(t *testing.T) {
			f := newFixture(t, alg)
			sess, _ := f.svc.NewSession("call-1")
			body := []byte(f.valid(sess).encode(t))
			if _, err := f.svc.Present(context.Background(), sess.ID, body, MethodPhoneCode); err != nil {
				t.Fatalf("first presentation refused: %v", err)
			}
			_, err := f.svc.Present(context.Background(), sess.ID, body, MethodPhoneCode)
			wantRefusal(t, err, CodeReplayed)
			// A fresh presentation (new KB-JWT) is refused as well: the nonce is spent.
			_, err = f.svc.Present(context.Background(), sess.ID, []byte(f.valid(sess).encode(t)), MethodPhoneCode)
			wantRefusal(t, err, CodeReplayed)
			if _, ok := f.svc.ByCode(sess.Code); ok {
				t.Fatal("a verified session is still offered by its code")
			}
			if len(f.audits) != 3 || f.audits[1].Reason != CodeReplayed || f.audits[1].CallID != "call-1" {
				t.Fatalf("audits %+v", f.audits)
			}
			if f.audits[1].Digest != f.audits[0].Digest || f.audits[0].Digest == "" {
				t.Fatalf("the replay's audit digest %q is not the verified credential's %q", f.audits[1].Digest, f.audits[0].Digest)
			}
		})
	}
}

func TestRefusedAttemptsLeaveSessionOpenUntilLimit(t *testing.T) {
	f := newFixture(t, "ES256", func(c *ServiceConfig) { c.MaxAttempts = 2 })
	sess, _ := f.svc.NewSession("c")
	bad := f.valid(sess)
	bad.kbClaims["aud"] = "https://elsewhere.example"
	_, err := f.svc.Present(context.Background(), sess.ID, []byte(bad.encode(t)), MethodWeb)
	wantRefusal(t, err, CodeWrongAudience)
	if _, ok := f.svc.ByCode(sess.Code); !ok {
		t.Fatal("session closed after one refusal; the citizen may retry")
	}
	_, err = f.svc.Present(context.Background(), sess.ID, []byte(bad.encode(t)), MethodWeb)
	wantRefusal(t, err, CodeWrongAudience)
	// Attempts used up: even a correct presentation is refused now.
	_, err = f.svc.Present(context.Background(), sess.ID, []byte(f.valid(sess).encode(t)), MethodWeb)
	wantRefusal(t, err, CodeReplayed)
	_, err = f.svc.Wait(context.Background(), sess.ID)
	wantRefusal(t, err, CodeWrongAudience)
}

func TestUnknownAndExpiredSessions(t *testing.T) {
	f := newFixture(t, "EdDSA")
	_, err := f.svc.Present(context.Background(), "no-such-session", []byte("x~"), MethodWeb)
	wantRefusal(t, err, CodeUnknownSession)
	_, err = f.svc.Wait(context.Background(), "no-such-session")
	wantRefusal(t, err, CodeUnknownSession)

	sess, _ := f.svc.NewSession("call-1")
	body := f.valid(sess).encode(t)
	f.clock.Advance(DefaultTTL)
	_, err = f.svc.Present(context.Background(), sess.ID, []byte(body), MethodWeb)
	wantRefusal(t, err, CodeSessionExpired)
	if _, ok := f.svc.ByCode(sess.Code); ok {
		t.Fatal("expired session still found by code")
	}
	_, err = f.svc.Wait(context.Background(), sess.ID)
	wantRefusal(t, err, CodeSessionExpired)

	// Long after expiry the session is forgotten (purged on the next NewSession).
	f.clock.Advance(2 * DefaultTTL)
	if _, err := f.svc.NewSession(""); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Present(context.Background(), sess.ID, []byte(body), MethodWeb)
	wantRefusal(t, err, CodeUnknownSession)
}

func TestWaitReturnsClaimsOnceVerified(t *testing.T) {
	f := newFixture(t, "ES256")
	sess, _ := f.svc.NewSession("call-1")
	type result struct {
		c   Claims
		err error
	}
	done := make(chan result, 1)
	waiting := make(chan struct{})
	go func() {
		close(waiting)
		c, err := f.svc.Wait(context.Background(), sess.ID)
		done <- result{c, err}
	}()
	<-waiting
	// A refusal does not end the wait.
	bad := f.valid(sess)
	bad.kbClaims["nonce"] = "guess"
	_, err := f.svc.Present(context.Background(), sess.ID, []byte(bad.encode(t)), MethodPhoneCode)
	wantRefusal(t, err, CodeWrongNonce)
	if _, err := f.svc.Present(context.Background(), sess.ID, []byte(f.valid(sess).encode(t)), MethodPhoneCode); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || r.c["family_name"] != "Kim" {
		t.Fatalf("Wait = %v, %v", r.c, r.err)
	}
}

func TestWaitEndsWithContext(t *testing.T) {
	f := newFixture(t, "ES256")
	sess, _ := f.svc.NewSession("call-1")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := f.svc.Wait(ctx, sess.ID)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait with a cancelled context = %v", err)
	}
}

func TestPushOffersSessionToCallersWallet(t *testing.T) {
	got := make(chan PushMessage, 1)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m PushMessage
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil || r.Method != http.MethodPost {
			t.Errorf("push: %s %v", r.Method, err)
		}
		got <- m
	}))
	srv.Listener = listenLocal(t)
	srv.Start()
	defer srv.Close()
	f := newFixture(t, "ES256", func(c *ServiceConfig) {
		c.Push = &PushConfig{URL: srv.URL + "/push"}
		c.HTTPClient = srv.Client()
	})
	web, err := f.svc.NewSession("web-only")
	if err != nil {
		t.Fatal(err)
	}
	f.svc.Push(web, "", "") // no asserted number: no push
	sess, err := f.svc.NewSession("call-7")
	if err != nil {
		t.Fatal(err)
	}
	f.svc.Push(sess, "01012345678", "openid4vp://?client_id=x&request_uri=y")
	m := <-got
	if len(sess.Match) != 2 || sess.Match[0] == '0' {
		t.Fatalf("match number %q: want two digits", sess.Match)
	}
	want := PushMessage{Number: "01012345678", SessionID: sess.ID, Code: sess.Code, Nonce: sess.Nonce, Aud: testAud,
		Match: sess.Match, WalletURL: "openid4vp://?client_id=x&request_uri=y"}
	if m != want {
		t.Fatalf("push %+v, want %+v", m, want)
	}
	select {
	case extra := <-got:
		t.Fatalf("a session without a caller was pushed: %+v", extra)
	default:
	}
}

func TestPushFailureIsOnlyLogged(t *testing.T) {
	l := listenLocal(t)
	addr := l.Addr().String()
	l.Close() // nothing listens: the push fails
	logs := make(chan string, 16)
	f := newFixture(t, "ES256", func(c *ServiceConfig) {
		c.Push = &PushConfig{URL: "http://" + addr + "/push"}
		c.Logger = slog.New(slog.NewTextHandler(lineWriter(logs), nil))
	})
	sess, err := f.svc.NewSession("call-1")
	if err != nil {
		t.Fatal(err)
	}
	f.svc.Push(sess, "0101", "") // fails in the background, only logged
	for line := range logs {
		if strings.Contains(line, "identity push failed") {
			return
		}
	}
}

// lineWriter sends each write (one slog record) to a channel.
type lineWriter chan<- string

func (w lineWriter) Write(p []byte) (int, error) {
	w <- string(p)
	return len(p), nil
}

func listenLocal(t *testing.T) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestAgeOn(t *testing.T) {
	on := time.Date(2026, 5, 17, 15, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		birth string
		age   int
		ok    bool
	}{
		{"1990-05-17", 36, true}, // birthday today
		{"1990-05-18", 35, true}, // tomorrow
		{"1990-04-30", 36, true},
		{"2026-05-17", 0, true},
		{"2026-05-18", 0, false}, // not born yet
		{"17.05.1990", 0, false},
		{"", 0, false},
	} {
		age, ok := AgeOn(c.birth, on)
		if age != c.age || ok != c.ok {
			t.Errorf("AgeOn(%q) = %d, %v; want %d, %v", c.birth, age, ok, c.age, c.ok)
		}
	}
}

func TestConcurrentPresentationsSpendNonceOnce(t *testing.T) {
	f := newFixture(t, "EdDSA")
	sess, _ := f.svc.NewSession("call-1")
	body := []byte(f.valid(sess).encode(t))
	const n = 16
	results := make(chan error, n)
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		go func() {
			<-start
			_, err := f.svc.Present(context.Background(), sess.ID, body, MethodWeb)
			results <- err
		}()
	}
	close(start)
	accepted := 0
	for i := 0; i < n; i++ {
		err := <-results
		if err == nil {
			accepted++
			continue
		}
		wantRefusal(t, err, CodeReplayed)
	}
	if accepted != 1 {
		t.Fatalf("%d presentations accepted for one nonce, want exactly 1", accepted)
	}
}
