package interop

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const adminToken = "interop-admin-token"

// frontdoorConfig is a whole node with OpenID4VP on, trusting the demo
// SD-JWT issuer and one IACA; the HTTP port is fixed because public_url
// (where wallets are sent) must name it.
const frontdoorConfig = `
listen: { sip: "127.0.0.1:%d", http: "127.0.0.1:%d" }
media: { rtp_ports: "%d-%d", advertise_ip: 127.0.0.1, rtp_timeout_seconds: 10 }
number: "110"
api: { admin_token: %q }
identity:
  mode: offer
  verifier_id: https://frontdoor.example
  wait_seconds: 20
  issuers: [{ iss: "https://id.example", jwks_file: %q }]
  public_url: %q
  verifier_cert_file: %q
  verifier_key_file: %q
  response_mode: direct_post.jwt
  mdoc_trust_anchors: [%q]
  push_url: %q
agencies:
  - { id: tax, name: National Tax Service, digit: "1", numbers: ["126"], queue: { ring_timeout_seconds: 3, wrapup_seconds: 0 } }
agents:
  - { id: "1001", name: Kim Minji, password: "pw1001", role: agent, skills: { tax: 8 } }
`

// frontdoorNode is `frontdoor serve` running as a child process.
type frontdoorNode struct {
	URL string // HTTP
	SIP string // host:port, UDP and TCP
	mu  sync.Mutex
	log strings.Builder
}

// startFrontdoor builds cmd/frontdoor and runs `frontdoor serve` with the
// verifier chain and IACA given (and a wallet push webhook unless
// pushURL is empty); it returns once the node printed its
// listeners (they are bound before that line). The process group is killed
// at cleanup.
func startFrontdoor(t *testing.T, ctx context.Context, verifierCert, verifierKey, iaca, pushURL string) *frontdoorNode {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "frontdoor")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "../../cmd/frontdoor").CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/frontdoor: %v\n%s", err, out)
	}
	httpPort, sipPort := freePort(t, "tcp"), freePort(t, "udp")
	rtp := 42000 + (os.Getpid()%100)*100
	n := &frontdoorNode{URL: fmt.Sprintf("http://127.0.0.1:%d", httpPort), SIP: fmt.Sprintf("127.0.0.1:%d", sipPort)}
	cfg := fmt.Sprintf(frontdoorConfig, sipPort, httpPort, rtp, rtp+99, adminToken,
		repoFile("config", "keys", "issuer.jwks.json"), n.URL, verifierCert, verifierKey, iaca, pushURL)
	cfgPath := filepath.Join(dir, "frontdoor.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "-config", cfgPath, "-data", filepath.Join(dir, "data"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	})
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		once := sync.Once{}
		for sc.Scan() {
			if strings.Contains(sc.Text(), "SIP (UDP+TCP)") {
				once.Do(func() { close(ready) })
			}
		}
	}()
	logged := make(chan struct{})
	go func() {
		defer close(logged)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			n.mu.Lock()
			n.log.WriteString(sc.Text() + "\n")
			n.mu.Unlock()
		}
	}()
	go func() { <-logged; done <- cmd.Wait() }()
	select {
	case <-ready:
	case err := <-done:
		done <- err
		t.Fatalf("frontdoor exited at start: %v\n%s", err, n.logText())
	case <-ctx.Done():
		t.Fatalf("frontdoor never became ready\n%s", n.logText())
	}
	return n
}

func (n *frontdoorNode) logText() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.log.String()
}

// session is POST /api/v1/identity/sessions as an integration makes it.
type session struct {
	ID         string `json:"id"`
	Nonce      string `json:"nonce"`
	RequestURI string `json:"request_uri"`
	WalletURL  string `json:"wallet_url"`
}

func (n *frontdoorNode) newSession(t *testing.T) session {
	t.Helper()
	req, _ := http.NewRequest("POST", n.URL+"/api/v1/identity/sessions", strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var s session
	if res.StatusCode != http.StatusCreated || json.Unmarshal(raw, &s) != nil || s.WalletURL == "" {
		t.Fatalf("POST /api/v1/identity/sessions: %d %s", res.StatusCode, raw)
	}
	return s
}

// metric reads one series' value from /metrics ("" when absent).
func (n *frontdoorNode) metric(t *testing.T, series string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", n.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			return v
		}
	}
	return ""
}

func freePort(t *testing.T, network string) int {
	t.Helper()
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		if network != "udp" {
			l.Close()
			return port
		}
		// SIP listens on UDP and TCP at the same port.
		u, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		l.Close()
		if err == nil {
			u.Close()
			return port
		}
	}
	t.Fatal("no free port")
	return 0
}

func repoFile(parts ...string) string {
	p, _ := filepath.Abs(filepath.Join(append([]string{"..", ".."}, parts...)...))
	return p
}

// verifierPKI is a root and two verifier certificates it issued: frontdoor's
// and another verifier's, which a man in the middle could re-sign
// frontdoor's request with (the chain is good, the client_id is not its).
type verifierPKI struct {
	Root, Chain, Key string // PEM files: the root; frontdoor's leaf+root; its key
	otherKey         *ecdsa.PrivateKey
	otherLeaf        *x509.Certificate
}

func newVerifierPKI(t *testing.T) verifierPKI {
	t.Helper()
	dir := t.TempDir()
	now := time.Now()
	rootKey := newP256(t)
	rootTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "interop verifier root"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	rootDER, err := x509.CreateCertificate(rand.Reader, rootTmpl, rootTmpl, &rootKey.PublicKey, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := x509.ParseCertificate(rootDER)
	leaf := func(serial int64, cn string) (*x509.Certificate, *ecdsa.PrivateKey) {
		k := newP256(t)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
			DNSNames: []string{"localhost"}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, root, &k.PublicKey, rootKey)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := x509.ParseCertificate(der)
		return c, k
	}
	fdLeaf, fdKey := leaf(2, "frontdoor verifier")
	p := verifierPKI{Root: filepath.Join(dir, "root.pem"), Chain: filepath.Join(dir, "verifier.pem"), Key: filepath.Join(dir, "verifier.key")}
	p.otherLeaf, p.otherKey = leaf(3, "another verifier")
	keyDER, _ := x509.MarshalPKCS8PrivateKey(fdKey)
	writePEM(t, p.Root, "CERTIFICATE", rootDER)
	writePEM(t, p.Chain, "CERTIFICATE", fdLeaf.Raw, rootDER)
	writePEM(t, p.Key, "PRIVATE KEY", keyDER)
	return p
}

func newP256(t *testing.T) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func writePEM(t *testing.T, path, typ string, ders ...[]byte) {
	t.Helper()
	var out []byte
	for _, d := range ders {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: d})...)
	}
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
}
