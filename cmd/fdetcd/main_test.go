package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFlagRefusals(t *testing.T) {
	ok := []string{"-name", "a", "-data", "/tmp/x", "-listen-client", "http://127.0.0.1:2379", "-listen-peer", "http://127.0.0.1:2380"}
	with := func(extra ...string) []string { return append(append([]string{}, ok...), extra...) }
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-data", "d", "-listen-client", "http://127.0.0.1:1", "-listen-peer", "http://127.0.0.1:2"}, "-name is required"},
		{[]string{"-name", "a", "-listen-client", "http://127.0.0.1:1", "-listen-peer", "http://127.0.0.1:2"}, "-data is required"},
		{[]string{"-name", "a", "-data", "d", "-listen-peer", "http://127.0.0.1:2"}, "-listen-client is required"},
		{with("-initial-state", "fresh"), `-initial-state "fresh": want new or existing`},
		{with("-log-level", "loud"), `-log-level "loud": want debug, info, warn or error`},
		{with("-initial-cluster", "b=http://127.0.0.1:2380"), `-initial-cluster "b=http://127.0.0.1:2380" does not name this member "a"`},
		{with("extra"), `unexpected argument "extra"`},
		{with("-compaction-retention", "-1m"), `-compaction-retention -1m0s: want 0 or more`},
		{[]string{"-name", "a", "-data", "d", "-listen-client", "127.0.0.1:2379", "-listen-peer", "http://127.0.0.1:2380"}, `-listen-client "127.0.0.1:2379": want http://HOST:PORT or https://HOST:PORT`},
		{[]string{"-name", "a", "-data", "d", "-listen-client", "http://127.0.0.1:2379", "-listen-peer", "https://127.0.0.1"}, `-listen-peer "https://127.0.0.1": want http://HOST:PORT or https://HOST:PORT`},
	} {
		_, err := parse(tc.args)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: %v, want %s", strings.Join(tc.args, " "), err, tc.want)
		}
	}
	cfg, err := parse(with("-initial-cluster", "a=http://127.0.0.1:2380,b=http://127.0.0.1:2382", "-initial-state", "existing"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Name != "a" || cfg.ClusterState != "existing" || cfg.ListenClientUrls[0].String() != "http://127.0.0.1:2379" ||
		cfg.AdvertisePeerUrls[0].String() != "http://127.0.0.1:2380" || cfg.AutoCompactionRetention != "1h0m0s" {
		t.Errorf("config %+v", cfg)
	}
	if cfg, err := parse(ok); err != nil || cfg.InitialCluster != "a=http://127.0.0.1:2380" {
		t.Errorf("alone: %v %v", cfg.InitialCluster, err)
	}
}

// What a user sees for TLS flags that cannot work, before etcd starts; and
// the files `fdetcd certs` writes are what a TLS member takes.
func TestTLSFlags(t *testing.T) {
	dir := t.TempDir()
	var out strings.Builder
	if err := runCerts([]string{"-dir", dir, "-ip", "127.0.0.1,127.0.0.2", "-clients", "node-a"}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), filepath.Join(dir, "node-a-key.pem")) {
		t.Errorf("certs printed %q", out.String())
	}
	ca, srv, key := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "server.pem"), filepath.Join(dir, "server-key.pem")
	notPEM := filepath.Join(dir, "junk.pem")
	os.WriteFile(notPEM, []byte("not a certificate"), 0o600)
	https := []string{"-name", "a", "-data", "d", "-listen-client", "https://127.0.0.1:2379", "-listen-peer", "https://127.0.0.1:2380"}
	with := func(extra ...string) []string { return append(append([]string{}, https...), extra...) }
	peer := []string{"-peer-cert-file", srv, "-peer-key-file", key}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{with(peer...), "-listen-client https://127.0.0.1:2379 is https: give -cert-file and -key-file"},
		{with("-cert-file", srv, "-key-file", key), "-listen-peer https://127.0.0.1:2380 is https: give -peer-cert-file and -peer-key-file"},
		{with("-cert-file", srv), "-cert-file and -key-file go together"},
		{with(append(peer, "-cert-file", srv, "-key-file", key, "-client-cert-auth")...), "-client-cert-auth needs -trusted-ca-file (the CA of the clients' certificates)"},
		{with(append(peer, "-cert-file", "/nope.pem", "-key-file", key)...), "-cert-file /nope.pem with -key-file " + key + ": no such file or directory"},
		{with(append(peer, "-cert-file", srv, "-key-file", srv)...), "-cert-file " + srv + " with -key-file " + srv + ": tls: found a certificate rather than a key in the PEM for the private key"},
		{with(append(peer, "-cert-file", srv, "-key-file", key, "-trusted-ca-file", notPEM, "-client-cert-auth")...), "-trusted-ca-file " + notPEM + ": no PEM CERTIFICATE block"},
		{with("-cert-file", srv, "-key-file", key, "-peer-cert-file", srv, "-peer-key-file", key, "-peer-trusted-ca-file", "/nope.pem", "-peer-client-cert-auth"), "-peer-trusted-ca-file /nope.pem: no such file or directory"},
		{with(append(peer, "-cert-file", srv, "-key-file", key, "-trusted-ca-file", ca)...), "-trusted-ca-file makes etcd require the clients' certificates: add -client-cert-auth (or leave both out)"},
		{[]string{"-name", "a", "-data", "d", "-listen-client", "http://127.0.0.1:2379", "-listen-peer", "http://127.0.0.1:2380", "-trusted-ca-file", ca},
			"-listen-client http://127.0.0.1:2379 is plain http but -cert-file, -trusted-ca-file or -client-cert-auth is set: use https://"},
	} {
		_, err := parse(tc.args)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s:\n got %v\nwant %s", strings.Join(tc.args[8:], " "), err, tc.want)
		}
	}
	cfg, err := parse(with("-cert-file", srv, "-key-file", key, "-trusted-ca-file", ca, "-client-cert-auth",
		"-peer-cert-file", srv, "-peer-key-file", key, "-peer-trusted-ca-file", ca, "-peer-client-cert-auth"))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.ClientTLSInfo.ClientCertAuth || cfg.ClientTLSInfo.TrustedCAFile != ca || !cfg.PeerTLSInfo.ClientCertAuth || cfg.PeerTLSInfo.CertFile != srv {
		t.Errorf("TLS info: client %+v peer %+v", cfg.ClientTLSInfo, cfg.PeerTLSInfo)
	}
	for _, args := range [][]string{{"-ip", "127.0.0.x", "-dir", dir}, {"-clients", "ca", "-dir", dir}, {"-ip", "127.0.0.1"}} {
		if err := runCerts(args, &out); err == nil {
			t.Errorf("certs %v: no error", args)
		}
	}
}
