// Command fdwallet is a citizen's ID wallet and a test issuer for frontdoor
// demos and tests: it makes issuer keys, issues SD-JWT VCs (or ISO mdocs)
// into wallet files, presents them to a frontdoor server, and signs status
// lists.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/frontdoor-project/frontdoor/identity/openid4vp"
	"github.com/frontdoor-project/frontdoor/identity/sdjwt"
	"github.com/frontdoor-project/frontdoor/identity/statuslist"
	"github.com/frontdoor-project/frontdoor/identity/wallet"
)

const usage = `usage: fdwallet <command> [flags]

commands:
  issuer-keygen -alg ES256|EdDSA -out DIR
      writes DIR/issuer.private.jwk.json (keep secret) and DIR/issuer.jwks.json
  issue -issuer-key FILE -iss URL -claims JSON [-vct TYPE] [-days N]
        [-status-uri URL -status-idx N] [-holder-alg ES256|EdDSA] -out WALLET
      issues a credential bound to a new holder key, both stored in WALLET
  issue -format mso_mdoc -issuer-key DS.key -issuer-cert DS.pem -claims JSON [-days N] -out WALLET
      issues an ISO 18013-5 mDL (birthdate becomes birth_date) signed by a document signer
  mdoc-keygen [-iaca-cert PEM -iaca-key PEM] -out DIR
      writes a demo IACA root (DIR/iaca.pem, DIR/iaca.key) and a document signer it issued
      (DIR/ds.pem, DIR/ds.key); iaca.pem is what identity.mdoc_trust_anchors lists.
      With -iaca-cert/-iaca-key the signer is issued by that IACA instead
  present -wallet FILE -server URL (-code DIGITS | -session ID -nonce N -aud A)
        [-disclose given_name,family_name,birthdate]
      answers a verification session; prints the server's JSON answer and
      exits 1 unless verified
  present -wallet FILE -link 'openid4vp://?client_id=…&request_uri=…'
        (-trust-root PEM | -insecure-skip-root-trust) [-disclose names]
      answers an OpenID4VP 1.0 request: checks the request object's
      signature, x5c chain and x509_hash client_id, then posts the
      presentation (direct_post.jwt: encrypted, ECDH-ES + A128GCM). It answers
      the DCQL credential query its credential fits (format, vct_values or
      doctype_value, claims), under that query's id, disclosing exactly the
      asked claims (-disclose overrides the SD-JWT names); when none fits it
      posts nothing and says why per query
  verifier-cert -out-cert PEM -out-key PEM -out-root PEM [-name CN]
      makes a demo root and an OpenID4VP verifier certificate it signs
      (kept if all three files exist)
  status-list -issuer-key FILE -iss URL -uri URL [-size N] [-bits 1|2|4|8]
        [-revoked 1,5] [-suspended 7] [-ttl SECONDS] -out FILE
      signs a Status List Token (revoked = 1, suspended = 2, others valid)
`

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		var exit exitError
		if errors.As(err, &exit) {
			os.Exit(int(exit))
		}
		fmt.Fprintln(os.Stderr, "fdwallet:", err)
		os.Exit(2)
	}
}

// exitError is a quiet failure: what went wrong was already printed.
type exitError int

func (e exitError) Error() string { return "exit " + strconv.Itoa(int(e)) }

func run(args []string, stdout io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return exitError(2)
	}
	cmds := map[string]func([]string, io.Writer) error{
		"issuer-keygen": issuerKeygen,
		"issue":         issue,
		"mdoc-keygen":   mdocKeygen,
		"present":       present,
		"status-list":   statusList,
		"verifier-cert": verifierCert,
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprint(os.Stderr, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
	return cmd(args[1:], stdout)
}

func issuerKeygen(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("issuer-keygen", flag.ContinueOnError)
	alg := fs.String("alg", "ES256", "ES256 or EdDSA")
	out := fs.String("out", "", "directory for the key files")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("issuer-keygen: -out is required")
	}
	key, err := wallet.NewKey(*alg)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("issuer-keygen: %w", err)
	}
	privPath := filepath.Join(*out, "issuer.private.jwk.json")
	pubPath := filepath.Join(*out, "issuer.jwks.json")
	if err := wallet.WriteJSON(privPath, key, 0o600); err != nil {
		return err
	}
	if err := wallet.WriteJSON(pubPath, wallet.PublicSet(key), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "private key: %s\npublic JWKS: %s\nkid: %s\n", privPath, pubPath, key.KeyID)
	return nil
}

