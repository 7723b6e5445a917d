package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// serve on an address another process holds exits 1 naming the config key to
// change, for the SIP port and the HTTP one alike.
func TestServeOnATakenPortSaysWhichKey(t *testing.T) {
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	web, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer web.Close()
	for key, cfg := range map[string]string{
		"listen.sip":  fmt.Sprintf(testConfig, udp.LocalAddr().(*net.UDPAddr).Port, 20000, 20099),
		"listen.http": strings.Replace(fmt.Sprintf(testConfig, freeSIPPort(t), 20000, 20099), "127.0.0.1:0", web.Addr().String(), 1),
	} {
		dir := t.TempDir()
		path := filepath.Join(dir, "frontdoor.yaml")
		if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		var out, errb bytes.Buffer
		code := runServe([]string{"-config", path, "-data", filepath.Join(dir, "data")}, &out, &errb)
		want := "address already in use: another process holds it (a running frontdoor, a SIP phone, sipp): stop it or change " + key
		if code != 1 || !strings.Contains(errb.String(), want) {
			t.Errorf("%s taken: exit %d, stderr %q; want exit 1 and %q", key, code, errb.String(), want)
		}
	}
}
