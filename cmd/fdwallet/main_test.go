package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/frontdoor-project/frontdoor/identity"
	"github.com/frontdoor-project/frontdoor/identity/wallet"
)

const demoIss = "https://id.example"

// identityAPI serves the contract's identity endpoints from a Service, as
// the real HTTP edge does, so fdwallet is tested over real HTTP.
func identityAPI(svc *identity.Service) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/identity/codes/{code}", func(w http.ResponseWriter, r *http.Request) {
		s, ok := svc.ByCode(r.PathValue("code"))
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			json.NewEncoder(w).Encode(map[string]string{"error": "unknown_code", "detail": "no live session"})
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"id": s.ID, "nonce": s.Nonce, "aud": s.Aud, "claims": svc.ClaimNames()})
	})
	mux.HandleFunc("POST /api/v1/identity/sessions/{id}/presentation", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Type") != "application/dc+sd-jwt" {
			w.WriteHeader(http.StatusUnsupportedMediaType)
			json.NewEncoder(w).Encode(map[string]any{"verified": false, "error": "malformed", "detail": "content type"})
			return
		}
		body, _ := io.ReadAll(r.Body)
		claims, err := svc.Present(r.Context(), r.PathValue("id"), body, identity.MethodPhoneCode)
		if err != nil {
			ref, _ := identity.AsRefusal(err)
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]any{"verified": false, "error": ref.Code, "detail": ref.Detail})
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"verified": true, "claims": claims})
	})
	return mux
}

