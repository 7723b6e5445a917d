package openid4vp

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/frontdoor-project/frontdoor/identity"
	"github.com/frontdoor-project/frontdoor/identity/mdoc"
	"github.com/frontdoor-project/frontdoor/identity/sdjwt"
	"github.com/frontdoor-project/frontdoor/identity/wallet"
)

// foreignVerifier is another verifier than frontdoor's: its own DCQL
// query with its own ids, a signed request object served by request_uri
// and a response_uri that keeps what the wallet posts, so a test decodes
// the vp_token itself.
type foreignVerifier struct {
	t      *testing.T
	signer *Verifier // only its certificate, key and signing are used
	encKey *ecdsa.PrivateKey
	nonce  string
	srv    *httptest.Server
	posted chan url.Values
}

func newForeignVerifier(t *testing.T, dcql string) *foreignVerifier {
	t.Helper()
	svc, err := identity.NewService(identity.ServiceConfig{VerifierID: "https://other.example"})
	if err != nil {
		t.Fatal(err)
	}
	chain, priv := testChain(t)
	signer, err := New(Config{Service: svc, PublicURL: "https://other.example", Chain: chain, Key: priv})
	if err != nil {
		t.Fatal(err)
	}
	encKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	nonce, _ := randomToken()
	f := &foreignVerifier{t: t, signer: signer, encKey: encKey, nonce: nonce, posted: make(chan url.Values, 1)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /request", func(rw http.ResponseWriter, r *http.Request) {
		jwt, err := signer.sign(map[string]any{
			"iss": signer.ClientID(), "aud": SelfIssuedAudience, "client_id": signer.ClientID(),
			"response_type": "vp_token", "response_mode": ModeDirectPostJWT,
			"response_uri": f.srv.URL + "/response", "nonce": nonce, "state": "st-1",
			"dcql_query": json.RawMessage(dcql),
			"client_metadata": map[string]any{"jwks": map[string]any{"keys": []jose.JSONWebKey{
				{Key: &encKey.PublicKey, KeyID: "k1", Use: "enc", Algorithm: string(jose.ECDH_ES)}}}},
			"exp": time.Now().Add(time.Minute).Unix(),
		})
		if err != nil {
			http.Error(rw, err.Error(), http.StatusInternalServerError)
			return
		}
		rw.Write([]byte(jwt))
	})
	mux.HandleFunc("POST /response", func(rw http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		f.posted <- r.PostForm
		rw.Write([]byte(`{}`))
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *foreignVerifier) link() string {
	return "openid4vp://?client_id=" + url.QueryEscape(f.signer.ClientID()) + "&request_uri=" + url.QueryEscape(f.srv.URL+"/request")
}

// present runs the wallet against the link over HTTP and returns the
// decrypted vp_token the response_uri received.
func (f *foreignVerifier) present(w wallet.Wallet) map[string][]string {
	f.t.Helper()
	res, err := PresentLink(context.Background(), f.srv.Client(), f.link(), w, Trust{SkipRootTrust: true}, AnswerOptions{})
	if err != nil || res.Status != http.StatusOK {
		f.t.Fatalf("present: %v (HTTP %d)", err, res.Status)
	}
	form := <-f.posted
	jwe, err := jose.ParseEncryptedCompact(form.Get("response"), []jose.KeyAlgorithm{jose.ECDH_ES}, encValues)
	if err != nil {
		f.t.Fatalf("response %q: %v", form, err)
	}
	plain, err := jwe.Decrypt(f.encKey)
	if err != nil {
		f.t.Fatal(err)
	}
	var body struct {
		VPToken map[string][]string `json:"vp_token"`
		State   string              `json:"state"`
	}
	if err := json.Unmarshal(plain, &body); err != nil || body.State != "st-1" {
		f.t.Fatalf("response %s: %v", plain, err)
	}
	return body.VPToken
}

// A query with ids other than frontdoor's, asking a credential_sets choice
// between an mDL and a PID and a subset of claims of each.
const foreignDCQL = `{"credentials":[
 {"id":"license","format":"mso_mdoc","meta":{"doctype_value":"org.iso.18013.5.1.mDL"},
  "claims":[{"path":["org.iso.18013.5.1","family_name"]},{"path":["org.iso.18013.5.1","age_over_18"],"values":[true]},
   {"path":["org.iso.18013.5.1","birth_date"],"values":["1958-03-02"]}]},
 {"id":"my_pid","format":"dc+sd-jwt","meta":{"vct_values":["urn:other:1","urn:eudi:pid:1"]},
  "claims":[{"path":["family_name"]},{"path":["nationality"]}]}],
 "credential_sets":[{"options":[["license"],["my_pid"]]}]}`

func pidWallet(t *testing.T) (wallet.Wallet, jose.JSONWebKey) {
	t.Helper()
	issuerKey, err := wallet.NewKey("ES256")
	if err != nil {
		t.Fatal(err)
	}
	w, err := wallet.Issue(issuerKey, wallet.IssueParams{Issuer: "https://id.example", IssuedAt: time.Now().Add(-time.Minute),
		Claims: map[string]any{"given_name": "Minji", "family_name": "Kim", "birthdate": "1958-03-02", "nationality": "KR"}})
	if err != nil {
		t.Fatal(err)
	}
	return w, issuerKey
}

// fullMdlWallet holds more than any test asks (age_over_18,
// resident_address), so over-disclosure shows.
func fullMdlWallet(t *testing.T) (wallet.Wallet, *mdoc.KeyPair) {
	t.Helper()
	iaca, err := mdoc.NewDemoIACA()
	if err != nil {
		t.Fatal(err)
	}
	return mdlWalletWith(t, iaca, map[string]any{"given_name": "Minji", "family_name": "Kim", "birthdate": "1958-03-02",
		"age_over_18": true, "resident_address": "Seoul"}), iaca
}

func keysOf(m map[string][]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// A PID wallet answers the foreign request under "my_pid" with exactly
// family_name and nationality disclosed, bound to that verifier.
func TestWalletAnswersForeignDCQLWithPID(t *testing.T) {
	f := newForeignVerifier(t, foreignDCQL)
	w, issuerKey := pidWallet(t)
	tok := f.present(w)
	if got := keysOf(tok); !slices.Equal(got, []string{"my_pid"}) || len(tok["my_pid"]) != 1 {
		t.Fatalf("vp_token keys %v, want exactly [my_pid] with one presentation", got)
	}
	p, err := sdjwt.Split(tok["my_pid"][0])
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, raw := range p.Disclosures {
		d, err := sdjwt.ParseDisclosure(raw)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, d.Name)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"family_name", "nationality"}) {
		t.Fatalf("disclosed %v, want exactly [family_name nationality]", names)
	}
	v, err := identity.NewVerifier(identity.VerifierConfig{Audience: f.signer.ClientID(),
		Issuers: []identity.IssuerKeys{{Issuer: "https://id.example", Keys: wallet.PublicSet(issuerKey.Public())}}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := v.Verify(context.Background(), []byte(tok["my_pid"][0]), f.nonce)
	if err != nil {
		t.Fatalf("the foreign verifier refuses the presentation: %v", err)
	}
	if got.Claims["family_name"] != "Kim" || got.Claims["nationality"] != "KR" || got.Claims["given_name"] != nil {
		t.Fatalf("verified claims %v", got.Claims)
	}
}

// An mDL wallet answers the same request under "license" with exactly the
// three asked elements (two under values constraints it meets); the DeviceResponse verifies against that request's
// transcript with exactly those elements requested.
func TestWalletAnswersForeignDCQLWithMDL(t *testing.T) {
	f := newForeignVerifier(t, foreignDCQL)
	w, iaca := fullMdlWallet(t)
	tok := f.present(w)
	if got := keysOf(tok); !slices.Equal(got, []string{"license"}) || len(tok["license"]) != 1 {
		t.Fatalf("vp_token keys %v, want exactly [license] with one presentation", got)
	}
	dr, err := base64.RawURLEncoding.DecodeString(tok["license"][0])
	if err != nil {
		t.Fatal(err)
	}
	thumb, err := (&jose.JSONWebKey{Key: &f.encKey.PublicKey}).Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	roots, err := mdoc.LoadTrustAnchors()
	if err != nil {
		t.Fatal(err)
	}
	roots.AddCert(iaca.Cert)
	res, err := mdoc.Verify(dr, mdoc.VerifyOptions{TrustAnchors: roots, Now: time.Now(),
		Requested:  map[string][]string{mdoc.NamespaceMDL: {"family_name", "age_over_18", "birth_date"}},
		Transcript: mdoc.Transcript{ClientID: f.signer.ClientID(), ResponseURI: f.srv.URL + "/response", Nonce: f.nonce, JWKThumbprint: thumb}})
	if err != nil {
		t.Fatalf("the foreign verifier refuses the DeviceResponse (it refuses any element not asked): %v", err)
	}
	if len(res.Claims) != 3 || res.Claims["family_name"] != "Kim" || res.Claims["age_over_18"] != "true" || res.Claims["birth_date"] != "1958-03-02" {
		t.Fatalf("verified elements %v, want family_name, age_over_18 and birth_date only", res.Claims)
	}
}

// claim_sets are tried in order; the first one the credential holds wins.
func TestWalletPicksFirstAnswerableClaimSet(t *testing.T) {
	w, _ := pidWallet(t)
	r := parsedRequest(t, `{"credentials":[{"id":"who","format":"dc+sd-jwt","meta":{"vct_values":["urn:eudi:pid:1"]},
	  "claims":[{"id":"a","path":["passport_no"]},{"id":"b","path":["given_name"]},{"id":"c","path":["birthdate"]}],
	  "claim_sets":[["a","b"],["b","c"]]}]}`)
	tok, err := r.VPToken(w, AnswerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := sdjwt.Split(tok["who"][0])
	if len(p.Disclosures) != 2 || len(tok) != 1 {
		t.Fatalf("vp_token %v: want one presentation with given_name and birthdate", keysOf(tok))
	}
}

// parsedRequest is a request as the wallet reads it (the same parsing
// ResolveLink and ResolveDC do after the signature checks).
func parsedRequest(t *testing.T, dcql string) WalletRequest {
	t.Helper()
	c, err := parseRequestClaims([]byte(`{"response_type":"vp_token","response_mode":"direct_post","nonce":"n-1","dcql_query":` + dcql + `}`))
	if err != nil {
		t.Fatal(err)
	}
	r := c.walletRequest()
	r.ClientID, r.ResponseURI = "x509_hash:test", "https://other.example/response"
	return r
}

// Each refusal names the query and why the held credential does not fit.
func TestWalletRefusesUnanswerableDCQL(t *testing.T) {
	pid, _ := pidWallet(t)
	mdl, _ := fullMdlWallet(t)
	sdq := func(claims string) string {
		return `{"credentials":[{"id":"my_pid","format":"dc+sd-jwt","meta":{"vct_values":["urn:eudi:pid:1"]},"claims":` + claims + `}]}`
	}
	for _, tc := range []struct {
		name string
		w    wallet.Wallet
		dcql string
		want string
	}{
		{"wrong vct", pid, `{"credentials":[{"id":"my_pid","format":"dc+sd-jwt","meta":{"vct_values":["urn:other:1"]}}]}`,
			`query "my_pid": vct "urn:eudi:pid:1" is not in the asked vct_values ["urn:other:1"]`},
		{"wrong doctype", mdl, `{"credentials":[{"id":"photo","format":"mso_mdoc","meta":{"doctype_value":"org.iso.23220.photoid.1"}}]}`,
			`query "photo": doctype "org.iso.18013.5.1.mDL" is not the asked doctype_value "org.iso.23220.photoid.1"`},
		{"wrong format", pid, `{"credentials":[{"id":"license","format":"mso_mdoc","meta":{"doctype_value":"org.iso.18013.5.1.mDL"}}]}`,
			`query "license": asks for format "mso_mdoc", the wallet holds dc+sd-jwt`},
		{"SD-JWT claim the credential lacks", pid, sdq(`[{"path":["given_name"]},{"path":["passport_no"]}]`),
			`query "my_pid": claim ["passport_no"]: the credential has no such claim`},
		{"mdoc element the credential lacks", mdl,
			`{"credentials":[{"id":"license","format":"mso_mdoc","meta":{"doctype_value":"org.iso.18013.5.1.mDL"},"claims":[{"path":["org.iso.18013.5.1","portrait"]}]}]}`,
			`query "license": claim ["org.iso.18013.5.1" "portrait"]: the credential has no such claim`},
		{"value not among the asked", pid, sdq(`[{"path":["nationality"],"values":["DE","FR"]}]`),
			`query "my_pid": claim ["nationality"]: the credential's value is not one of the asked values`},
		{"nested SD-JWT path", pid, sdq(`[{"path":["address","locality"]}]`),
			`query "my_pid": claim path ["address" "locality"]: this wallet discloses top-level SD-JWT claims only`},
		{"array path", pid, sdq(`[{"path":["nationalities",null]}]`),
			`claim path [nationalities <nil>]: element 1 is <nil>, this wallet answers name paths only`},
		{"trusted_authorities the wallet cannot check", pid,
			`{"credentials":[{"id":"my_pid","format":"dc+sd-jwt","meta":{"vct_values":["urn:eudi:pid:1"]},"trusted_authorities":[{"type":"aki","values":["s9tIpP"]}]}]}`,
			`query "my_pid": trusted_authorities given, and this wallet cannot tell whether its issuer is among them`},
		{"without credential_sets every query is needed", pid,
			`{"credentials":[{"id":"my_pid","format":"dc+sd-jwt","meta":{"vct_values":["urn:eudi:pid:1"]}},{"id":"license","format":"mso_mdoc","meta":{"doctype_value":"org.iso.18013.5.1.mDL"}}]}`,
			`no option of credential set [["my_pid" "license"]] fits): query "license": asks for format "mso_mdoc"`},
		{"required set before an optional one", pid,
			`{"credentials":[{"id":"my_pid","format":"dc+sd-jwt","meta":{"vct_values":["urn:eudi:pid:1"]}},{"id":"license","format":"mso_mdoc","meta":{"doctype_value":"org.iso.18013.5.1.mDL"}}],
			 "credential_sets":[{"options":[["my_pid"]],"required":false},{"options":[["license"]]}]}`,
			`no option of credential set [["license"]] fits): query "license": asks for format "mso_mdoc"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := parsedRequest(t, tc.dcql).VPToken(tc.w, AnswerOptions{})
			if !errors.Is(err, ErrUnanswerable) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, %v\nwant ErrUnanswerable naming %s", keysOf(tok), err, tc.want)
			}
		})
	}
}

// An unanswerable request posts nothing: PresentLink stops at the wallet.
func TestPresentLinkRefusesBeforePosting(t *testing.T) {
	f := newForeignVerifier(t, `{"credentials":[{"id":"my_pid","format":"dc+sd-jwt","meta":{"vct_values":["urn:other:1"]}}]}`)
	w, _ := pidWallet(t)
	_, err := PresentLink(context.Background(), f.srv.Client(), f.link(), w, Trust{SkipRootTrust: true}, AnswerOptions{})
	if !errors.Is(err, ErrUnanswerable) {
		t.Fatalf("err %v, want ErrUnanswerable", err)
	}
	select {
	case form := <-f.posted:
		t.Fatalf("posted %v", form)
	default:
	}
}

// An optional set the credential does not fit is left out; the answer
// carries the required one only.
func TestWalletSkipsOptionalCredentialSet(t *testing.T) {
	w, _ := pidWallet(t)
	r := parsedRequest(t, `{"credentials":[{"id":"my_pid","format":"dc+sd-jwt","meta":{"vct_values":["urn:eudi:pid:1"]},"claims":[{"path":["given_name"]}]},
	  {"id":"license","format":"mso_mdoc","meta":{"doctype_value":"org.iso.18013.5.1.mDL"}}],
	  "credential_sets":[{"options":[["my_pid"]]},{"options":[["license"]],"required":false}]}`)
	tok, err := r.VPToken(w, AnswerOptions{})
	if err != nil || !slices.Equal(keysOf(tok), []string{"my_pid"}) {
		t.Fatalf("vp_token %v, %v: want my_pid only", keysOf(tok), err)
	}
}

// frontdoor's own request (ids pid and mdl, CONTRACT.md) is still
// answered: a PID under "pid" with the three asked claims (nationality
// withheld), an mDL under "mdl" with the three asked elements
// (resident_address withheld), and frontdoor's verifier accepts both.
func TestWalletAnswersFrontdoorRequest(t *testing.T) {
	pid, issuerKey := pidWallet(t)
	mdl, iaca := fullMdlWallet(t)
	e := newMdlEnv(t, []*x509.Certificate{iaca.Cert},
		identity.IssuerKeys{Issuer: "https://id.example", Keys: wallet.PublicSet(issuerKey.Public())})
	for _, tc := range []struct {
		w    wallet.Wallet
		key  string
		want map[string]string
	}{
		{pid, QueryPID, map[string]string{"given_name": "Minji", "family_name": "Kim", "birthdate": "1958-03-02"}},
		{mdl, QueryMDL, map[string]string{"given_name": "Minji", "family_name": "Kim", "birthdate": "1958-03-02"}},
	} {
		sess, req := e.open()
		tok, err := req.VPToken(tc.w, AnswerOptions{})
		if err != nil || !slices.Equal(keysOf(tok), []string{tc.key}) {
			t.Fatalf("vp_token %v, %v: want exactly [%s]", keysOf(tok), err, tc.key)
		}
		if status, body := e.answer(req, tc.w, AnswerOptions{}); status != http.StatusOK {
			t.Fatalf("%s: HTTP %d %+v", tc.key, status, body)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		claims, err := e.svc.Wait(ctx, sess.ID)
		cancel()
		if err != nil || len(claims) != len(tc.want) {
			t.Fatalf("%s: claims %v, %v; want %v", tc.key, claims, err, tc.want)
		}
		for k, v := range tc.want {
			if claims[k] != v {
				t.Fatalf("%s: claims %v, want %v", tc.key, claims, tc.want)
			}
		}
	}
}

// Over the Digital Credentials API the same reading applies: an unsigned
// request with foreign ids is answered under "my_pid", bound to the origin.
func TestDCAPIWalletAnswersForeignDCQL(t *testing.T) {
	w, issuerKey := pidWallet(t)
	data := `{"response_type":"vp_token","response_mode":"dc_api","nonce":"n-dc","dcql_query":` + foreignDCQL + `}`
	wr, err := ResolveDC(DCRequest{Protocol: ProtocolUnsigned, Data: json.RawMessage(data)}, "https://other.example", Trust{})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := wr.AnswerDC(w, AnswerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var resp DCResponse
	var got struct {
		VPToken map[string][]string `json:"vp_token"`
	}
	if err := json.Unmarshal(raw, &resp); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(resp.Data, &got); err != nil || !slices.Equal(keysOf(got.VPToken), []string{"my_pid"}) {
		t.Fatalf("answer %s, %v: want vp_token keyed my_pid only", resp.Data, err)
	}
	v, err := identity.NewVerifier(identity.VerifierConfig{Audience: OriginAudience("https://other.example"),
		Issuers: []identity.IssuerKeys{{Issuer: "https://id.example", Keys: wallet.PublicSet(issuerKey.Public())}}})
	if err != nil {
		t.Fatal(err)
	}
	ver, err := v.Verify(context.Background(), []byte(got.VPToken["my_pid"][0]), "n-dc")
	if err != nil || len(ver.Claims) == 0 || ver.Claims["family_name"] != "Kim" || ver.Claims["given_name"] != nil {
		t.Fatalf("verified %v, %v: want family_name and nationality only", ver.Claims, err)
	}
}
