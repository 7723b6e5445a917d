package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/cluster/etcdtest"
)

// Two frontdoor nodes share one center through a three-member etcd that
// speaks only TLS and requires client certificates (each node has its own):
// a citizen's call on node A is offered to an agent whose phone registered on
// node B, both hear each other, and `frontdoor cluster status` reads the
// cluster over TLS.
func TestClusterTLS(t *testing.T) {
	ctx := timeout(t, 120*time.Second)
	etcd := etcdtest.StartWith(t, 3, etcdtest.Options{TLS: true, ClientCertAuth: true})
	bin := buildBinary(t)
	nodes := startClusterNodes(t, ctx, bin, etcd, "127.0.0.2", "127.0.0.3")
	a, b := nodes[0], nodes[1]
	if l := waitLeader(t, ctx, nodes); l != a {
		t.Fatalf("leader %s, want the first node started", l.name)
	}
	agent := agentPhoneOn(t, ctx, b, a) // node A sees node B's agent
	x := dialCluster(t, ctx, "01071110001", 1000, a, "126", "queued", b)
	apiPut(t, a.http, "/api/v1/agents/1001/state", `{"state":"ready"}`)
	answered(t, ctx, agent, x)
	x.out.Hangup(ctx)
	waitCDROutcome(t, ctx, b, x.id, "answered")

	wantClusterStatus(t, clusterStatus(t, bin, b), "etcd members (3):", "https://127.0.0.1:", "ACD leader: node-a", "nodes (2):", "node-a  sip "+a.sip)
}

// A node whose cluster: section cannot work with the etcd it names stops at
// start-up, exit status 1, with a message that names the endpoint and what
// in cluster.tls (or cluster.etcd) to change; check-config refuses what the
// file alone shows.
func TestClusterTLSRefusals(t *testing.T) {
	etcd := etcdtest.StartWith(t, 3, etcdtest.Options{TLS: true, ClientCertAuth: true})
	plain := etcdtest.Start(t, 1)
	bin := buildBinary(t)
	tl := etcd.TLS()
	otherCA, strangerCert, strangerKey := tl.OtherCA(t)
	cert, key := tl.IssueClient(t, "node-x", time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	oldCert, oldKey := tl.IssueClient(t, "node-old", time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour))
	tlsYAML := func(ca, cert, key string) string {
		return fmt.Sprintf("  tls: { ca_file: %q, cert_file: %q, key_file: %q }\n", ca, cert, key)
	}
	https := etcd.Endpoints()
	httpToTLS := []string{strings.Replace(etcd.Endpoint(0), "https://", "http://", 1)}
	httpsToPlain := []string{strings.Replace(plain.Endpoint(0), "http://", "https://", 1)}
	localhost := []string{strings.Replace(etcd.Endpoint(0), "127.0.0.1", "localhost", 1)}
	for _, tc := range []struct {
		name       string
		endpoints  []string
		tls        string
		checkFails bool // check-config refuses it too
		want       []string
	}{
		{"wrong CA", https, tlsYAML(otherCA, cert, key), false, []string{"cannot use etcd at " + strings.Join(https, ", ") + ": the member's certificate is not signed by the CA in cluster.tls.ca_file " + otherCA}},
		{"no client certificate", https, fmt.Sprintf("  tls: { ca_file: %q }\n", tl.CA), false,
			[]string{"cannot use etcd at " + https[0], "the member requires a client certificate: set cluster.tls.cert_file and key_file"}},
		{"client certificate of another CA", https, tlsYAML(tl.CA, strangerCert, strangerKey), false,
			[]string{"cannot use etcd at " + https[0], "the member refused the client certificate in cluster.tls.cert_file " + strangerCert, "remote error: tls: unknown certificate authority"}},
		{"expired client certificate", https, tlsYAML(tl.CA, oldCert, oldKey), true, []string{"cluster.tls.cert_file: client certificate " + oldCert + " is valid only from"}},
		{"address the member's certificate does not name", localhost, tlsYAML(tl.CA, cert, key), false,
			[]string{"cannot use etcd at " + localhost[0] + ": the member's certificate does not name the address in cluster.etcd", "wanted to match localhost"}},
		{"http to a TLS member", httpToTLS, "", false, []string{"cannot use etcd at " + httpToTLS[0] + ": the member does not answer as plain etcd: if it serves TLS, write https:// and set cluster.tls"}},
		{"https to a plain member", httpsToPlain, tlsYAML(tl.CA, cert, key), false, []string{"cannot use etcd at " + httpsToPlain[0] + ": the member does not answer in TLS: for a plain member write http:// and leave cluster.tls out"}},
		{"https without cluster.tls", https, "", true, []string{`cluster.etcd[0]: "` + https[0] + `" is https but cluster.tls is empty: set cluster.tls.ca_file`}},
		{"http with cluster.tls", httpToTLS, tlsYAML(tl.CA, cert, key), true, []string{`cluster.etcd[0]: "` + httpToTLS[0] + `" is plain http but cluster.tls is set: use https://`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfgPath := refusalConfig(t, tc.endpoints, tc.tls)
			var out, errb strings.Builder
			if code := runCheckConfig([]string{cfgPath}, &out, &errb); (code != 0) != tc.checkFails {
				t.Errorf("check-config: exit %d, want refusal %v: %s%s", code, tc.checkFails, out.String(), errb.String())
			}
			code, msg, took := serveRefusal(t, bin, cfgPath)
			t.Logf("refused after %s: %s", took.Round(100*time.Millisecond), msg)
			if code != 1 {
				t.Errorf("serve exit status %d, want 1", code)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("serve said:\n%s\nwant %q", msg, w)
				}
			}
		})
	}
}

// refusalConfig writes a one-node config naming endpoints, with the cluster.tls
// lines given.
func refusalConfig(t *testing.T, endpoints []string, tlsYAML string) string {
	t.Helper()
	var quoted []string
	for _, e := range endpoints {
		quoted = append(quoted, `"`+e+`"`)
	}
	ip := "127.0.0.2"
	sipPort, httpPort := freePortOn(t, ip), freePortOn(t, ip)
	yaml := fmt.Sprintf(clusterConfig, ip, sipPort, httpPort, 30000, 30099, "node-x", strings.Join(quoted, ", ")) + tlsYAML
	path := filepath.Join(t.TempDir(), "node.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// serveRefusal runs `frontdoor serve` that should stop at start-up, and
// returns its exit status and output; one still running after a minute has
// hung, which fails the test.
func serveRefusal(t *testing.T, bin, cfgPath string) (int, string, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	began := time.Now()
	out, err := exec.CommandContext(ctx, bin, "serve", "-config", cfgPath, "-data", t.TempDir()).CombinedOutput()
	took := time.Since(began)
	if ctx.Err() != nil {
		t.Fatalf("serve still running after %s (hangs instead of refusing):\n%s", took, out)
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("serve exited %v, want a refusal:\n%s", err, out)
	}
	return exit.ExitCode(), string(out), took
}