func issue(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("issue", flag.ContinueOnError)
	keyPath := fs.String("issuer-key", "", "issuer private JWK file")
	iss := fs.String("iss", "", "issuer identifier (URL)")
	claimsJSON := fs.String("claims", "", `claims as a JSON object, e.g. {"given_name":"Minji"}`)
	vct := fs.String("vct", wallet.DefaultVCT, "credential type")
	days := fs.Int("days", 365, "validity in days")
	statusURI := fs.String("status-uri", "", "status list URL")
	statusIdx := fs.Int("status-idx", -1, "index in the status list")
	holderAlg := fs.String("holder-alg", "ES256", "holder key algorithm: ES256 or EdDSA")
	format := fs.String("format", wallet.FormatSDJWT, "credential format: dc+sd-jwt or mso_mdoc")
	certPath := fs.String("issuer-cert", "", "document signer certificate PEM (mso_mdoc)")
	out := fs.String("out", "", "wallet file to write")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch *format {
	case wallet.FormatSDJWT:
	case wallet.FormatMdoc:
		return issueMdoc(*keyPath, *certPath, *iss, *claimsJSON, *days, *out, stdout)
	default:
		return fmt.Errorf("issue: -format %q, want %s or %s", *format, wallet.FormatSDJWT, wallet.FormatMdoc)
	}
	if *keyPath == "" || *iss == "" || *claimsJSON == "" || *out == "" {
		return errors.New("issue: -issuer-key, -iss, -claims and -out are required")
	}
	key, err := wallet.LoadPrivateKey(*keyPath)
	if err != nil {
		return err
	}
	var claims map[string]any
	if err := json.Unmarshal([]byte(*claimsJSON), &claims); err != nil || claims == nil {
		return fmt.Errorf("issue: -claims must be a JSON object: %v", err)
	}
	var status *sdjwt.StatusRef
	if (*statusURI == "") != (*statusIdx < 0) {
		return errors.New("issue: -status-uri and -status-idx go together")
	}
	if *statusURI != "" {
		status = &sdjwt.StatusRef{URI: *statusURI, Idx: *statusIdx}
	}
	w, err := wallet.Issue(key, wallet.IssueParams{
		Issuer: *iss, VCT: *vct, Claims: claims, Status: status, IssuedAt: time.Now(),
		Validity: time.Duration(*days) * 24 * time.Hour, HolderAlg: *holderAlg,
	})
	if err != nil {
		return err
	}
	if err := w.Save(*out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wallet: %s (issuer %s, vct %s)\n", *out, w.Issuer, w.VCT)
	return nil
}

func present(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("present", flag.ContinueOnError)
	walletPath := fs.String("wallet", "", "wallet file")
	server := fs.String("server", "http://127.0.0.1:8080", "frontdoor base URL")
	code := fs.String("code", "", "the code read out on the phone")
	session := fs.String("session", "", "session id (instead of -code)")
	nonce := fs.String("nonce", "", "session nonce (with -session)")
	aud := fs.String("aud", "", "verifier id (with -session)")
	disclose := fs.String("disclose", "", "claims to reveal, comma separated (default: what the session or the DCQL query asks, else given_name,family_name,birthdate)")
	timeout := fs.Duration("timeout", 15*time.Second, "HTTP timeout")
	link := fs.String("link", "", "an openid4vp:// link (wallet_url) to answer instead of a session")
	trustRoot := fs.String("trust-root", "", "PEM root certificate the verifier must chain to (with -link)")
	skipTrust := fs.Bool("insecure-skip-root-trust", false, "with -link: accept any verifier certificate chain (demo only)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *link != "" {
		return presentLink(*walletPath, *link, *trustRoot, *skipTrust, *disclose, *timeout, stdout)
	}
	if *walletPath == "" || (*code == "") == (*session == "") {
		return errors.New("present: -wallet and exactly one of -code or -session are required")
	}
	w, err := wallet.Load(*walletPath)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	client := wallet.Client{HTTP: &http.Client{Timeout: *timeout}, Server: *server}
	req := wallet.Request{ID: *session, Nonce: *nonce, Aud: *aud}
	if *code != "" {
		if req, err = client.Lookup(ctx, *code); err != nil {
			return err
		}
	} else if *nonce == "" || *aud == "" {
		return errors.New("present: -session needs -nonce and -aud")
	}
	names := req.Claims
	if *disclose != "" {
		names = strings.Split(*disclose, ",")
	}
	if len(names) == 0 {
		names = []string{"given_name", "family_name", "birthdate"}
	}
	pres, err := w.Present(names, req.Nonce, req.Aud, time.Now())
	if err != nil {
		return err
	}
	ans, err := client.Submit(ctx, req.ID, pres)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, string(ans.Body))
	if !ans.Verified {
		return exitError(1)
	}
	return nil
}

