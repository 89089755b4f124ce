package pipeline

import (
	"path/filepath"
	"reflect"
	"testing"
)

// Final is Snapshot without the copy: the same analysis and findings on
// every lab capture, including captures from two points (clock offsets
// applied in place rather than to a copy).
func TestFinalEqualsSnapshot(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join(lab, "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no lab captures: %v", err)
	}
	for _, dir := range dirs {
		names, _ := filepath.Glob(filepath.Join(dir, "*.pcap"))
		if len(names) == 0 {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			run := func(final bool) *Result {
				r, err := StartFiles(names, Options{})
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()
				if err := r.RunToEnd(); err != nil {
					t.Fatal(err)
				}
				if final {
					return r.Final()
				}
				return r.Snapshot()
			}
			snap, fin := run(false), run(true)
			if len(fin.Analysis.IKESAs)+len(fin.Analysis.ESP) == 0 {
				t.Fatal("nothing analysed")
			}
			if !reflect.DeepEqual(snap.Analysis, fin.Analysis) {
				t.Error("Final's analysis differs from Snapshot's")
			}
			if !reflect.DeepEqual(snap.Findings, fin.Findings) {
				t.Errorf("Final's findings differ from Snapshot's:\n%v\n%v", snap.Findings, fin.Findings)
			}
		})
	}
}

// Logs placed on a snapshot are those a fresh alignment places, snapshot
// after snapshot while the captures load (the placement is kept from one
// snapshot to the next while the IKE messages and clocks stay the same),
// at one point and at two.
func TestLogsPlacedOnEverySnapshot(t *testing.T) {
	dir := filepath.Join(lab, "ikev2-ok-two-points")
	logs := charonLogs(t, dir)
	for _, names := range [][]string{
		{filepath.Join(dir, "capture.pcap")},
		{filepath.Join(dir, "capture.pcap"), filepath.Join(dir, "capture-responder.pcap")},
	} {
		r, err := StartFiles(names, Options{Logs: logs})
		if err != nil {
			t.Fatal(err)
		}
		placed := 0
		for step := 0; ; step++ {
			done, err := r.Step(1)
			if err != nil {
				t.Fatal(err)
			}
			for range 2 { // twice: the second snapshot of the same state reuses the placement
				res := r.Snapshot()
				fresh := *res.Analysis
				fresh.Logs, fresh.LogFiles = nil, nil
				placeLogs(&fresh, logs)
				if !reflect.DeepEqual(fresh.Logs, res.Analysis.Logs) || !reflect.DeepEqual(fresh.LogFiles, res.Analysis.LogFiles) {
					t.Fatalf("%d captures, step %d: the logs placed differ from a fresh placement", len(names), step)
				}
				for _, e := range res.Analysis.Logs {
					if e.IKESA != 0 {
						placed++
						if got := res.Analysis.LogsOf(e.IKESA); len(got) == 0 {
							t.Fatalf("step %d: the logs are not indexed by IKE SA", step)
						}
						break
					}
				}
			}
			if done {
				break
			}
		}
		r.Close()
		if placed == 0 {
			t.Errorf("%d captures: no log line was ever placed on an IKE SA", len(names))
		}
	}
}
