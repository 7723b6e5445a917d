package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/config"
)

// BenchmarkCallSetup drives sipp at fixed call rates against a node on loopback:
// INVITE to 110 -> 200 (the IVR answers, allocates RTP, starts the welcome
// prompt) -> ACK -> BYE, with a CDR written per call. It reports the calls/s
// completed, the share that failed, and the node's CPU per call (sipp excluded:
// it is a child process). Compare with ../shared/ANCHORS.md (Kamailio, sipp).
func BenchmarkCallSetup(b *testing.B) {
	if _, err := exec.LookPath("sipp"); err != nil {
		b.Skip("SKIP: needs sip-tester")
	}
	for _, rate := range []int{500, 1000, 1500, 2000} {
		b.Run(fmt.Sprintf("rate=%d", rate), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				benchSetupRate(b, rate, 10*time.Second)
			}
		})
	}
}

var sippCounter = regexp.MustCompile(`(Successful call|Failed call)\s*\|\s*\d+\s*\|\s*(\d+)`)

func benchSetupRate(b *testing.B, rate int, d time.Duration) {
	addr, stop := benchNode(b, "127.0.0.1", freePortB(b), "")
	defer stop()
	sippLoad(b, "uac_setup.xml", addr, rate, d)
}

// benchNode builds one node answering 110 on ip:port (RTP on the same address)
// and runs it in-process until stop, so its CPU is this process's. extra is
// appended to its config (a cluster section, or nothing).
func benchNode(b *testing.B, ip string, port int, extra string) (addr string, stop func()) {
	dir := b.TempDir()
	yaml := fmt.Sprintf(`
listen: { sip: "%s:%d", http: "%s:0" }
media: { rtp_ports: "20000-39999", advertise_ip: %s }
number: "110"
identity: { mode: off }
sip: { max_calls: 20000 }
agencies: [{ id: tax, name: Tax, digit: "1" }]
agents: [{ id: "1001", name: A, password: pw, skills: { tax: 5 } }]
`, ip, port, ip, ip) + extra
	cfg, err := config.Parse(filepath.Join(dir, "bench.yaml"), []byte(yaml))
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	n, err := build(context.Background(), cfg, filepath.Join(dir, "data"), log)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.Run(ctx); n.Close(); close(done) }()
	return n.edge.Addr(), func() { cancel(); <-done }
}

// sippLoad offers rate calls/s for d with a sipp scenario from test/sipp to
// target and reports the calls/s completed, the share that failed, and this
// process's CPU per completed call (sipp and Kamailio excluded: other processes).
func sippLoad(b *testing.B, scenario, target string, rate int, d time.Duration) {
	dir := b.TempDir()
	total := rate * int(d/time.Second)
	var before, after syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	start := time.Now()
	cmd := exec.Command("sipp", "-sf", repoPath("test", "sipp", scenario), "-s", "110",
		"-i", "127.0.0.1", "-mi", "127.0.0.1", "-nostdin", "-r", strconv.Itoa(rate), "-m", strconv.Itoa(total),
		"-l", strconv.Itoa(rate*4), "-timeout", strconv.Itoa(int(d/time.Second)+30)+"s", "-max_socket", "60000",
		"-recv_timeout", "5000", target)
	cmd.Dir = dir
	out, _ := cmd.CombinedOutput()
	elapsed := time.Since(start)
	syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	var ok, failed int
	for _, m := range sippCounter.FindAllStringSubmatch(string(out), -1) {
		v, _ := strconv.Atoi(m[2])
		if m[1] == "Successful call" {
			ok = v
		} else {
			failed = v
		}
	}
	cpu := time.Duration(after.Utime.Nano()+after.Stime.Nano()-before.Utime.Nano()-before.Stime.Nano()) * time.Nanosecond
	b.ReportMetric(float64(ok)/elapsed.Seconds(), "calls/s")
	b.ReportMetric(100*float64(failed)/float64(max(ok+failed, 1)), "%failed")
	if ok > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/float64(ok), "cpu-µs/call")
	}
	b.ReportMetric(float64(ok), "calls")
}

func freePortB(b *testing.B) int {
	for i := 0; i < 50; i++ {
		p := 40000 + int(time.Now().UnixNano()%20000)
		if ok := portFree(p); ok {
			return p
		}
	}
	b.Fatal("no free port")
	return 0
}
