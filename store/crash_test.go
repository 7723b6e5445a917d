package store

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

const crashDirEnv = "FRONTDOOR_STORE_CRASH_DIR"

// TestCrashChild is the child half of TestCDRsSurviveSIGKILL: it writes CDRs
// from several goroutines until killed, printing each call id only after
// PutCDR has returned.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("child process of TestCDRsSurviveSIGKILL")
	}
	s, err := Open(dir)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			// Bounded so an orphaned child ends by itself.
			for i := range 20000 {
				id := fmt.Sprintf("w%d-%d", w, i)
				if err := s.PutCDR(context.Background(), cdr(id, time.Now())); err != nil {
					fmt.Println("error", err)
					os.Exit(2)
				}
				mu.Lock()
				fmt.Println("written", id)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}

// A CDR reported written survives the writer being SIGKILLed.
func TestCDRsSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	reported := map[string]bool{}
	sc := bufio.NewScanner(out)
	killed := false
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "error ") {
			t.Fatalf("child: %s", line)
		}
		if id, ok := strings.CutPrefix(line, "written "); ok {
			reported[id] = true
		}
		if !killed && len(reported) >= 500 {
			// Mid-stream: other writers are inside PutCDR right now.
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	err = cmd.Wait()
	if !killed {
		t.Fatalf("child ended before it was killed: %v", err)
	}
	s := open(t, dir)
	defer s.Close()
	all, err := s.CDRs(context.Background(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	for _, c := range all {
		stored[c.CallID] = true
	}
	lost := 0
	for id := range reported {
		if !stored[id] {
			lost++
			t.Errorf("CDR %s reported written but lost", id)
		}
	}
	t.Logf("child reported %d CDRs before SIGKILL; file holds %d; lost %d", len(reported), len(stored), lost)
}
