package events

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/diagnose"
	"github.com/ipsecpcap/ipsecpcap/pipeline"
)

// id names an event for comparisons: what it is and the first frame that
// shows it (a finding's list of frames grows as the capture is read: live
// gives it once, with the frames known then, as live --json does).
func id(e Event) string {
	if f := e.IPsec.Finding; f != nil {
		first := 0
		if len(f.Frames) > 0 {
			first = f.Frames[0]
		}
		return f.Code + "@" + strconv.Itoa(first)
	}
	return e.Event.Action + "@" + strconv.Itoa(e.IPsec.Frame)
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestStreamAsTheCaptureIsRead steps a run over lab captures as live does,
// taking the stream's events at each snapshot: every event of the final
// analysis comes once, findings never twice, and nothing comes again once
// the capture is read.
func TestStreamAsTheCaptureIsRead(t *testing.T) {
	for _, sc := range []string{"ikev2-life-rekeys", "ikev2-psk-mismatch", "ikev1-qm-rekey-refused", "ikev2-reauth-break-before-make", "ikev2-esp-one-way"} {
		t.Run(sc, func(t *testing.T) {
			run, err := pipeline.Start("../testdata/pcaps/lab/"+sc+"/capture.pcap", pipeline.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer run.Close()
			s := NewStream(Source{Hostname: "h", Interface: "eth1", Version: "v"})
			var got []string
			for {
				done, err := run.Step(7)
				if err != nil {
					t.Fatal(err)
				}
				res := run.Snapshot()
				for _, e := range s.Next(res.Analysis, res.Findings, time.Now()) {
					got = append(got, id(e))
					if e.Observer.Ingress == nil || e.Observer.Ingress.Interface.Name != "eth1" {
						t.Fatalf("observer %+v", e.Observer)
					}
				}
				if done {
					break
				}
			}
			res := run.Snapshot()
			if again := s.Next(res.Analysis, res.Findings, time.Now()); len(again) != 0 {
				t.Errorf("%d events again at the end", len(again))
			}
			var want []string
			for _, e := range All(res.Analysis, res.Findings, Source{}, time.Now()) {
				want = append(want, id(e))
			}
			seen := map[string]bool{}
			for _, g := range got {
				if seen[g] {
					t.Errorf("%s twice", g)
				}
				seen[g] = true
			}
			for _, w := range want {
				if !seen[w] {
					t.Errorf("%s of the final analysis never came (came: %v)", w, got)
				}
			}
			if len(want) == 0 {
				t.Fatal("no events")
			}
			t.Logf("live %v\nfinal %v", got, want)
		})
	}
}

// TestEventsOfAFailure: a tunnel that never came up is one tunnel-failed
// event with its IKE SA, after the finding's.
func TestEventsOfAFailure(t *testing.T) {
	res, err := pipeline.Analyze("../testdata/pcaps/lab/ikev2-psk-mismatch/capture.pcap", pipeline.Options{})
	if err != nil {
		t.Fatal(err)
	}
	evs := All(res.Analysis, res.Findings, Source{Input: "x.pcap"}, time.Now())
	var actions []string
	for _, e := range evs {
		actions = append(actions, e.Event.Action)
		if e.Event.Action == ActionFailed {
			if e.IPsec.IKESA == nil || e.Event.Severity != 3 || e.Event.Outcome != "failure" || e.Source == nil || e.Source.Port == 0 {
				t.Errorf("failed event: %s", jsonOf(e))
			}
		}
		if e.Meta.Input != "x.pcap" || e.Meta.EventsSchema != SchemaVersion || e.Observer.Ingress != nil {
			t.Errorf("meta %+v, observer %+v", e.Meta, e.Observer)
		}
	}
	if !slices.Contains(actions, ActionFailed) || slices.Contains(actions, ActionUp) {
		t.Errorf("actions %v", actions)
	}
}

// TestNoPanicOnOddAnalyses: findings naming SAs and tunnels that are not
// there, an empty analysis, ESP indexes out of range.
func TestNoPanicOnOddAnalyses(t *testing.T) {
	a := &correlate.Analysis{}
	a.Tunnels = []*correlate.Tunnel{{ID: 1, ESP: []int{5, -1}, IKESAs: []int{9}, State: correlate.TunnelFailed, Up: []correlate.Interval{{}}}}
	fs := []diagnose.Finding{{Code: "X", IKESA: 3, Tunnel: 7, Child: 2, Frames: []int{1 << 50}}, {Code: "Y"}}
	for _, evs := range [][]Event{All(a, fs, Source{}, time.Now()), All(&correlate.Analysis{}, nil, Source{}, time.Time{})} {
		var buf bytes.Buffer
		w, _ := Create("-", &buf, false)
		if err := w.Write(evs); err != nil {
			t.Fatal(err)
		}
	}
}

// TestWriterReopens: after the file is moved away (a rotation), Reopen
// makes the next lines go to a new file at the path.
func TestWriterReopens(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "events.json")
	w, err := Create(path, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	ev := []Event{{Message: "one"}}
	if err := w.Write(ev); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	ev[0].Message = "two"
	w.Write(ev) // still into the moved file
	if err := w.Reopen(); err != nil {
		t.Fatal(err)
	}
	ev[0].Message = "three"
	w.Write(ev)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	old, _ := os.ReadFile(path + ".1")
	cur, _ := os.ReadFile(path)
	if bytes.Count(old, []byte("\n")) != 2 || !bytes.Contains(old, []byte(`"two"`)) || bytes.Count(cur, []byte("\n")) != 1 || !bytes.Contains(cur, []byte(`"three"`)) {
		t.Errorf("rotated file:\n%s\nnew file:\n%s", old, cur)
	}
	// appending: a sensor restarted goes on with its file
	w, _ = Create(path, nil, true)
	w.Write(ev)
	w.Close()
	if cur, _ = os.ReadFile(path); bytes.Count(cur, []byte("\n")) != 2 {
		t.Errorf("not appended:\n%s", cur)
	}
}
