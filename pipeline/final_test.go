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
