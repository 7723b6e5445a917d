package cluster

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// procTimes is what this process (benchmark, replicas and the embedded etcd
// members alike) got from the CPU: its CPU time, and the time its threads
// were runnable but waited for a core, which the other processes on a
// shared box cause.
type procTimes struct{ cpu, runqWait time.Duration }

func readProcTimes() procTimes {
	var t procTimes
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		t.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	// schedstat: time on a core, time waiting on a run queue (ns), slices.
	stats, _ := filepath.Glob("/proc/self/task/*/schedstat")
	for _, p := range stats {
		raw, err := os.ReadFile(p)
		if err != nil {
			continue // the thread ended
		}
		if f := strings.Fields(string(raw)); len(f) >= 2 {
			if ns, err := strconv.ParseInt(f[1], 10, 64); err == nil {
				t.runqWait += time.Duration(ns)
			}
		}
	}
	return t
}

func (t procTimes) since(start procTimes) procTimes {
	return procTimes{cpu: t.cpu - start.cpu, runqWait: t.runqWait - start.runqWait}
}
