package interop

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/frontdoor-project/frontdoor/identity/mdoc"
	"github.com/frontdoor-project/frontdoor/identity/wallet"
)

// walletResult is the JSON line openid4vp-wallet.mjs prints.
type walletResult struct {
	OK               bool            `json:"ok"`
	Stage            string          `json:"stage"`
	Status           int             `json:"status"`
	Body             json.RawMessage `json:"body"`
	Error            string          `json:"error"`
	ErrorDescription string          `json:"error_description"`
	Cause            string          `json:"cause"`
	ResponseMode     string          `json:"response_mode"`
	ClientID         string          `json:"client_id"`
	ClientIDPrefix   string          `json:"client_id_prefix"`
	QueryID          string          `json:"query_id"`
	Disclosed        []string        `json:"disclosed"`
	JWEHeader        map[string]any  `json:"jwe_header"`
}

// String shows the result as the wallet printed it (Body as JSON, not bytes).
func (r walletResult) String() string {
	b, _ := json.Marshal(r)
	return string(b)
}

// interopWallets is what the npm wallet answers with: an SD-JWT VC that
// frontdoor's test issuer (the demo issuer key) issued, or an mDL that
// @animo-id/mdoc issues itself with a document signer under the IACA
// frontdoor trusts.
type interopWallets struct {
	sdjwtArgs []string
	mdocArgs  []string
}

// newDocumentSigner writes a fresh IACA root and a document signer it
// issued (PEM files in dir): the mDL trust material of a test.
func newDocumentSigner(t *testing.T, dir string) (iacaPath, dsCert, dsKey string) {
	t.Helper()
	iaca, err := mdoc.NewDemoIACA()
	if err != nil {
		t.Fatal(err)
	}
	ds, err := mdoc.NewDocumentSigner(iaca)
	if err != nil {
		t.Fatal(err)
	}
	iacaPath, dsCert, dsKey = filepath.Join(dir, "iaca.pem"), filepath.Join(dir, "ds.pem"), filepath.Join(dir, "ds.key")
	if err := iaca.Save(iacaPath, filepath.Join(dir, "iaca.key")); err != nil {
		t.Fatal(err)
	}
	if err := ds.Save(dsCert, dsKey); err != nil {
		t.Fatal(err)
	}
	return iacaPath, dsCert, dsKey
}

func newInteropWallets(t *testing.T, dir string) (interopWallets, string) {
	t.Helper()
	issuerKey, err := wallet.LoadPrivateKey(repoFile("config", "keys", "issuer.DEMO-ONLY.private.jwk.json"))
	if err != nil {
		t.Fatal(err)
	}
	w, err := wallet.Issue(issuerKey, wallet.IssueParams{Issuer: "https://id.example", IssuedAt: time.Now().Add(-time.Minute),
		Claims: map[string]any{"given_name": "Minji", "family_name": "Kim", "birthdate": "1990-05-17", "nationality": "KR"}})
	if err != nil {
		t.Fatal(err)
	}
	walletPath := filepath.Join(dir, "pid.wallet.json")
	if err := w.Save(walletPath); err != nil {
		t.Fatal(err)
	}
	iacaPath, dsCert, dsKey := newDocumentSigner(t, dir)
	return interopWallets{
		sdjwtArgs: []string{"--format=dc+sd-jwt", "--wallet=" + walletPath},
		mdocArgs: []string{"--format=mso_mdoc", "--mdoc-signer-cert=" + dsCert, "--mdoc-signer-key=" + dsKey,
			`--claims={"given_name":"Minji","family_name":"Kim","birth_date":"1990-05-17","resident_address":"Seoul"}`},
	}, iacaPath
}

