package openid4vp

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/identity"
	"github.com/frontdoor-project/frontdoor/identity/mdoc"
	"github.com/frontdoor-project/frontdoor/identity/wallet"
)

// These tests drive the verifier's Digital Credentials API side with the
// Go wallet in the wallet's place and the origin a browser would assert
// (the HTTP route, where the origin comes from the Origin header, is
// tested in dashboard and cmd/frontdoor).

const (
	pageOrigin = "https://fd.example"   // the origin of identity.public_url
	evilOrigin = "https://evil.example" // a site relaying our request
)

type dcEnv struct {
	t    *testing.T
	svc  *identity.Service
	v    *Verifier
	pid  wallet.Wallet
	mdl  wallet.Wallet
	mu   sync.Mutex
	seen []string // method/result, as the metrics see them
}

func newDCEnv(t *testing.T, mode string, origins ...string) *dcEnv {
	t.Helper()
	e := &dcEnv{t: t}
	issuerKey, err := wallet.NewKey("ES256")
	if err != nil {
		t.Fatal(err)
	}
	e.pid, err = wallet.Issue(issuerKey, wallet.IssueParams{Issuer: "https://id.example",
		Claims:   map[string]any{"given_name": "Minji", "family_name": "Kim", "birthdate": "1958-03-02"},
		IssuedAt: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	iaca, err := mdoc.NewDemoIACA()
	if err != nil {
		t.Fatal(err)
	}
	e.mdl = mdlWallet(t, iaca)
	e.svc, err = identity.NewService(identity.ServiceConfig{VerifierID: "https://frontdoor.example",
		Issuers: []identity.IssuerKeys{{Issuer: "https://id.example", Keys: wallet.PublicSet(issuerKey.Public())}},
		Observe: func(method, result string) {
			e.mu.Lock()
			e.seen = append(e.seen, method+"/"+result)
			e.mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	chain, priv := testChain(t)
	e.v, err = New(Config{Service: e.svc, PublicURL: pageOrigin + "/frontdoor/", Chain: chain, Key: priv,
		ResponseMode: mode, ExpectedOrigins: origins, Mdoc: NewMdocChecker([]*x509.Certificate{iaca.Cert}, nil)})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// open starts a session and returns its DC API request as the page
// passes it to navigator.credentials.get.
func (e *dcEnv) open(protocol string) (identity.Session, DCRequest) {
	e.t.Helper()
	sess, err := e.svc.NewSession("c-dc")
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.v.Open(sess); err != nil {
		e.t.Fatal(err)
	}
	raw, err := e.v.DCRequest(sess.ID, protocol)
	if err != nil {
		e.t.Fatal(err)
	}
	var req DCRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		e.t.Fatal(err)
	}
	return sess, req
}

// resolve is the wallet reading the request with the origin its platform
// asserts.
func (e *dcEnv) resolve(req DCRequest, origin string) WalletRequest {
	e.t.Helper()
	wr, err := ResolveDC(req, origin, Trust{SkipRootTrust: true})
	if err != nil {
		e.t.Fatalf("wallet refused the request: %v", err)
	}
	return wr
}

func (e *dcEnv) answer(wr WalletRequest, w wallet.Wallet, o AnswerOptions) []byte {
	e.t.Helper()
	body, err := wr.AnswerDC(w, o)
	if err != nil {
		e.t.Fatal(err)
	}
	return body
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	ref, ok := identity.AsRefusal(err)
	if !ok || ref.Code != code {
		t.Fatalf("got %v, want refusal %s", err, code)
	}
	t.Logf("refused as expected: %s: %s", ref.Code, ref.Detail)
}

// The request, field by field (OpenID4VP 1.0 A.2, A.3): signed has
// client_id and expected_origins; unsigned has neither; both dc_api.jwt,
// no response_uri, no state.
func TestDCRequestShape(t *testing.T) {
	e := newDCEnv(t, "")
	sess, signed := e.open(ProtocolSigned)
	if signed.Protocol != ProtocolSigned {
		t.Fatalf("protocol %q", signed.Protocol)
	}
	var data struct{ Request string }
	if err := json.Unmarshal(signed.Data, &data); err != nil || strings.Count(data.Request, ".") != 2 {
		t.Fatalf("signed data %s: %v", signed.Data, err)
	}
	if h := segment(t, data.Request, 0); h["typ"] != RequestObjectType || h["alg"] != "ES256" || h["x5c"] == nil {
		t.Fatalf("header %v", h)
	}
	p := segment(t, data.Request, 1)
	origins, _ := p["expected_origins"].([]any)
	if p["client_id"] != e.v.ClientID() || len(origins) != 1 || origins[0] != pageOrigin ||
		p["response_mode"] != ModeDCAPIJWT || p["response_type"] != "vp_token" || p["nonce"] != sess.Nonce {
		t.Fatalf("signed payload %v", p)
	}
	for _, absent := range []string{"response_uri", "state"} {
		if _, ok := p[absent]; ok {
			t.Fatalf("signed payload has %s: %v", absent, p)
		}
	}
	_, unsigned := e.open("openid4vp-v1-unsigned")
	var u map[string]any
	if err := json.Unmarshal(unsigned.Data, &u); err != nil {
		t.Fatal(err)
	}
	for _, absent := range []string{"client_id", "expected_origins", "response_uri", "state", "request"} {
		if _, ok := u[absent]; ok {
			t.Fatalf("unsigned request has %s: %v", absent, u)
		}
	}
	if u["response_mode"] != ModeDCAPIJWT || u["client_metadata"] == nil || u["dcql_query"] == nil {
		t.Fatalf("unsigned request %v", u)
	}
	if _, err := e.v.DCRequest(sess.ID, "openid4vp-v1-multisigned"); !errors.Is(err, ErrUnknownProtocol) {
		t.Fatalf("multisigned: %v", err)
	}
	if _, err := e.v.DCRequest("nope", ""); !errors.Is(err, ErrUnknownRequest) {
		t.Fatalf("unknown session: %v", err)
	}
	if _, err := New(Config{Service: e.svc, PublicURL: pageOrigin, Chain: e.v.cfg.Chain, Key: e.v.cfg.Key,
		ExpectedOrigins: []string{pageOrigin + "/"}}); err == nil || !strings.Contains(err.Error(), `write "https://fd.example"`) {
		t.Fatalf("origin with a path: %v", err)
	}
}

// Right origin, both formats, both protocols, both DC API response modes:
// verified, with the DC API method label.
func TestDCAPIRoundTrip(t *testing.T) {
	for _, mode := range []string{ModeDirectPostJWT, ModeDirectPost} {
		e := newDCEnv(t, mode)
		for _, protocol := range []string{ProtocolSigned, ProtocolUnsigned} {
			for _, format := range []struct {
				name, method string
				w            wallet.Wallet
			}{{"sd-jwt", identity.MethodDCAPISDJWT, e.pid}, {"mdoc", identity.MethodDCAPIMdoc, e.mdl}} {
				t.Run(mode+"/"+protocol+"/"+format.name, func(t *testing.T) {
					sess, req := e.open(protocol)
					wr := e.resolve(req, pageOrigin)
					claims, err := e.v.RespondDC(context.Background(), sess.ID, pageOrigin, e.answer(wr, format.w, AnswerOptions{}))
					if err != nil {
						t.Fatal(err)
					}
					if claims["given_name"] != "Minji" || claims["birthdate"] != "1958-03-02" {
						t.Fatalf("claims %v", claims)
					}
					e.mu.Lock()
					last := e.seen[len(e.seen)-1]
					e.mu.Unlock()
					if last != format.method+"/"+identity.ResultVerified {
						t.Fatalf("observed %s", last)
					}
				})
			}
		}
	}
}

// Each DC API rule, broken alone.
func TestDCAPIRefusals(t *testing.T) {
	e := newDCEnv(t, "", pageOrigin, "https://call.fd.example")
	ctx := context.Background()

	t.Run("second listed origin is served", func(t *testing.T) {
		sess, req := e.open(ProtocolSigned)
		wr := e.resolve(req, "https://call.fd.example")
		if _, err := e.v.RespondDC(ctx, sess.ID, "https://call.fd.example", e.answer(wr, e.pid, AnswerOptions{})); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("wallet refuses a signed request replayed by another site", func(t *testing.T) {
		_, req := e.open(ProtocolSigned)
		_, err := ResolveDC(req, evilOrigin, Trust{SkipRootTrust: true})
		if err == nil || !strings.Contains(err.Error(), "invalid_request") || !strings.Contains(err.Error(), "expected_origins") {
			t.Fatalf("wallet took a replayed request: %v", err)
		}
	})
	// An unsigned request carries no expected_origins: a relaying site
	// gets an answer bound to itself, which is useless here.
	for _, f := range []struct {
		name, forged string
		w            func() wallet.Wallet
	}{{"sd-jwt", CodeWrongOrigin, func() wallet.Wallet { return e.pid }},
		{"mdoc", mdoc.CodeBadDeviceSignature, func() wallet.Wallet { return e.mdl }}} {
		t.Run("relayed unsigned "+f.name+" posted from the relay", func(t *testing.T) {
			sess, req := e.open(ProtocolUnsigned)
			body := e.answer(e.resolve(req, evilOrigin), f.w(), AnswerOptions{})
			_, err := e.v.RespondDC(ctx, sess.ID, evilOrigin, body)
			wantCode(t, err, CodeOriginNotExpected)
		})
		t.Run("relayed unsigned "+f.name+" with a forged Origin", func(t *testing.T) {
			sess, req := e.open(ProtocolUnsigned)
			body := e.answer(e.resolve(req, evilOrigin), f.w(), AnswerOptions{})
			_, err := e.v.RespondDC(ctx, sess.ID, pageOrigin, body)
			wantCode(t, err, f.forged)
		})
	}
	t.Run("KB-JWT aud is the client_id, not the origin", func(t *testing.T) {
		sess, req := e.open(ProtocolSigned)
		wr := e.resolve(req, pageOrigin)
		_, err := e.v.RespondDC(ctx, sess.ID, pageOrigin, e.answer(wr, e.pid, AnswerOptions{Aud: wr.ClientID}))
		wantCode(t, err, CodeWrongOrigin)
	})
	t.Run("mdoc signed with the redirect handover", func(t *testing.T) {
		sess, req := e.open(ProtocolSigned)
		wr := e.resolve(req, pageOrigin)
		tr, err := wr.MdocTranscript(AnswerOptions{})
		if err != nil {
			t.Fatal(err)
		}
		tr.Origin, tr.ClientID = "", wr.ClientID // OpenID4VPHandover, everything else right
		_, err = e.v.RespondDC(ctx, sess.ID, pageOrigin, e.answer(wr, e.mdl, AnswerOptions{Transcript: &tr}))
		wantCode(t, err, mdoc.CodeBadDeviceSignature)
	})
	t.Run("no Origin", func(t *testing.T) {
		sess, req := e.open(ProtocolSigned)
		_, err := e.v.RespondDC(ctx, sess.ID, "", e.answer(e.resolve(req, pageOrigin), e.pid, AnswerOptions{}))
		wantCode(t, err, CodeOriginNotExpected)
	})
	t.Run("plain answer when dc_api.jwt", func(t *testing.T) {
		sess, req := e.open(ProtocolSigned)
		_, err := e.v.RespondDC(ctx, sess.ID, pageOrigin, e.answer(e.resolve(req, pageOrigin), e.pid, AnswerOptions{Plain: true}))
		wantCode(t, err, CodeEncryptionRequired)
	})
	t.Run("wrong nonce", func(t *testing.T) {
		sess, req := e.open(ProtocolSigned)
		_, err := e.v.RespondDC(ctx, sess.ID, pageOrigin, e.answer(e.resolve(req, pageOrigin), e.pid, AnswerOptions{Nonce: "another"}))
		wantCode(t, err, identity.CodeWrongNonce)
	})
	t.Run("wallet error", func(t *testing.T) {
		sess, _ := e.open(ProtocolSigned)
		_, err := e.v.RespondDC(ctx, sess.ID, pageOrigin, []byte(`{"protocol":"openid4vp-v1-signed","data":{"error":"access_denied"}}`))
		wantCode(t, err, CodeInvalidRequest)
	})
	t.Run("not JSON", func(t *testing.T) {
		sess, _ := e.open(ProtocolSigned)
		_, err := e.v.RespondDC(ctx, sess.ID, pageOrigin, []byte(`response=x`))
		wantCode(t, err, CodeInvalidRequest)
	})
	t.Run("one answer per session, whichever way", func(t *testing.T) {
		sess, req := e.open(ProtocolSigned)
		wr := e.resolve(req, pageOrigin)
		body := e.answer(wr, e.pid, AnswerOptions{})
		if _, err := e.v.RespondDC(ctx, sess.ID, pageOrigin, body); err != nil {
			t.Fatal(err)
		}
		_, err := e.v.RespondDC(ctx, sess.ID, pageOrigin, body)
		wantCode(t, err, CodeReplayed)
		// The session's response_uri is answered too.
		_, err = e.v.Respond(ctx, sess.ID, map[string][]string{"response": {"x"}})
		if err == nil {
			t.Fatal("direct_post answer after a DC API one was accepted")
		}
	})
}
