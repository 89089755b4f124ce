package gwlog

import (
	"path/filepath"
	"testing"
	"time"
)

// TestLabAlignment aligns every lab log with its capture: the logs and the
// captures share a clock, so the offset must come out near zero and nearly
// every packet line must find its frame.
func TestLabAlignment(t *testing.T) {
	for _, sc := range labScenarios(t) {
		res, err := analyzeCapture(filepath.Join(labDir, sc.Capture))
		if err != nil {
			t.Fatalf("%s: %v", sc.Name, err)
		}
		for _, lp := range sc.Logs {
			log, err := ParseFile(filepath.Join(labDir, lp))
			if err != nil {
				t.Fatal(err)
			}
			al := Align(log, res.Analysis)
			ratio := 1.0
			if al.PacketEvents > 0 {
				ratio = float64(al.Matches) / float64(al.PacketEvents)
			}
			t.Logf("%-32s %-22s packets %3d matched %3d (%.0f%%) offset %v", sc.Name, filepath.Base(lp), al.PacketEvents, al.Matches, 100*ratio, al.Offset)
			if log.Format == FormatPluto {
				continue // pluto at the lab's level names no packet sizes
			}
			if ratio < 0.9 {
				t.Errorf("%s %s: %d of %d packet events matched", sc.Name, lp, al.Matches, al.PacketEvents)
			}
			if al.Offset < -2*time.Second || al.Offset > 2*time.Second {
				t.Errorf("%s %s: offset %v, want about 0", sc.Name, lp, al.Offset)
			}
		}
	}
}