// The wallet built on @openid4vc/openid4vp, @sd-jwt/sd-jwt-vc and
// @animo-id/mdoc answers a real `frontdoor serve`: it resolves the
// request_uri, checks the JAR signature against the x5c chain and the
// x509_hash client id with the library's own validation, and answers
// direct_post.jwt. frontdoor verifies both formats; each side refuses
// what the other would be wrong to accept.
func TestOpenID4VPWalletFromNPM(t *testing.T) {
	node := needNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	pki := newVerifierPKI(t)
	wallets, iaca := newInteropWallets(t, dir)
	fd := startFrontdoor(t, ctx, pki.Chain, pki.Key, iaca, "")

	present := func(t *testing.T, link string, args ...string) (walletResult, bool) {
		t.Helper()
		return runWallet(t, node, pki.Root, link, args...)
	}
	verified := func(t *testing.T, res walletResult, ok bool, method string, want float64) {
		t.Helper()
		if !ok || !res.OK || res.Status != http.StatusOK || strings.TrimSpace(string(res.Body)) != "{}" {
			t.Fatalf("frontdoor did not accept the npm wallet's answer: %+v\nfrontdoor log:\n%s", res, fd.logText())
		}
		if res.ClientIDPrefix != "x509_hash" || res.ResponseMode != "direct_post.jwt" || res.JWEHeader["alg"] != "ECDH-ES" {
			t.Fatalf("exchange %+v: want x509_hash, direct_post.jwt, ECDH-ES", res)
		}
		series := `frontdoor_identity_verifications_total{method="` + method + `",result="verified"}`
		if got := fd.metric(t, series); got != formatCount(want) {
			t.Fatalf("%s = %q, want %v", series, got, want)
		}
	}

	t.Run("SD-JWT VC verified", func(t *testing.T) {
		s := fd.newSession(t)
		res, ok := present(t, s.WalletURL, wallets.sdjwtArgs...)
		verified(t, res, ok, "openid4vp-sdjwt", 1)
		if res.QueryID != "pid" || strings.Join(res.Disclosed, ",") != "given_name,family_name,birthdate" {
			t.Fatalf("answered %q disclosing %v: want pid with the three asked claims (nationality withheld)", res.QueryID, res.Disclosed)
		}
	})
	t.Run("mDL verified", func(t *testing.T) {
		s := fd.newSession(t)
		res, ok := present(t, s.WalletURL, wallets.mdocArgs...)
		verified(t, res, ok, "openid4vp-mdoc", 1)
		if res.QueryID != "mdl" || strings.Join(res.Disclosed, ",") != "given_name,family_name,birth_date" {
			t.Fatalf("answered %q disclosing %v: want mdl with the three asked elements (resident_address withheld)", res.QueryID, res.Disclosed)
		}
	})

	// frontdoor refuses a library-made answer bound to another nonce.
	t.Run("wrong nonce refused by frontdoor", func(t *testing.T) {
		for _, c := range []struct {
			args []string
			code string
		}{
			{wallets.sdjwtArgs, "wrong_nonce"},
			{wallets.mdocArgs, mdoc.CodeBadDeviceSignature},
		} {
			s := fd.newSession(t)
			res, ok := present(t, s.WalletURL, append(c.args, "--wrong-nonce")...)
			if ok || res.Stage != "response" || res.Status != http.StatusBadRequest || res.Error != c.code {
				t.Fatalf("%v with a wrong nonce: %+v, want frontdoor's 400 %s", c.args[0], res, c.code)
			}
		}
	})

	// The library refuses a request a man in the middle changed; the
	// wallet then sends nothing, so the genuine request can still be
	// answered (a second answer would be refused as replayed).
	t.Run("tampered request refused by the library", func(t *testing.T) {
		for _, c := range []struct {
			name   string
			tamper func(t *testing.T, jwt, proxy string) string
			want   string // in the library's error
		}{
			{"payload changed under the signature", swapResponseURI, "Error during verification of jwt"},
			{"re-signed by another verifier of the same root", pki.resign, "Expected the base64url encoded sha-256 hash of the leaf x5c certificate"},
		} {
			s := fd.newSession(t)
			link := viaProxy(t, s.WalletURL, c.tamper)
			res, ok := present(t, link, wallets.sdjwtArgs...)
			if ok || res.Stage != "request" || !strings.Contains(res.ErrorDescription, c.want) {
				t.Fatalf("%s: %+v, want the library's refusal %q", c.name, res, c.want)
			}
			t.Logf("%s: the library says %s: %s", c.name, res.Error, res.ErrorDescription)
		}
		s := fd.newSession(t)
		res, ok := present(t, s.WalletURL, wallets.sdjwtArgs...)
		verified(t, res, ok, "openid4vp-sdjwt", 2)
	})
}

// runWallet answers an openid4vp:// link with openid4vp-wallet.mjs,
// trusting root for the request's x5c chain. http:// is allowed: the
// node listens on 127.0.0.1 without TLS.
func runWallet(t *testing.T, node, root, link string, args ...string) (walletResult, bool) {
	t.Helper()
	var res walletResult
	ok := runScript(t, node, "openid4vp-wallet.mjs", &res,
		append([]string{"--link=" + link, "--trust-root=" + root, "--allow-http"}, args...)...)
	return res, ok
}

func formatCount(n float64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// viaProxy rewrites a wallet link so that its request_uri points at a man
// in the middle who fetches frontdoor's request object and changes it.
func viaProxy(t *testing.T, walletURL string, tamper func(t *testing.T, jwt, proxy string) string) string {
	t.Helper()
	link, err := url.Parse(walletURL)
	if err != nil {
		t.Fatal(err)
	}
	q := link.Query()
	upstream := q.Get("request_uri")
	var proxy *httptest.Server
	proxy = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			t.Errorf("the wallet sent %s %s to the man in the middle", r.Method, r.URL)
			http.Error(w, "no", http.StatusTeapot)
			return
		}
		res, err := http.Get(upstream)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		w.Header().Set("Content-Type", "application/oauth-authz-req+jwt")
		_, _ = io.WriteString(w, tamper(t, string(raw), proxy.URL))
	}))
	t.Cleanup(proxy.Close)
	u, _ := url.Parse(upstream)
	q.Set("request_uri", proxy.URL+u.Path)
	link.RawQuery = q.Encode()
	return link.String()
}

// swapResponseURI keeps frontdoor's signature but sends the answer to the
// man in the middle.
func swapResponseURI(t *testing.T, jwt, proxy string) string {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Errorf("request object %q is not a JWS", jwt)
		return jwt
	}
	payload := decodeSegment(t, parts[1])
	payload["response_uri"] = proxy + "/steal"
	raw, _ := json.Marshal(payload)
	parts[1] = base64.RawURLEncoding.EncodeToString(raw)
	return strings.Join(parts, ".")
}

// resign signs frontdoor's unchanged request with the other verifier's
// key and certificate: a valid signature and chain, but its leaf does not
// hash to the client_id.
func (p verifierPKI) resign(t *testing.T, jwt, _ string) string {
	parts := strings.Split(jwt, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Errorf("request object payload: %v", err)
		return jwt
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: p.otherKey},
		(&jose.SignerOptions{}).WithType("oauth-authz-req+jwt").WithHeader("x5c", []string{base64.StdEncoding.EncodeToString(p.otherLeaf.Raw)}))
	if err != nil {
		t.Error(err)
		return jwt
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Error(err)
		return jwt
	}
	out, _ := jws.CompactSerialize()
	return out
}

func decodeSegment(t *testing.T, seg string) map[string]any {
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	var m map[string]any
	if err == nil {
		err = json.Unmarshal(raw, &m)
	}
	if err != nil {
		t.Errorf("JWS segment: %v", err)
	}
	return m
}
