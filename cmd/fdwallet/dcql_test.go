package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/frontdoor-project/frontdoor/identity/openid4vp"
	"github.com/frontdoor-project/frontdoor/identity/sdjwt"
	"github.com/frontdoor-project/frontdoor/identity/wallet"
)

// otherVerifier serves a signed direct_post request with its own DCQL
// query, as a verifier other than frontdoor would, and keeps what the
// wallet posts.
func otherVerifier(t *testing.T, dcql string) (link, root string, posted chan url.Values) {
	t.Helper()
	chain, priv, root, err := openid4vp.DemoVerifier(t.TempDir(), "other verifier", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: priv}, (&jose.SignerOptions{}).
		WithType(openid4vp.RequestObjectType).WithHeader("x5c", []string{base64.StdEncoding.EncodeToString(chain[0].Raw)}))
	if err != nil {
		t.Fatal(err)
	}
	clientID := openid4vp.ClientID(chain[0])
	posted = make(chan url.Values, 1)
	var srv *httptest.Server
	mux := http.NewServeMux()
	mux.HandleFunc("GET /request", func(rw http.ResponseWriter, r *http.Request) {
		payload, _ := json.Marshal(map[string]any{"client_id": clientID, "response_type": "vp_token",
			"response_mode": openid4vp.ModeDirectPost, "response_uri": srv.URL + "/response", "nonce": "n-other",
			"state": "s-other", "dcql_query": json.RawMessage(dcql)})
		jws, err := signer.Sign(payload)
		if err != nil {
			http.Error(rw, err.Error(), http.StatusInternalServerError)
			return
		}
		s, _ := jws.CompactSerialize()
		rw.Write([]byte(s))
	})
	mux.HandleFunc("POST /response", func(rw http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		posted <- r.PostForm
		rw.Write([]byte(`{}`))
	})
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	link = "openid4vp://?client_id=" + url.QueryEscape(clientID) + "&request_uri=" + url.QueryEscape(srv.URL+"/request")
	return link, root, posted
}

// pidWalletFile is a PID wallet file from a new demo issuer key.
func pidWalletFile(t *testing.T) (string, jose.JSONWebKey) {
	t.Helper()
	issuerKey, err := wallet.NewKey("ES256")
	if err != nil {
		t.Fatal(err)
	}
	w, err := wallet.Issue(issuerKey, wallet.IssueParams{Issuer: demoIss, IssuedAt: time.Now().Add(-time.Minute),
		Claims: map[string]any{"given_name": "Minji", "family_name": "Kim", "birthdate": "1958-03-02"}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "w.json")
	if err := w.Save(path); err != nil {
		t.Fatal(err)
	}
	return path, issuerKey
}

func walletFile(t *testing.T) string {
	path, _ := pidWalletFile(t)
	return path
}

// fdwallet present -link answers another verifier's query id ("my_pid")
// with exactly the one claim it asks.
func TestPresentLinkForeignDCQL(t *testing.T) {
	link, root, posted := otherVerifier(t, `{"credentials":[{"id":"my_pid","format":"dc+sd-jwt",
	  "meta":{"vct_values":["urn:eudi:pid:1"]},"claims":[{"path":["family_name"]}]}]}`)
	var out bytes.Buffer
	if err := run([]string{"present", "-wallet", walletFile(t), "-link", link, "-trust-root", root}, &out); err != nil {
		t.Fatalf("present -link: %v (%s)", err, out.String())
	}
	form := <-posted
	var tok map[string][]string
	if err := json.Unmarshal([]byte(form.Get("vp_token")), &tok); err != nil || len(tok) != 1 || len(tok["my_pid"]) != 1 {
		t.Fatalf("vp_token %q: %v, want {\"my_pid\":[…]}", form.Get("vp_token"), err)
	}
	p, err := sdjwt.Split(tok["my_pid"][0])
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, raw := range p.Disclosures {
		d, _ := sdjwt.ParseDisclosure(raw)
		names = append(names, d.Name)
	}
	if !slices.Equal(names, []string{"family_name"}) || form.Get("state") != "s-other" {
		t.Fatalf("disclosed %v, state %q: want family_name only, state s-other", names, form.Get("state"))
	}
}

// A query the wallet cannot answer stops fdwallet with the reason, and
// nothing is posted.
func TestPresentLinkForeignDCQLRefused(t *testing.T) {
	link, root, posted := otherVerifier(t, `{"credentials":[{"id":"my_pid","format":"dc+sd-jwt","meta":{"vct_values":["urn:other:1"]}}]}`)
	var out bytes.Buffer
	err := run([]string{"present", "-wallet", walletFile(t), "-link", link, "-trust-root", root}, &out)
	if err == nil || !strings.Contains(err.Error(), `query "my_pid": vct "urn:eudi:pid:1" is not in the asked vct_values ["urn:other:1"]`) {
		t.Fatalf("err %v, want the vct refusal", err)
	}
	select {
	case form := <-posted:
		t.Fatalf("posted %v", form)
	default:
	}
}
