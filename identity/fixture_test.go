package identity

import (
	"context"
	"encoding/json"
	"maps"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/frontdoor-project/frontdoor/identity/sdjwt"
	"github.com/frontdoor-project/frontdoor/identity/wallet"
)

const (
	testIss = "https://id.example"
	testAud = "https://frontdoor.example"
	testVCT = "urn:eudi:pid:1"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fixture is a Service with one trusted issuer and a holder, plus the
// audit entries and metric observations it produced.
type fixture struct {
	t      *testing.T
	alg    string
	issuer jose.JSONWebKey
	holder jose.JSONWebKey
	clock  *clock
	svc    *Service

	mu       sync.Mutex
	audits   []AuditEntry
	observed []string
}

func newFixture(t *testing.T, alg string, tweak ...func(*ServiceConfig)) *fixture {
	t.Helper()
	f := &fixture{t: t, alg: alg, clock: &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}}
	f.issuer = mustKey(t, alg)
	f.holder = mustKey(t, alg)
	cfg := ServiceConfig{
		VerifierID: testAud,
		Issuers:    []IssuerKeys{{Issuer: testIss, Keys: wallet.PublicSet(f.issuer)}},
		Clock:      f.clock.Now,
		Audit: func(e AuditEntry) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.audits = append(f.audits, e)
		},
		Observe: func(method, result string) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.observed = append(f.observed, method+"/"+result)
		},
	}
	for _, tw := range tweak {
		tw(&cfg)
	}
	svc, err := NewService(cfg)
	if err != nil {
		t.Fatalf("NewService: %v", err)
	}
	f.svc = svc
	return f
}

func mustKey(t testing.TB, alg string) jose.JSONWebKey {
	t.Helper()
	k, err := wallet.NewKey(alg)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// pres is a presentation under construction: every part can be broken on
// its own before encode signs and joins it.
type pres struct {
	typ         string
	alg         jose.SignatureAlgorithm // issuer JWT alg; "" = from the key
	issuerKey   any                     // signing key of the issuer JWT
	kid         string
	crit        string // a critical header extension the verifier does not know
	payload     map[string]any
	disclosures []string
	noKB        bool
	kbTyp       string
	kbAlg       jose.SignatureAlgorithm
	kbKey       any
	kbClaims    map[string]any
	// kbDisclosures, when set, are what sd_hash covers (instead of disclosures).
	kbDisclosures []string
}

// valid is a correct presentation for sess revealing all three claims.
func (f *fixture) valid(sess Session) *pres {
	f.t.Helper()
	p := &pres{
		typ:       sdjwt.TypVC,
		issuerKey: f.issuer.Key,
		kid:       f.issuer.KeyID,
		payload: map[string]any{
			"iss": testIss,
			"vct": testVCT,
			"iat": f.clock.Now().Add(-time.Hour).Unix(),
			"exp": f.clock.Now().Add(24 * time.Hour).Unix(),
			"cnf": map[string]any{"jwk": f.holder.Public()},
		},
		kbTyp: sdjwt.TypKB,
		kbKey: f.holder.Key,
		kbClaims: map[string]any{
			"iat":   f.clock.Now().Unix(),
			"aud":   sess.Aud,
			"nonce": sess.Nonce,
		},
	}
	for _, c := range [][2]string{{"given_name", "Minji"}, {"family_name", "Kim"}, {"birthdate", "1990-05-17"}} {
		p.disclose(f.t, c[0], c[1])
	}
	p.payload["_sd"] = append(p.payload["_sd"].([]any), decoy(f.t))
	p.payload["_sd_alg"] = "sha-256"
	return p
}

// disclose adds a top-level disclosure and its digest.
func (p *pres) disclose(t *testing.T, name string, value any) sdjwt.Disclosure {
	t.Helper()
	d, err := sdjwt.NewDisclosure(name, value)
	if err != nil {
		t.Fatal(err)
	}
	sd, _ := p.payload["_sd"].([]any)
	p.payload["_sd"] = append(sd, d.Digest)
	p.disclosures = append(p.disclosures, d.Raw)
	return d
}

func decoy(t *testing.T) string {
	d, err := sdjwt.NewDisclosure("decoy", 1)
	if err != nil {
		t.Fatal(err)
	}
	return d.Digest
}

func sign(t *testing.T, alg jose.SignatureAlgorithm, key any, typ, kid string, payload any, crit ...string) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType(jose.ContentType(typ))
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	for _, c := range crit {
		opts = opts.WithCritical(c).WithHeader(jose.HeaderKey(c), true)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatalf("signer %s: %v", alg, err)
	}
	body, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(body)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func algOf(t *testing.T, key any) jose.SignatureAlgorithm {
	t.Helper()
	alg, err := sdjwt.AlgFor(jose.JSONWebKey{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	return alg
}

func (p *pres) encode(t *testing.T) string {
	t.Helper()
	alg := p.alg
	if alg == "" {
		alg = algOf(t, p.issuerKey)
	}
	var crit []string
	if p.crit != "" {
		crit = append(crit, p.crit)
	}
	jwt := sign(t, alg, p.issuerKey, p.typ, p.kid, p.payload, crit...)
	head := sdjwt.Join(jwt, p.disclosures)
	if p.noKB {
		return head
	}
	covered := head
	if p.kbDisclosures != nil {
		covered = sdjwt.Join(jwt, p.kbDisclosures)
	}
	claims := maps.Clone(p.kbClaims)
	if _, set := claims["sd_hash"]; !set {
		claims["sd_hash"] = sdjwt.Hash(covered)
	}
	kbAlg := p.kbAlg
	if kbAlg == "" {
		kbAlg = algOf(t, p.kbKey)
	}
	return head + sign(t, kbAlg, p.kbKey, p.kbTyp, "", claims)
}

// present opens a session, builds a presentation with break applied, and
// presents it.
func (f *fixture) present(brk func(*pres)) (Claims, error) {
	f.t.Helper()
	sess, err := f.svc.NewSession("call-1")
	if err != nil {
		f.t.Fatal(err)
	}
	p := f.valid(sess)
	if brk != nil {
		brk(p)
	}
	return f.svc.Present(context.Background(), sess.ID, []byte(p.encode(f.t)), MethodWeb)
}

func wantRefusal(t *testing.T, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted; want refusal %q", code)
	}
	r, ok := AsRefusal(err)
	if !ok {
		t.Fatalf("error %v is not a *Refusal; want %q", err, code)
	}
	if r.Code != code {
		t.Fatalf("refused with %q (%s); want %q", r.Code, r.Detail, code)
	}
	if r.Detail == "" {
		t.Fatalf("refusal %q has no detail", code)
	}
}
