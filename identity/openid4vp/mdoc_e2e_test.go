package openid4vp

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/identity"
	"github.com/frontdoor-project/frontdoor/identity/mdoc"
	"github.com/frontdoor-project/frontdoor/identity/wallet"
)

// mdlEnv is a real verifier behind HTTP (the request and response routes
// the dashboard serves), trusting one IACA for mDLs.
type mdlEnv struct {
	t   *testing.T
	svc *identity.Service
	v   *Verifier
	srv *httptest.Server
}

func newMdlEnv(t *testing.T, anchors []*x509.Certificate, issuers ...identity.IssuerKeys) *mdlEnv {
	t.Helper()
	svc, err := identity.NewService(identity.ServiceConfig{VerifierID: "https://frontdoor.example", Issuers: issuers})
	if err != nil {
		t.Fatal(err)
	}
	chain, priv := testChain(t)
	e := &mdlEnv{t: t, svc: svc}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/identity/sessions/{id}/request", func(rw http.ResponseWriter, r *http.Request) {
		jwt, err := e.v.RequestObject(r.PathValue("id"))
		if err != nil {
			http.NotFound(rw, r)
			return
		}
		rw.Header().Set("Content-Type", RequestObjectType)
		rw.Write(jwt)
	})
	mux.HandleFunc("POST /api/v1/identity/sessions/{id}/response", func(rw http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		rw.Header().Set("Content-Type", "application/json")
		if err := e.v.HandleResponse(r.Context(), r.PathValue("id"), r.PostForm); err != nil {
			rw.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(rw).Encode(RefusalBody(err))
			return
		}
		rw.Write([]byte(`{}`))
	})
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	e.v, err = New(Config{Service: svc, PublicURL: e.srv.URL, Chain: chain, Key: priv,
		Mdoc: NewMdocChecker(anchors, nil)})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// open starts a session and resolves its request as a wallet does, over HTTP.
func (e *mdlEnv) open() (identity.Session, WalletRequest) {
	e.t.Helper()
	sess, err := e.svc.NewSession("c-mdl")
	if err != nil {
		e.t.Fatal(err)
	}
	offer, err := e.v.Open(sess)
	if err != nil {
		e.t.Fatal(err)
	}
	req, err := ResolveLink(context.Background(), e.srv.Client(), offer.WalletURL, Trust{SkipRootTrust: true})
	if err != nil {
		e.t.Fatal(err)
	}
	if req.ResponseMode != ModeDirectPostJWT {
		e.t.Fatalf("response_mode %q", req.ResponseMode)
	}
	return sess, req
}

func (e *mdlEnv) answer(req WalletRequest, w wallet.Wallet, o AnswerOptions) (int, ErrorBody) {
	e.t.Helper()
	form, err := req.Answer(w, o)
	if err != nil {
		e.t.Fatal(err)
	}
	if form.Get("response") == "" {
		e.t.Fatal("mdoc answer is not encrypted (direct_post.jwt)")
	}
	res, err := req.Post(context.Background(), e.srv.Client(), form)
	if err != nil {
		e.t.Fatal(err)
	}
	var body ErrorBody
	if res.Status != http.StatusOK {
		if err := json.Unmarshal(res.Body, &body); err != nil {
			e.t.Fatalf("HTTP %d body %q: %v", res.Status, res.Body, err)
		}
	}
	return res.Status, body
}

func mdlWallet(t *testing.T, iaca *mdoc.KeyPair) wallet.Wallet {
	t.Helper()
	return mdlWalletWith(t, iaca, map[string]any{"given_name": "Minji", "family_name": "Kim", "birthdate": "1958-03-02"})
}

// mdlWalletWith is an mDL with these claims from a new signer under iaca.
func mdlWalletWith(t *testing.T, iaca *mdoc.KeyPair, claims map[string]any) wallet.Wallet {
	t.Helper()
	ds, err := mdoc.NewDocumentSigner(iaca)
	if err != nil {
		t.Fatal(err)
	}
	w, err := wallet.IssueMdoc(ds, wallet.MdocParams{
		Claims:   claims,
		IssuedAt: time.Now().Add(-time.Minute),
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// TestMDLOverOpenID4VP: an mDL issued by identity/mdoc, answered with
// direct_post.jwt by the openid4vp wallet side, verified by the verifier
// with NewMdocChecker, and the session carries the mapped claims.
func TestMDLOverOpenID4VP(t *testing.T) {
	iaca, err := mdoc.NewDemoIACA()
	if err != nil {
		t.Fatal(err)
	}
	e := newMdlEnv(t, []*x509.Certificate{iaca.Cert})
	sess, req := e.open()
	if status, body := e.answer(req, mdlWallet(t, iaca), AnswerOptions{}); status != http.StatusOK {
		t.Fatalf("HTTP %d %+v", status, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	claims, err := e.svc.Wait(ctx, sess.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"given_name": "Minji", "family_name": "Kim", "birthdate": "1958-03-02"}
	if len(claims) != len(want) {
		t.Fatalf("claims %v, want %v", claims, want)
	}
	for k, v := range want {
		if claims[k] != v {
			t.Fatalf("claims %v, want %v", claims, want)
		}
	}
}

// TestMDLOverOpenID4VPRefusals: the mdoc package's refusals come back
// through the envelope as 400 with their codes.
func TestMDLOverOpenID4VPRefusals(t *testing.T) {
	iaca, err := mdoc.NewDemoIACA()
	if err != nil {
		t.Fatal(err)
	}
	other, err := mdoc.NewDemoIACA()
	if err != nil {
		t.Fatal(err)
	}
	e := newMdlEnv(t, []*x509.Certificate{iaca.Cert})

	t.Run("untrusted IACA", func(t *testing.T) {
		_, req := e.open()
		status, body := e.answer(req, mdlWallet(t, other), AnswerOptions{})
		if status != http.StatusBadRequest || body.Error != mdoc.CodeUntrusted {
			t.Fatalf("HTTP %d %+v, want 400 %s", status, body, mdoc.CodeUntrusted)
		}
	})
	t.Run("device signature for another session", func(t *testing.T) {
		_, first := e.open()
		_, second := e.open()
		// Signed over the first session's transcript, posted to the second.
		tr, err := first.MdocTranscript(AnswerOptions{})
		if err != nil {
			t.Fatal(err)
		}
		tr.ResponseURI, tr.JWKThumbprint = second.ResponseURI, mustThumb(t, second)
		status, body := e.answer(second, mdlWallet(t, iaca), AnswerOptions{Transcript: &tr})
		if status != http.StatusBadRequest || body.Error != mdoc.CodeBadDeviceSignature {
			t.Fatalf("HTTP %d %+v, want 400 %s", status, body, mdoc.CodeBadDeviceSignature)
		}
	})
}

// mustThumb keeps everything but the nonce right, so the refusal is the
// nonce's alone.
func mustThumb(t *testing.T, r WalletRequest) []byte {
	t.Helper()
	tr, err := r.MdocTranscript(AnswerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return tr.JWKThumbprint
}