func serveLocal(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

func runOK(t *testing.T, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	if err := run(args, &out); err != nil {
		t.Fatalf("fdwallet %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

func TestKeygenIssueStatusListPresent(t *testing.T) {
	dir := t.TempDir()
	runOK(t, "issuer-keygen", "-alg", "EdDSA", "-out", dir)
	priv := filepath.Join(dir, "issuer.private.jwk.json")
	keys, err := identity.LoadJWKS(filepath.Join(dir, "issuer.jwks.json"))
	if err != nil {
		t.Fatalf("published JWKS: %v", err)
	}
	if fi, _ := os.Stat(priv); fi.Mode().Perm() != 0o600 {
		t.Fatalf("private key mode %v, want 0600", fi.Mode().Perm())
	}

	lists := serveLocal(t, http.FileServer(http.Dir(dir)))
	listURI := lists.URL + "/status.jwt"
	runOK(t, "status-list", "-issuer-key", priv, "-iss", demoIss, "-uri", listURI, "-size", "16", "-revoked", "3", "-suspended", "5", "-out", filepath.Join(dir, "status.jwt"))

	svc, err := identity.NewService(identity.ServiceConfig{
		VerifierID: "https://frontdoor.example", Issuers: []identity.IssuerKeys{{Issuer: demoIss, Keys: keys}},
		HTTPClient: lists.Client(), StatusListAllowed: []string{lists.URL + "/"},
	})
	if err != nil {
		t.Fatal(err)
	}
	api := serveLocal(t, identityAPI(svc))
	claims := `{"given_name":"Minji","family_name":"Kim","birthdate":"1990-05-17","nationality":"KR"}`
	for _, c := range []struct {
		idx    string
		result string // "" = verified
	}{{"0", ""}, {"3", "revoked"}, {"5", "suspended"}} {
		t.Run("status index "+c.idx, func(t *testing.T) {
			wf := filepath.Join(dir, "wallet-"+c.idx+".json")
			runOK(t, "issue", "-issuer-key", priv, "-iss", demoIss, "-claims", claims, "-status-uri", listURI, "-status-idx", c.idx, "-out", wf)
			sess, err := svc.NewSession("call-" + c.idx)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			err = run([]string{"present", "-wallet", wf, "-server", api.URL, "-code", sess.Code}, &out)
			var ans struct {
				Verified bool              `json:"verified"`
				Claims   map[string]string `json:"claims"`
				Error    string            `json:"error"`
			}
			if jerr := json.Unmarshal(out.Bytes(), &ans); jerr != nil {
				t.Fatalf("output %q: %v", out.String(), jerr)
			}
			if c.result == "" {
				if err != nil || !ans.Verified || ans.Claims["given_name"] != "Minji" || ans.Claims["nationality"] != "" {
					t.Fatalf("present: %v, %+v", err, ans)
				}
				got, err := svc.Wait(context.Background(), sess.ID)
				if err != nil || got["birthdate"] != "1990-05-17" {
					t.Fatalf("Wait = %v, %v", got, err)
				}
				return
			}
			var exit exitError
			if !errors.As(err, &exit) || exit != 1 || ans.Verified || ans.Error != c.result {
				t.Fatalf("present: err %v, answer %+v; want exit 1 and %s", err, ans, c.result)
			}
		})
	}
}

func TestPresentWithSessionNonceAud(t *testing.T) {
	dir := t.TempDir()
	demoKeys, err := identity.LoadJWKS("../../config/keys/issuer.jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	// The committed demo private key must belong to the committed demo JWKS.
	wf := filepath.Join(dir, "w.json")
	runOK(t, "issue", "-issuer-key", "../../config/keys/issuer.DEMO-ONLY.private.jwk.json", "-iss", demoIss,
		"-claims", `{"given_name":"Jisoo","family_name":"Park","birthdate":"2001-02-03"}`, "-holder-alg", "EdDSA", "-out", wf)
	svc, err := identity.NewService(identity.ServiceConfig{VerifierID: "https://frontdoor.example",
		Issuers: []identity.IssuerKeys{{Issuer: demoIss, Keys: demoKeys}}})
	if err != nil {
		t.Fatal(err)
	}
	api := serveLocal(t, identityAPI(svc))
	sess, _ := svc.NewSession("web")
	// Disclosing less than the configured claims does not say who calls.
	var buf bytes.Buffer
	err = run([]string{"present", "-wallet", wf, "-server", api.URL, "-session", sess.ID, "-nonce", sess.Nonce, "-aud", sess.Aud, "-disclose", "given_name"}, &buf)
	if !errors.As(err, new(exitError)) || !strings.Contains(buf.String(), `"error":"missing_claims"`) {
		t.Fatalf("given_name only: %v %s", err, buf.String())
	}
	out := runOK(t, "present", "-wallet", wf, "-server", api.URL, "-session", sess.ID, "-nonce", sess.Nonce, "-aud", sess.Aud)
	if !strings.Contains(out, `"verified":true`) || !strings.Contains(out, "Jisoo") || !strings.Contains(out, "Park") {
		t.Fatalf("answer %s: want verified with the configured claims", out)
	}
	// The same session again: the nonce is spent.
	buf.Reset()
	err = run([]string{"present", "-wallet", wf, "-server", api.URL, "-session", sess.ID, "-nonce", sess.Nonce, "-aud", sess.Aud}, &buf)
	if !errors.As(err, new(exitError)) || !strings.Contains(buf.String(), `"error":"replayed"`) {
		t.Fatalf("second presentation: %v %s", err, buf.String())
	}
	w, err := wallet.Load(wf)
	if err != nil || w.Issuer != demoIss {
		t.Fatalf("wallet %+v, %v", w, err)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"frobnicate"},
		{"issue", "-iss", demoIss},
		{"present", "-wallet", "x.json"},
		{"present", "-wallet", "x.json", "-code", "1", "-session", "s"},
		{"issuer-keygen", "-alg", "HS256", "-out", "/tmp/never"},
	} {
		if err := run(args, io.Discard); err == nil {
			t.Errorf("fdwallet %v succeeded", args)
		}
	}
}

func TestPresentUnknownCode(t *testing.T) {
	dir := t.TempDir()
	wf := filepath.Join(dir, "w.json")
	runOK(t, "issue", "-issuer-key", "../../config/keys/issuer.DEMO-ONLY.private.jwk.json", "-iss", demoIss,
		"-claims", `{"given_name":"Minji"}`, "-out", wf)
	svc, err := identity.NewService(identity.ServiceConfig{VerifierID: "https://frontdoor.example"})
	if err != nil {
		t.Fatal(err)
	}
	api := serveLocal(t, identityAPI(svc))
	err = run([]string{"present", "-wallet", wf, "-server", api.URL, "-code", "000000"}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("unknown code: %v, want an error naming the 404", err)
	}
}
