package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipsecpcap/ipsecpcap/diagnose"
)

const lab = "../testdata/pcaps/lab"

func TestAnalyzeLabCapture(t *testing.T) {
	res, err := Analyze(filepath.Join(lab, "ikev1-main-psk-mismatch/capture.pcap"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(filepath.Join(lab, "ikev1-main-psk-mismatch/capture.pcap"))
	if !res.Done || res.Input.Packets != 12 || res.Input.Size != st.Size() || len(res.Input.SHA256) != 64 {
		t.Errorf("input %+v done %v", res.Input, res.Done)
	}
	if len(res.Findings) == 0 || res.Findings[0].Code != diagnose.P1AuthFailed {
		t.Errorf("findings %+v", res.Findings)
	}
}

// TestStepAndSnapshot: a run stepped a few records at a time hands out
// growing, consistent snapshots, as the TUI takes them.
func TestStepAndSnapshot(t *testing.T) {
	r, err := Start(filepath.Join(lab, "ikev2-stale-spi/capture.pcap"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	last := -1
	for i := 0; ; i++ {
		done, err := r.Step(5)
		if err != nil {
			t.Fatal(err)
		}
		s := r.Snapshot()
		if s.Input.Packets < last {
			t.Fatalf("snapshot went back from %d to %d packets", last, s.Input.Packets)
		}
		last = s.Input.Packets
		if read, total := r.Progress(); read > total || total == 0 {
			t.Fatalf("progress %d of %d", read, total)
		}
		if done {
			break
		}
		if i > 100 {
			t.Fatal("never done")
		}
	}
	if s := r.Snapshot(); !s.Done || s.Input.Packets != 36 || s.Input.SHA256 == "" {
		t.Errorf("final %+v", s.Input)
	}
}

func TestProblemsReported(t *testing.T) {
	var got []string
	_, err := Analyze("../../shared/captures/tcpdump/tests/isakmp-delete-segfault.pcap", Options{Problem: func(s string) { got = append(got, s) }})
	if err != nil {
		t.Skip("shared captures not present")
	}
	if len(got) == 0 || !strings.Contains(got[0], "isakmp-delete-segfault.pcap: frame 1, byte offset 66") {
		t.Errorf("problems %q", got)
	}
}
