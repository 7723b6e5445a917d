package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/md5"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/sip"
)

// writeCert makes a self-signed certificate for 127.0.0.1 and returns the file
// paths and a pool that trusts it.
func writeCert(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "frontdoor test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// With tls: configured, the API is served over HTTPS only (the login cookie is
// Secure) and an agent's phone registers with digest auth over SIP/TLS.
func TestTLSForSIPAndHTTPS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := writeCert(t, dir)
	tlsPort := freeSIPPort(t)
	rtpBase += 100
	yaml := strings.Replace(fmt.Sprintf(testConfig, freeSIPPort(t), rtpBase, rtpBase+99), `number: "110"`,
		fmt.Sprintf("number: \"110\"\ntls: { sip: \"127.0.0.1:%d\", https: true, cert_file: %q, key_file: %q }", tlsPort, certFile, keyFile), 1)
	n := startNode(t, yaml)
	ctx := timeout(t, 30*time.Second)
	web := strings.Replace(n.HTTP, "http://", "https://", 1)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}

	res, err := client.Post(web+"/api/v1/login", "application/json", strings.NewReader(`{"id":"1001","password":"pw1001"}`))
	if err != nil {
		t.Fatalf("HTTPS login: %v", err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Set-Cookie"), "Secure") {
		t.Fatalf("HTTPS login: %d, cookie %q: want 200 and a Secure cookie", res.StatusCode, res.Header.Get("Set-Cookie"))
	}
	if res, err := http.Get(n.HTTP + "/healthz"); err == nil {
		res.Body.Close()
		if res.StatusCode == 200 {
			t.Fatal("plain HTTP served on the HTTPS port")
		}
	}

	// SIP over TLS: REGISTER, challenge, digest answer, 200; the agent is logged in.
	addr := fmt.Sprintf("127.0.0.1:%d", tlsPort)
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool})
	if err != nil {
		t.Fatalf("SIP over TLS: %v", err)
	}
	defer conn.Close()
	rd := bufio.NewReader(conn)
	local := conn.LocalAddr().String()
	register := func(cseq int, authz string) (int, string) {
		msg := fmt.Sprintf("REGISTER sip:%s;transport=tls SIP/2.0\r\nVia: SIP/2.0/TLS %s;branch=z9hG4bK-tls%d;rport\r\n"+
			"From: <sip:1001@127.0.0.1>;tag=tls1\r\nTo: <sip:1001@127.0.0.1>\r\nCall-ID: tls-register\r\nCSeq: %d REGISTER\r\n"+
			"Contact: <sip:1001@%s>\r\nExpires: 300\r\nMax-Forwards: 70\r\n%sContent-Length: 0\r\n\r\n",
			addr, local, cseq, cseq, local, authz)
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := conn.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		code, challenge := 0, ""
		for {
			line, err := rd.ReadString('\n')
			if err != nil {
				t.Fatalf("reading the TLS answer: %v", err)
			}
			line = strings.TrimRight(line, "\r\n")
			switch {
			case strings.HasPrefix(line, "SIP/2.0 "):
				code = statusOf([]byte(line))
			case strings.HasPrefix(line, "WWW-Authenticate: ") && challenge == "":
				challenge = line
			case line == "":
				return code, challenge
			}
		}
	}
	code, challenge := register(1, "")
	if code != 401 || challenge == "" {
		t.Fatalf("REGISTER over TLS without credentials: %d %q, want 401 with a challenge", code, challenge)
	}
	creds := sip.DigestCredentials{Username: "1001", Realm: "frontdoor", Nonce: between(challenge, `nonce="`, `"`),
		URI: "sip:" + addr + ";transport=tls", Algorithm: "MD5", QOP: "auth", NC: "00000001", CNonce: "c0ffee"}
	creds.Response, _ = sip.ExpectedResponse(creds, "REGISTER", md5hex("1001:frontdoor:pw1001"))
	authz := fmt.Sprintf("Authorization: Digest username=\"1001\", realm=\"frontdoor\", nonce=%q, uri=%q, response=%q, algorithm=MD5, qop=auth, nc=00000001, cnonce=\"c0ffee\"\r\n",
		creds.Nonce, creds.URI, creds.Response)
	if code, _ := register(2, authz); code != 200 {
		t.Fatalf("REGISTER over TLS with digest: %d, want 200", code)
	}
	n.waitAgentTLS(t, ctx, client, web, "1001", "not_ready")

	// A call for tax is offered to the agent over its TLS connection.
	req, _ := http.NewRequest("PUT", web+"/api/v1/agents/1001/state", strings.NewReader(`{"state":"ready"}`))
	req.Header.Set("Authorization", "Bearer test-admin-token")
	if res, err := client.Do(req); err != nil || res.StatusCode != 200 {
		t.Fatalf("set ready over HTTPS: %v %v", res, err)
	}
	dial(t, ctx, n, "126", nil, 1000, "")
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	var invite []string
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatalf("no INVITE over TLS: %v", err)
		}
		line = strings.TrimRight(line, "\r\n")
		if strings.HasPrefix(line, "INVITE ") {
			invite = []string{line}
			continue
		}
		if invite != nil {
			if line == "" {
				break
			}
			invite = append(invite, line)
		}
	}
	head := strings.Join(invite, "\n")
	if !strings.Contains(head, "X-Frontdoor-Agency: tax") || !strings.Contains(head, "SIP/2.0/TLS") {
		t.Fatalf("offer over TLS:\n%s", head)
	}
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// waitAgentTLS is waitAgent over HTTPS.
func (n *testNode) waitAgentTLS(t *testing.T, ctx context.Context, client *http.Client, web, id, state string) {
	t.Helper()
	sub := n.sb.Subscribe(ctx)
	for {
		req, _ := http.NewRequest("GET", web+"/api/v1/agents", nil)
		req.Header.Set("Authorization", "Bearer test-admin-token")
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var list []agentView
		json.NewDecoder(res.Body).Decode(&list)
		res.Body.Close()
		for _, a := range list {
			if a.ID == id && a.State == state {
				return
			}
		}
		select {
		case <-sub:
		case <-ctx.Done():
			t.Fatalf("agent %s never reached %s: %+v", id, state, list)
		}
	}
}
