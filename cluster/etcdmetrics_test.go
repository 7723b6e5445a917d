package cluster

import (
	"github.com/prometheus/client_golang/prometheus"
)

// etcdDisk sums etcd's own disk histograms over every member in this
// process (they share the default registry): WAL fsyncs, which every raft
// round waits for, and backend commits, during which a member applies
// nothing.
type etcdDisk struct {
	fsyncs, commits       uint64
	fsyncSecs, commitSecs float64
}

func readEtcdDisk() etcdDisk {
	var d etcdDisk
	mfs, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		return d
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			h := m.GetHistogram()
			if h == nil {
				continue
			}
			switch mf.GetName() {
			case "etcd_disk_wal_fsync_duration_seconds":
				d.fsyncs += h.GetSampleCount()
				d.fsyncSecs += h.GetSampleSum()
			case "etcd_disk_backend_commit_duration_seconds":
				d.commits += h.GetSampleCount()
				d.commitSecs += h.GetSampleSum()
			}
		}
	}
	return d
}

// meansSince gives the mean WAL fsync and backend commit in ms since start.
func (d etcdDisk) meansSince(start etcdDisk) (fsyncMs, commitMs float64) {
	mean := func(secs float64, n uint64) float64 {
		if n == 0 {
			return 0
		}
		return 1000 * secs / float64(n)
	}
	return mean(d.fsyncSecs-start.fsyncSecs, d.fsyncs-start.fsyncs), mean(d.commitSecs-start.commitSecs, d.commits-start.commits)
}
