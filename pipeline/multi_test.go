package pipeline

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/ipsecpcap/ipsecpcap/capture"
	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/diagnose"
	"github.com/ipsecpcap/ipsecpcap/gwlog"
)

// shifted writes a copy of a capture whose clock is off by d.
func shifted(t *testing.T, src string, d time.Duration) string {
	return shiftedWithout(t, src, d, nil)
}

// shiftedWithout also leaves out the frames drop names.
func shiftedWithout(t *testing.T, src string, d time.Duration, drop func(frame int) bool) string {
	return rewritten(t, src, d, drop, 262144)
}

// cutShifted cuts the records to snaplen bytes too, as a capture point
// with a short snaplen (a firewall's packet capture) records them.
func cutShifted(t *testing.T, src string, d time.Duration, snaplen int) string {
	return rewritten(t, src, d, nil, snaplen)
}

// rewritten writes a copy of a capture with its clock off by d, without
// the frames drop names (nil: none), its records cut to snaplen bytes.
func rewritten(t *testing.T, src string, d time.Duration, drop func(frame int) bool, snaplen int) string {
	t.Helper()
	in, err := capture.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out := filepath.Join(t.TempDir(), "rewritten.pcap")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := pcapgo.NewWriterNanos(f)
	first := true
	for {
		rec, err := in.Next()
		if err != nil {
			break
		}
		if drop != nil && drop(rec.Frame) {
			continue
		}
		if first {
			if err := w.WriteFileHeader(uint32(snaplen), layers.LinkType(rec.LinkType)); err != nil {
				t.Fatal(err)
			}
			first = false
		}
		data := rec.Data[:min(len(rec.Data), snaplen)]
		ci := gopacket.CaptureInfo{Timestamp: rec.Time.Add(d), CaptureLength: len(data), Length: rec.OrigLen}
		if err := w.WritePacket(ci, data); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// The same capture given twice, its clock shifted: every message is one
// message seen at two points, not a retransmission, the offset is found,
// and the findings are those of the capture alone — also when the second
// copy of a message arrives after the first point's next attempts (an
// INVALID_KE retry, a rekey, retransmissions).
func TestTwoPointsOfTheSameCapture(t *testing.T) {
	for _, sc := range []string{"ikev2-ok", "ikev2-invalid-ke-retry", "ikev2-rekey", "ikev1-main-psk-mismatch", "ikev1-dpd-peer-dead", "ikev1-ts-not-mirrored"} {
		t.Run(sc, func(t *testing.T) { twoPointsOfTheSameCapture(t, "../testdata/pcaps/lab/"+sc+"/capture.pcap") })
	}
}

func twoPointsOfTheSameCapture(t *testing.T, name string) {
	one, err := Analyze(name, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, shift := range []time.Duration{0, 300 * time.Millisecond, 2500 * time.Millisecond, -90 * time.Minute} {
		other := shifted(t, name, shift)
		two, err := AnalyzeFiles([]string{name, other}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(two.Inputs) != 2 || two.Inputs[1].Capture != 2 {
			t.Fatalf("inputs %+v", two.Inputs)
		}
		if len(two.Analysis.IKESAs) != len(one.Analysis.IKESAs) {
			t.Fatalf("shift %v: %d IKE SAs, want %d", shift, len(two.Analysis.IKESAs), len(one.Analysis.IKESAs))
		}
		for i, sa := range two.Analysis.IKESAs {
			want := one.Analysis.IKESAs[i]
			if sa.State != want.State || len(sa.Exchanges) != len(want.Exchanges) || len(sa.Points) != 2 {
				t.Fatalf("shift %v: SA %d %s with %d exchanges at %d points, want %s with %d", shift, sa.ID, sa.State, len(sa.Exchanges), len(sa.Points), want.State, len(want.Exchanges))
			}
			for j, ex := range sa.Exchanges {
				for n, m := range ex.Messages {
					w := want.Exchanges[j].Messages[n]
					if m.Sent != w.Sent || !m.SeenAt(1) || !m.SeenAt(2) {
						t.Errorf("shift %v: %s message %d sent %d seen %+v, want sent %d at both points", shift, ex.Name(), n+1, m.Sent, m.Seen, w.Sent)
					}
					if k, _ := decode.SplitFrame(m.Frames[0]); k != 1 {
						t.Errorf("shift %v: frames %v are not the first capture's", shift, m.Frames)
					}
				}
			}
		}
		cc := two.Analysis.Captures
		if len(cc) != 2 || cc[1].Offset != shift || cc[1].Samples == 0 {
			t.Errorf("shift %v: clocks %+v", shift, cc)
		}
		if got, want := sortedCodes(two.Findings), sortedCodes(one.Findings); got != want {
			t.Errorf("shift %v: findings %s, want %s", shift, got, want)
		}
	}
}

// A second point that never saw the IKE_AUTH response (frame 4), or the
// responder's ESP (even frames from 6 on): PATH_LOSS names the segment.
func TestPathLoss(t *testing.T) {
	const name = "../testdata/pcaps/lab/ikev2-ok/capture.pcap"
	for _, tc := range []struct {
		what string
		drop func(int) bool
		want string
	}{
		{"IKE_AUTH response", func(n int) bool { return n == 4 }, "IKE_AUTH response (message ID 1, sent 1×, frame 1:4) left 198.18.1.2 at capture 1 but never reached capture 2"},
		{"responder's ESP", func(n int) bool { return n >= 6 && n%2 == 0 }, "ESP SPI 0xe1ef7f2f 198.18.1.2 → 198.18.1.1: 8 packets seen at capture 1, 3 at capture 2"},
	} {
		other := shiftedWithout(t, name, 40*time.Millisecond, tc.drop)
		res, err := AnalyzeFiles([]string{name, other}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range res.Findings {
			if f.Code == "PATH_LOSS" {
				got = append(got, f.Summary)
			}
		}
		if len(got) != 1 || !strings.Contains(got[0], tc.want) {
			t.Errorf("%s lost: PATH_LOSS findings %q, want one with %q (all: %v)", tc.what, got, tc.want, codes(res.Findings))
		}
		if off := res.Analysis.Captures[1].Offset; off != 40*time.Millisecond {
			t.Errorf("%s lost: offset %v", tc.what, off)
		}
	}
	// Nothing lost: no PATH_LOSS.
	res, err := AnalyzeFiles([]string{name, shifted(t, name, time.Second)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Findings {
		if f.Code == "PATH_LOSS" {
			t.Errorf("PATH_LOSS without loss: %s", f.Summary)
		}
	}
}

// The receiving gateway's own log decides what a second capture point
// cannot: a message missing at that point but logged as received by the
// responder was missed by the capture, not lost on the path (no PATH_LOSS);
// with the logs of a real loss, PATH_LOSS becomes certain.
func TestPathLossAndTheReceiversLog(t *testing.T) {
	logs := func(dir string) []*gwlog.Log { return charonLogs(t, dir) }
	pathLoss := func(res *Result) *diagnose.Finding {
		for i, f := range res.Findings {
			if f.Code == diagnose.PathLoss {
				return &res.Findings[i]
			}
		}
		return nil
	}

	// ikev2-ok, with a second point that misses the IKE_AUTH request
	// (frame 3), which the responder logged as received.
	const ok = "../testdata/pcaps/lab/ikev2-ok"
	other := shiftedWithout(t, ok+"/capture.pcap", 0, func(n int) bool { return n == 3 })
	res, err := AnalyzeFiles([]string{ok + "/capture.pcap", other}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if pathLoss(res) == nil {
		t.Fatal("without logs the missing message is a PATH_LOSS")
	}
	res, err = AnalyzeFiles([]string{ok + "/capture.pcap", other}, Options{Logs: logs(ok)})
	if err != nil {
		t.Fatal(err)
	}
	if f := pathLoss(res); f != nil {
		t.Errorf("PATH_LOSS though the responder logged the message: %s", f.Summary)
	}

	// ikev2-udp4500-blocked: the responder's capture has nothing after
	// IKE_SA_INIT (inferred), its log goes on without IKE_AUTH (certain).
	const blocked = "../testdata/pcaps/lab/ikev2-udp4500-blocked"
	files := []string{blocked + "/capture.pcap", blocked + "/capture-responder.pcap"}
	res, err = AnalyzeFiles(files, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if f := pathLoss(res); f == nil || f.Certainty != diagnose.Inferred {
		t.Fatalf("without logs: %+v, want PATH_LOSS inferred", f)
	}
	res, err = AnalyzeFiles(files, Options{Logs: logs(blocked)})
	if err != nil {
		t.Fatal(err)
	}
	f := pathLoss(res)
	if f == nil || f.Certainty != diagnose.Certain || len(f.Logs) == 0 || !strings.Contains(f.Logs[0], "charon-responder.log") {
		t.Fatalf("with logs: %+v, want PATH_LOSS certain with the responder's log line", f)
	}
}

// An IKEv2 message sent as RFC 7383 fragments and seen at two points is
// one message: its frames are the first capture's fragments, the second
// capture's fragments are sightings.
func TestTwoPointsIKEFragments(t *testing.T) {
	const name = "../../shared/captures/zeek-plugin-ikev2/tests/Traces/ikev2.pcap"
	if _, err := os.Stat(name); err != nil {
		t.Skip("shared captures absent")
	}
	one, err := Analyze(name, Options{})
	if err != nil {
		t.Fatal(err)
	}
	two, err := AnalyzeFiles([]string{name, shifted(t, name, 300*time.Millisecond)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for i, sa := range two.Analysis.IKESAs {
		for j, ex := range sa.Exchanges {
			for n, m := range ex.Messages {
				w := one.Analysis.IKESAs[i].Exchanges[j].Messages[n]
				if w.IKEFragments == 0 {
					continue
				}
				checked++
				if len(m.Frames) != len(w.Frames) || len(m.Seen) != 2*len(w.Frames) {
					t.Errorf("%s: frames %v (want %d of capture 1), seen %d times (want %d)", ex.Name(), m.Frames, len(w.Frames), len(m.Seen), 2*len(w.Frames))
				}
				for _, f := range m.Frames {
					if k, _ := decode.SplitFrame(f); k != 1 {
						t.Errorf("%s: frame %s is not the first capture's", ex.Name(), decode.FrameLabel(f))
					}
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no fragmented message in the capture")
	}
	if fmt.Sprint(codes(two.Findings)) != fmt.Sprint(codes(one.Findings)) {
		t.Errorf("findings %v, want %v", codes(two.Findings), codes(one.Findings))
	}
}

// sortedCodes lists the finding codes in order, for comparing the set.
func sortedCodes(fs []diagnose.Finding) string {
	c := codes(fs)
	slices.Sort(c)
	return fmt.Sprint(c)
}

// An ESP flow's recent packets are on the first capture's clock in the
// analysis, as its Last is: PacketsAfter finds exactly the last packet
// after Last less a nanosecond, at either point, whatever the second
// point's clock offset.
func TestRecentPacketsOnTheFirstClock(t *testing.T) {
	name := "../testdata/pcaps/lab/ikev2-ok/capture.pcap"
	for _, shift := range []time.Duration{0, 2500 * time.Millisecond, -90 * time.Minute} {
		two, err := AnalyzeFiles([]string{name, shifted(t, name, shift)}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		points := map[int]bool{}
		for _, f := range two.Analysis.ESP {
			points[f.Capture] = true
			if n, first := f.PacketsAfter(f.Last.Add(-time.Nanosecond)); n != 1 || first != f.LastFrame {
				t.Errorf("shift %v: capture %d SPI %08x: %d packets after its last one's time less 1 ns (first %d), want 1 (frame %d)",
					shift, f.Capture, f.SPI, n, first, f.LastFrame)
			}
			if n, _ := f.PacketsAfter(f.Last); n != 0 {
				t.Errorf("shift %v: capture %d SPI %08x: %d packets after its last one", shift, f.Capture, f.SPI, n)
			}
		}
		if !points[1] || !points[2] {
			t.Fatalf("shift %v: ESP flows at points %v, want 1 and 2", shift, points)
		}
	}
}

// charonLogs reads a lab scenario's two charon logs.
func charonLogs(t *testing.T, dir string) []*gwlog.Log {
	t.Helper()
	var ls []*gwlog.Log
	for _, side := range []string{"initiator", "responder"} {
		l, err := gwlog.ParseFile(filepath.Join(dir, "charon-"+side+".log"))
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
	}
	return ls
}

// A second point with a short snaplen holds only the start of each IKE
// message: its copies are still copies (the same IKE header, sent the same
// way), not new messages or retransmissions.
func TestTwoPointsOneWithAShortSnaplen(t *testing.T) {
	for _, sc := range []string{"ikev2-ok", "ikev2-invalid-ke-retry", "ikev2-rekey", "ikev1-main-psk-mismatch", "ikev1-dpd-peer-dead"} {
		t.Run(sc, func(t *testing.T) {
			name := "../testdata/pcaps/lab/" + sc + "/capture.pcap"
			one, err := Analyze(name, Options{})
			if err != nil {
				t.Fatal(err)
			}
			two, err := AnalyzeFiles([]string{name, cutShifted(t, name, 2500*time.Millisecond, 96)}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(two.Analysis.IKESAs) != len(one.Analysis.IKESAs) {
				t.Fatalf("%d IKE SAs, want %d", len(two.Analysis.IKESAs), len(one.Analysis.IKESAs))
			}
			for i, sa := range two.Analysis.IKESAs {
				want := one.Analysis.IKESAs[i]
				if sa.State != want.State || len(sa.Exchanges) != len(want.Exchanges) {
					t.Fatalf("SA %d %s with %d exchanges, want %s with %d", sa.ID, sa.State, len(sa.Exchanges), want.State, len(want.Exchanges))
				}
				for j, ex := range sa.Exchanges {
					if len(ex.Messages) != len(want.Exchanges[j].Messages) {
						t.Fatalf("SA %d %s: %d messages, want %d", sa.ID, ex.Name(), len(ex.Messages), len(want.Exchanges[j].Messages))
					}
					for n, m := range ex.Messages {
						if w := want.Exchanges[j].Messages[n]; m.Sent != w.Sent || !m.SeenAt(1) || !m.SeenAt(2) {
							t.Errorf("SA %d %s message %d: sent %d seen %+v, want sent %d at both points", sa.ID, ex.Name(), n+1, m.Sent, m.Seen, w.Sent)
						}
					}
				}
			}
			if got, want := sortedCodes(two.Findings), sortedCodes(one.Findings); got != want {
				t.Errorf("findings %s, want %s", got, want)
			}
		})
	}
}
