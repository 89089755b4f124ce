package pipeline

import (
	"testing"

	"github.com/ipsecpcap/ipsecpcap/capture"
)

// idleSource is a live source: records from a file, with "nothing yet"
// between them.
type idleSource struct {
	f     *capture.File
	idle  bool
	drops uint64
}

func (s *idleSource) Next() (*capture.Record, error) {
	s.idle = !s.idle
	if s.idle {
		return nil, capture.ErrNoPacket
	}
	return s.f.Next()
}

func (s *idleSource) Close() error  { return s.f.Close() }
func (s *idleSource) Drops() uint64 { return s.drops }

// TestLiveSourceIdle: a live source with nothing to give makes Step return
// without ending the run, so snapshots are taken between packets.
func TestLiveSourceIdle(t *testing.T) {
	const name = "../testdata/pcaps/lab/ikev2-psk-mismatch/capture.pcap"
	f, err := capture.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	src := &idleSource{f: f, drops: 3}
	r := StartSource("veth0", src, Options{})
	defer r.Close()
	steps := 0
	for {
		done, err := r.Step(1 << 20)
		if err != nil {
			t.Fatal(err)
		}
		if done {
			break
		}
		if steps++; steps > 1000 {
			t.Fatal("the run does not end")
		}
		if res := r.Snapshot(); res.Done {
			t.Fatal("done before the source ended")
		}
	}
	want, err := Analyze(name, Options{})
	if err != nil {
		t.Fatal(err)
	}
	res := r.Snapshot()
	if steps < want.Input.Packets {
		t.Fatalf("%d steps for %d packets: Step went on past ErrNoPacket", steps, want.Input.Packets)
	}
	if !res.Done || res.Input.Packets != want.Input.Packets || len(res.Findings) == 0 {
		t.Fatalf("done %v, %d packets (want %d), findings %v", res.Done, res.Input.Packets, want.Input.Packets, res.Findings)
	}
	if res.Input.Drops != 3 || res.Analysis.CaptureDrops != 3 {
		t.Fatalf("drops %d / %d", res.Input.Drops, res.Analysis.CaptureDrops)
	}
}