func statusList(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("status-list", flag.ContinueOnError)
	keyPath := fs.String("issuer-key", "", "issuer private JWK file")
	iss := fs.String("iss", "", "issuer identifier (URL)")
	uri := fs.String("uri", "", "the URL the token will be served at (its sub)")
	size := fs.Int("size", 1024, "number of entries")
	bits := fs.Int("bits", 2, "bits per entry: 1, 2, 4 or 8")
	revoked := fs.String("revoked", "", "comma-separated indexes with status 1 (invalid)")
	suspended := fs.String("suspended", "", "comma-separated indexes with status 2 (suspended)")
	ttl := fs.Int("ttl", 300, "seconds a verifier may cache the token")
	out := fs.String("out", "", "token file to write")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *keyPath == "" || *uri == "" || *out == "" {
		return errors.New("status-list: -issuer-key, -uri and -out are required")
	}
	key, err := wallet.LoadPrivateKey(*keyPath)
	if err != nil {
		return err
	}
	statuses := make([]uint8, *size)
	for _, set := range []struct {
		list  string
		value uint8
	}{{*revoked, statuslist.Invalid}, {*suspended, statuslist.Suspended}} {
		if err := mark(statuses, set.list, set.value); err != nil {
			return fmt.Errorf("status-list: %w", err)
		}
	}
	tok, err := statuslist.SignToken(key, statuslist.TokenParams{
		Issuer: *iss, URI: *uri, Bits: *bits, Statuses: statuses, IssuedAt: time.Now(), TTL: time.Duration(*ttl) * time.Second,
	})
	if err != nil {
		return fmt.Errorf("status-list: %w", err)
	}
	if err := os.WriteFile(*out, []byte(tok), 0o644); err != nil {
		return fmt.Errorf("status-list: %w", err)
	}
	fmt.Fprintf(stdout, "status list token: %s (%d entries, serve it at %s)\n", *out, *size, *uri)
	return nil
}

func mark(statuses []uint8, list string, value uint8) error {
	if list == "" {
		return nil
	}
	for _, f := range strings.Split(list, ",") {
		i, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || i < 0 || i >= len(statuses) {
			return fmt.Errorf("index %q is not in 0..%d", f, len(statuses)-1)
		}
		statuses[i] = value
	}
	return nil
}

func presentLink(walletPath, link, trustRoot string, skipTrust bool, disclose string, timeout time.Duration, stdout io.Writer) error {
	if walletPath == "" {
		return errors.New("present: -link needs -wallet")
	}
	w, err := wallet.Load(walletPath)
	if err != nil {
		return err
	}
	trust, err := openid4vp.LoadTrust(trustRoot, skipTrust)
	if err != nil {
		return fmt.Errorf("present: %w (-trust-root or -insecure-skip-root-trust)", err)
	}
	var o openid4vp.AnswerOptions
	if disclose != "" {
		o.Disclose = strings.Split(disclose, ",")
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	res, err := openid4vp.PresentLink(ctx, &http.Client{Timeout: timeout}, link, w, trust, o)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, strings.TrimSpace(string(res.Body)))
	if res.Status != http.StatusOK {
		return exitError(1)
	}
	return nil
}

func verifierCert(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("verifier-cert", flag.ContinueOnError)
	cert := fs.String("out-cert", "", "verifier certificate chain (leaf, root)")
	key := fs.String("out-key", "", "verifier private key")
	root := fs.String("out-root", "", "the demo root alone, for wallets to trust")
	name := fs.String("name", "frontdoor demo verifier (DEMO ONLY)", "the certificate's common name")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cert == "" || *key == "" || *root == "" {
		return errors.New("verifier-cert: -out-cert, -out-key and -out-root are required")
	}
	if err := openid4vp.DemoChain(*cert, *key, *root, *name, time.Now()); err != nil {
		return err
	}
	chain, err := openid4vp.LoadChain(*cert)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, openid4vp.ClientID(chain[0]))
	return nil
}
