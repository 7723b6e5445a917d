package openid4vp

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/identity"
	"github.com/frontdoor-project/frontdoor/identity/wallet"
)

func newTestVerifier(t testing.TB) (*Verifier, identity.Session) {
	t.Helper()
	issuerKey, err := wallet.NewKey("ES256")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := identity.NewService(identity.ServiceConfig{VerifierID: "https://frontdoor.example",
		Issuers: []identity.IssuerKeys{{Issuer: "https://id.example", Keys: wallet.PublicSet(issuerKey.Public())}}})
	if err != nil {
		t.Fatal(err)
	}
	chain, priv := testChain(t)
	v, err := New(Config{Service: svc, PublicURL: "https://fd.example/", Chain: chain, Key: priv, VCTs: []string{"urn:eudi:pid:1"}})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := svc.NewSession("")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Open(sess); err != nil {
		t.Fatal(err)
	}
	return v, sess
}

func segment(t *testing.T, jwt string, i int) map[string]any {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.Split(jwt, ".")[i])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// The request object as the contract spells it, field by field.
func TestRequestObjectShape(t *testing.T) {
	v, sess := newTestVerifier(t)
	jwt, err := v.RequestObject(sess.ID)
	if err != nil {
		t.Fatal(err)
	}
	h := segment(t, string(jwt), 0)
	x5c, _ := h["x5c"].([]any)
	if h["typ"] != "oauth-authz-req+jwt" || h["alg"] != "ES256" || len(x5c) != 1 {
		t.Fatalf("header %v (x5c must be the chain without its root)", h)
	}
	sum := sha256.Sum256(v.cfg.Chain[0].Raw)
	if want := "x509_hash:" + base64.RawURLEncoding.EncodeToString(sum[:]); v.ClientID() != want {
		t.Fatalf("client_id %q, want %q", v.ClientID(), want)
	}
	c := segment(t, string(jwt), 1)
	want := map[string]any{"client_id": v.ClientID(), "response_type": "vp_token", "response_mode": "direct_post.jwt",
		"response_uri": "https://fd.example/api/v1/identity/sessions/" + url.PathEscape(sess.ID) + "/response",
		"nonce":        sess.Nonce, "aud": "https://self-issued.me/v2"}
	for k, w := range want {
		if c[k] != w {
			t.Errorf("%s = %v, want %v", k, c[k], w)
		}
	}
	if c["state"] == "" || c["iat"] == nil || c["exp"] == nil {
		t.Errorf("state/iat/exp missing: %v", c)
	}
	dcql, _ := json.Marshal(c["dcql_query"])
	wantDCQL := `{"credential_sets":[{"options":[["pid"],["mdl"]]}],"credentials":[` +
		`{"claims":[{"path":["given_name"]},{"path":["family_name"]},{"path":["birthdate"]}],"format":"dc+sd-jwt","id":"pid","meta":{"vct_values":["urn:eudi:pid:1"]}},` +
		`{"claims":[{"path":["org.iso.18013.5.1","given_name"]},{"path":["org.iso.18013.5.1","family_name"]},{"path":["org.iso.18013.5.1","birth_date"]}],"format":"mso_mdoc","id":"mdl","meta":{"doctype_value":"org.iso.18013.5.1.mDL"}}]}`
	if string(dcql) != wantDCQL {
		t.Errorf("dcql_query\n%s\nwant\n%s", dcql, wantDCQL)
	}
	md, _ := c["client_metadata"].(map[string]any)
	keys := md["jwks"].(map[string]any)["keys"].([]any)
	k := keys[0].(map[string]any)
	if len(keys) != 1 || k["kty"] != "EC" || k["crv"] != "P-256" || k["use"] != "enc" || k["alg"] != "ECDH-ES" || k["kid"] == "" || k["d"] != nil {
		t.Errorf("jwks %v", keys)
	}
	if enc, _ := json.Marshal(md["encrypted_response_enc_values_supported"]); string(enc) != `["A128GCM","A256GCM"]` {
		t.Errorf("enc values %s", enc)
	}
	if _, ok := md["vp_formats_supported"].(map[string]any)["dc+sd-jwt"]; !ok {
		t.Errorf("vp_formats_supported %v", md["vp_formats_supported"])
	}
	// Each request has its own encryption key.
	sess2, _ := v.cfg.Service.NewSession("")
	v.Open(sess2)
	jwt2, _ := v.RequestObject(sess2.ID)
	k2 := segment(t, string(jwt2), 1)["client_metadata"].(map[string]any)["jwks"].(map[string]any)["keys"].([]any)[0].(map[string]any)
	if k2["x"] == k["x"] {
		t.Error("two requests share an encryption key")
	}
	if _, err := v.RequestObject("unknown"); err == nil {
		t.Error("request object for an unknown session")
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	v, _ := newTestVerifier(t)
	good := v.cfg
	for name, tweak := range map[string]func(*Config){
		"no service":     func(c *Config) { c.Service = nil },
		"bad public url": func(c *Config) { c.PublicURL = "ftp://x" },
		"no key":         func(c *Config) { c.Key = nil },
		"bad mode":       func(c *Config) { c.ResponseMode = "fragment" },
		"key not the leaf's": func(c *Config) {
			other, _ := newTestVerifier(t)
			c.Key = other.cfg.Key
		},
	} {
		c := good
		tweak(&c)
		if _, err := New(c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// FuzzResponse feeds arbitrary response forms to the envelope decoder: it
// must refuse, never panic.
func FuzzResponse(f *testing.F) {
	v, sess := newTestVerifier(f)
	r, _ := v.lookup(sess.ID)
	f.Add("response", "eyJhbGciOiJFQ0RILUVTIiwiZW5jIjoiQTEyOEdDTSJ9..a.b.c")
	f.Add("vp_token", `{"pid":["a~b~"]}`)
	f.Add("error", "access_denied")
	f.Fuzz(func(t *testing.T, key, value string) {
		a, ref := v.decode(r, url.Values{key: {value}, "state": {r.state}})
		if ref == nil {
			if _, err := v.check(t.Context(), sess, a); err == nil {
				t.Fatalf("accepted %q=%q", key, value)
			}
		}
	})
}

// testChain makes a demo verifier chain in a temp dir and loads it back, the
// way serve loads identity.verifier_cert_file and verifier_key_file.
func testChain(t testing.TB) ([]*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	chain, priv, _, err := DemoVerifier(t.TempDir(), "test verifier", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return chain, priv
}
