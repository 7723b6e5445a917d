package main

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"

	"github.com/frontdoor-project/frontdoor/internal/etcdcert"
	"github.com/frontdoor-project/frontdoor/internal/pemcert"
)

// tlsFlags are one side's (client or peer) TLS flags, named as etcd's own.
type tlsFlags struct {
	side            string // "" for the client side, "peer-" for the peer side
	cert, key, ca   *string
	certAuth        *bool
	listenFlag, who string // the URL flag they go with; who presents client certificates
}

func addTLSFlags(fs *flag.FlagSet, side, listenFlag, who string) *tlsFlags {
	return &tlsFlags{
		side:       side,
		cert:       fs.String(side+"cert-file", "", "server certificate (PEM) for https:// on -"+listenFlag),
		key:        fs.String(side+"key-file", "", "its private key (PEM)"),
		ca:         fs.String(side+"trusted-ca-file", "", "CA (PEM) of the "+who+"' client certificates (with -"+side+"client-cert-auth)"),
		certAuth:   fs.Bool(side+"client-cert-auth", false, "require "+who+" to present a client certificate signed by -"+side+"trusted-ca-file"),
		listenFlag: listenFlag, who: who,
	}
}

// info checks the flags against the URL's scheme and the files, so a
// mistake is named here rather than deep in etcd's start-up.
func (f *tlsFlags) info(u *url.URL) (transport.TLSInfo, error) {
	cert, key, ca := *f.cert, *f.key, *f.ca
	switch {
	case (cert == "") != (key == ""):
		return transport.TLSInfo{}, fmt.Errorf("-%scert-file and -%skey-file go together", f.side, f.side)
	case u.Scheme == "https" && cert == "":
		return transport.TLSInfo{}, fmt.Errorf("-%s %s is https: give -%scert-file and -%skey-file", f.listenFlag, u, f.side, f.side)
	case u.Scheme == "http" && (cert != "" || ca != "" || *f.certAuth):
		return transport.TLSInfo{}, fmt.Errorf("-%s %s is plain http but -%scert-file, -%strusted-ca-file or -%sclient-cert-auth is set: use https://",
			f.listenFlag, u, f.side, f.side, f.side)
	case ca != "" && !*f.certAuth:
		// etcd requires client certificates once it has a trusted CA: say so.
		return transport.TLSInfo{}, fmt.Errorf("-%strusted-ca-file makes etcd require the %s' certificates: add -%sclient-cert-auth (or leave both out)", f.side, f.who, f.side)
	case *f.certAuth && ca == "":
		return transport.TLSInfo{}, fmt.Errorf("-%sclient-cert-auth needs -%strusted-ca-file (the CA of the %s' certificates)", f.side, f.side, f.who)
	}
	if cert == "" {
		return transport.TLSInfo{}, nil
	}
	if _, err := tls.LoadX509KeyPair(cert, key); err != nil {
		return transport.TLSInfo{}, fmt.Errorf("-%scert-file %s with -%skey-file %s: %v", f.side, cert, f.side, key, pathless(err))
	}
	if ca != "" {
		raw, err := os.ReadFile(ca)
		if err == nil {
			_, err = pemcert.Parse(raw)
		}
		if err != nil {
			return transport.TLSInfo{}, fmt.Errorf("-%strusted-ca-file %s: %v", f.side, ca, pathless(err))
		}
	}
	return transport.TLSInfo{CertFile: cert, KeyFile: key, TrustedCAFile: ca, ClientCertAuth: *f.certAuth}, nil
}

// pathless drops the path an fs error repeats: the message names the file.
func pathless(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// runCerts is `fdetcd certs`: a throwaway CA, one server certificate for the
// members' addresses and a client certificate per node, for tests and demos.
func runCerts(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("fdetcd certs", flag.ContinueOnError)
	dir := fs.String("dir", "", "directory to write ca.pem, server.pem, NAME.pem and their -key.pem (required)")
	ips := fs.String("ip", "127.0.0.1", "the members' IP addresses, comma-separated (the server certificate's SANs)")
	clients := fs.String("clients", "", "client certificates to make, by name, comma-separated (e.g. node-a,node-b)")
	valid := fs.Duration("valid", 365*24*time.Hour, "how long the certificates are valid")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("certs: unexpected argument %q", fs.Arg(0))
	}
	if *dir == "" {
		return errors.New("certs: -dir is required")
	}
	var addrs []net.IP
	for _, s := range strings.Split(*ips, ",") {
		ip := net.ParseIP(strings.TrimSpace(s))
		if ip == nil {
			return fmt.Errorf("certs: -ip %q is not an IP address", s)
		}
		addrs = append(addrs, ip)
	}
	var names []string
	for _, n := range strings.Split(*clients, ",") {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	_, files, err := etcdcert.WriteSet(*dir, addrs, names, *valid)
	if err != nil {
		return fmt.Errorf("certs: %w", err)
	}
	fmt.Fprintf(stdout, "CA         %s\nserver     %s %s\n", files.CA, files.ServerCert, files.ServerKey)
	for _, n := range names {
		fmt.Fprintf(stdout, "client     %s %s\n", files.ClientCert[n], files.ClientKey[n])
	}
	return nil
}
