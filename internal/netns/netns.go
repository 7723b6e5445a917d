// Package netns runs a test inside its own network namespace with only the
// loopback interface up, so a browser (Chromium) and the server it talks to see
// 127.0.0.1 and nothing else: no other address to use, nowhere to send the
// browser's own background traffic.
package netns

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// insideEnv marks the re-executed test process.
const insideEnv = "FRONTDOOR_IN_NETNS"

// Isolate makes the calling test run in a fresh network namespace. In the outer
// process it re-runs this test binary for just this test under
// `unshare --net` (after `ip link set lo up`), reports the inner run's output,
// fails if it failed, and returns false: the caller must return. Inside the
// namespace it returns true and the test goes on.
//
// Where namespaces cannot be made (not root, no unshare) the test is skipped
// with "SKIP: needs ...", and fails instead when CI=true.
func Isolate(t *testing.T) bool {
	t.Helper()
	if os.Getenv(insideEnv) == "1" {
		return true
	}
	for _, tool := range []string{"unshare", "ip"} {
		if _, err := exec.LookPath(tool); err != nil {
			need(t, "util-linux and iproute2 ("+tool+" not found)")
			return false
		}
	}
	if probe := exec.Command("unshare", "--net", "true"); probe.Run() != nil {
		need(t, "permission to create network namespaces (root)")
		return false
	}
	name := strings.SplitN(t.Name(), "/", 2)[0]
	args := []string{"--net", "--", "sh", "-c", `ip link set lo up && exec "$0" "$@"`,
		os.Args[0], "-test.run", "^" + name + "$", "-test.v", "-test.count=1"}
	cmd := exec.Command("unshare", args...)
	cmd.Env = append(os.Environ(), insideEnv+"=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	for _, line := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		t.Log(line)
	}
	if strings.Contains(out.String(), "--- SKIP") && !strings.Contains(out.String(), "--- FAIL") {
		t.Skip("skipped inside the namespace (see log)")
	}
	if err != nil {
		t.Fatalf("inside the network namespace the test failed: %v", err)
	}
	return false
}

func need(t *testing.T, what string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("needs %s", what)
	}
	t.Skipf("SKIP: needs %s", what)
}
