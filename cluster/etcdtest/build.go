package etcdtest

import (
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// BinaryEnv names a prebuilt fdetcd to use instead of building one.
const BinaryEnv = "FRONTDOOR_FDETCD"

var build struct {
	once sync.Once
	path string
	err  error
	skip bool // the go command is missing
}

// Binary is the path of an fdetcd built from this checkout, built once per
// test binary (the go build cache makes later builds a link step). Set
// FRONTDOOR_FDETCD to use a prebuilt one.
func Binary(t testing.TB) string {
	t.Helper()
	build.once.Do(func() { build.path, build.skip, build.err = buildFdetcd() })
	if build.skip {
		if os.Getenv("CI") == "true" {
			t.Fatalf("needs go (to build cmd/fdetcd): %v", build.err)
		}
		t.Skipf("SKIP: needs go (to build cmd/fdetcd): %v", build.err)
	}
	if build.err != nil {
		t.Fatalf("etcdtest: %v", build.err)
	}
	return build.path
}

func buildFdetcd() (path string, skip bool, err error) {
	if p := os.Getenv(BinaryEnv); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", false, fmt.Errorf("%s: %w", BinaryEnv, err)
		}
		return p, false, nil
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		if p := filepath.Join(runtime.GOROOT(), "bin", "go"); fileExists(p) {
			goCmd = p
		} else {
			return "", true, err
		}
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	// One directory per checkout: worktrees of other branches build their
	// own fdetcd (with other flags) into the cache too.
	h := fnv.New32a()
	io.WriteString(h, sourceDir())
	dir := filepath.Join(cache, "frontdoor-etcdtest", fmt.Sprintf("%08x", h.Sum32()))
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", false, err
	}
	// Built under a private name, then renamed: test binaries of several
	// packages may build at once, and a running fdetcd keeps its inode.
	tmp, err := os.CreateTemp(dir, "fdetcd-*.tmp")
	if err != nil {
		return "", false, err
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	cmd := exec.Command(goCmd, "build", "-o", tmp.Name(), "github.com/frontdoor-project/frontdoor/cmd/fdetcd")
	cmd.Dir = sourceDir()
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", false, fmt.Errorf("go build cmd/fdetcd: %v\n%s", err, out)
	}
	path = filepath.Join(dir, "fdetcd")
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", false, err
	}
	return path, false, nil
}

// sourceDir is this package's directory, inside the module, so go build
// finds the module whichever package's test runs it.
func sourceDir() string {
	if _, file, _, ok := runtime.Caller(0); ok && fileExists(file) {
		return filepath.Dir(file)
	}
	wd, _ := os.Getwd()
	return wd
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
