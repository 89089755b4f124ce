package pipeline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket/layers"

	"github.com/ipsecpcap/ipsecpcap/capture"
	labm "github.com/ipsecpcap/ipsecpcap/lab"
)

// cutByCount splits records into n pieces of about the same count.
func cutByCount(recs []rec, n int) [][]rec {
	var out [][]rec
	for i := range n {
		a, b := i*len(recs)/n, (i+1)*len(recs)/n
		if a < b {
			out = append(out, recs[a:b])
		}
	}
	return out
}

// cutByTime splits records into n pieces of about the same duration, as
// tcpdump -G rotates (a piece may be empty: it is left out, as tcpdump
// writes no file for a period without packets only with -G and a filter).
func cutByTime(recs []rec, n int) [][]rec {
	t0, t1 := recs[0].ci.Timestamp, recs[len(recs)-1].ci.Timestamp
	span := t1.Sub(t0)
	out := make([][]rec, n)
	for _, r := range recs {
		i := int(float64(r.ci.Timestamp.Sub(t0)) / float64(span+1) * float64(n))
		out[i] = append(out[i], r)
	}
	var kept [][]rec
	for _, p := range out {
		if len(p) > 0 {
			kept = append(kept, p)
		}
	}
	return kept
}

// writePieces writes pieces as prefix_00.pcap, prefix_01.pcap, ... in dir
// and returns their names in a shuffled order.
func writePieces(t *testing.T, dir, prefix string, lt layers.LinkType, pieces [][]rec, rng *rand.Rand) []string {
	t.Helper()
	var names []string
	for i, p := range pieces {
		src := writePcap(t, lt, p)
		name := filepath.Join(dir, fmt.Sprintf("%s_%02d.pcap", prefix, i))
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, b, 0o644); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	rng.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	return names
}

// findingsJSON is what the findings say, frames and all.
func findingsJSON(t *testing.T, res *Result) string {
	t.Helper()
	b, err := json.MarshalIndent(res.Findings, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestPiecesAreOneCapture splits every lab capture into 2, 3 and 10 pieces,
// by record count and by time, gives them in a shuffled order, and expects
// exactly the findings of the whole file: the pieces are one capture point,
// read in time order, frames numbered on across them.
func TestPiecesAreOneCapture(t *testing.T) {
	m, err := labm.Load("../testdata/pcaps/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(1))
	for _, sc := range m.Scenarios {
		t.Run(sc.Name, func(t *testing.T) {
			path := m.Path(sc.Capture)
			whole, err := Analyze(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			want := findingsJSON(t, whole)
			recs := readRecords(t, path)
			lt := linkType(t, path)
			for _, n := range []int{2, 3, 10} {
				for _, by := range []string{"count", "time"} {
					pieces := cutByCount(recs, n)
					if by == "time" {
						pieces = cutByTime(recs, n)
					}
					names := writePieces(t, t.TempDir(), "cap", lt, pieces, rng)
					res, err := AnalyzeFiles(names, Options{})
					if err != nil {
						t.Fatal(err)
					}
					if len(res.Inputs) != 1 || len(res.Inputs[0].Files) != len(pieces) && len(pieces) > 1 {
						t.Fatalf("%d pieces by %s: %d capture points, want one of %d files (%+v)", n, by, len(res.Inputs), len(pieces), res.Inputs)
					}
					if got := findingsJSON(t, res); got != want {
						t.Errorf("%d pieces by %s: findings differ from the whole file's\ngot  %s\nwant %s", n, by, got, want)
					}
				}
			}
		})
	}
}

// TestTwoPointsInPieces splits each capture of the lab's two-point
// scenarios into pieces: given all together in any order, they are the two
// points again, with the findings of the two whole files.
func TestTwoPointsInPieces(t *testing.T) {
	m, err := labm.Load("../testdata/pcaps/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(2))
	n := 0
	for _, sc := range m.Scenarios {
		if len(sc.Captures) == 0 {
			continue
		}
		n++
		t.Run(sc.Name, func(t *testing.T) {
			paths := []string{m.Path(sc.Capture)}
			for _, c := range sc.Captures {
				paths = append(paths, m.Path(c.Path))
			}
			whole, err := AnalyzeFiles(paths, Options{})
			if err != nil {
				t.Fatal(err)
			}
			want := findingsJSON(t, whole)
			dir := t.TempDir()
			var all []string
			for i, p := range paths {
				all = append(all, writePieces(t, dir, fmt.Sprintf("point%c", 'a'+i), linkType(t, p), cutByCount(readRecords(t, p), 3), rng)...)
			}
			// Each point's first piece first, so capture k is point k as in
			// the whole run; the other pieces in any order.
			first := map[string]bool{}
			for i := range paths {
				first[filepath.Join(dir, fmt.Sprintf("point%c_00.pcap", 'a'+i))] = true
			}
			var order []string
			for i := range paths {
				order = append(order, filepath.Join(dir, fmt.Sprintf("point%c_00.pcap", 'a'+i)))
			}
			for _, f := range all {
				if !first[f] {
					order = append(order, f)
				}
			}
			res, err := AnalyzeFiles(order, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Inputs) != len(paths) {
				for _, in := range res.Inputs {
					t.Logf("point %s: %s", in.Name, in.Grouping)
				}
				t.Fatalf("%d capture points, want %d", len(res.Inputs), len(paths))
			}
			if got := findingsJSON(t, res); got != want {
				t.Errorf("findings differ from the whole files'\ngot  %s\nwant %s", got, want)
			}
		})
	}
	if n == 0 {
		t.Error("no two-point scenario in the lab")
	}
}

// TestLiveRingIsOneCapture writes lab captures through the writer of
// `live -w OUT --ring N --ring-size SIZE` (OUT is the newest file, OUT.1
// the one before, ...), pcap and pcapng, and analyses the ring's files as
// the shell lists them: the findings are the whole capture's.
func TestLiveRingIsOneCapture(t *testing.T) {
	m, err := labm.Load("../testdata/pcaps/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, sc := range m.Scenarios {
		path := m.Path(sc.Capture)
		recs := readRecords(t, path)
		if len(recs) < 30 {
			continue
		}
		n++
		t.Run(sc.Name, func(t *testing.T) {
			whole, err := Analyze(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			want := findingsJSON(t, whole)
			for _, out := range []string{"ring.pcap", "ring.pcapng"} {
				out = filepath.Join(t.TempDir(), out)
				var size int64
				for _, r := range recs {
					size += int64(len(r.data)) + 16
				}
				w, err := capture.CreateWriter(out, capture.LinkType(linkType(t, path)), capture.WriterOptions{Ring: 100, RingSize: size/5 + 200})
				if err != nil {
					t.Fatal(err)
				}
				for i, r := range recs {
					if err := w.Write(&capture.Record{Frame: i + 1, Time: r.ci.Timestamp, LinkType: capture.LinkType(linkType(t, path)), Data: r.data, OrigLen: r.ci.Length}); err != nil {
						t.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				files, _ := filepath.Glob(out + "*")
				if len(files) < 3 {
					t.Fatalf("%s: the ring has %d files, want several", out, len(files))
				}
				res, err := AnalyzeFiles(files, Options{})
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Inputs) != 1 {
					t.Fatalf("%s: %d capture points, want one", out, len(res.Inputs))
				}
				if got := findingsJSON(t, res); got != want {
					t.Errorf("%s: findings differ from the whole capture's\ngot  %s\nwant %s", out, got, want)
				}
			}
		})
		if n == 6 {
			break
		}
	}
}

// TestFramesOfPieces: a run over a capture in pieces, and over the same
// capture with its records shuffled, reads every frame again through the
// frame store exactly as the run over the whole file does.
func TestFramesOfPieces(t *testing.T) {
	for _, name := range []string{"ikev2-life-rekeys", "ikev1-life-rekeys", "ikev2-stale-spi"} {
		t.Run(name, func(t *testing.T) {
			path := "../testdata/pcaps/lab/" + name + "/capture.pcap"
			recs := readRecords(t, path)
			lt := linkType(t, path)
			run := func(names ...string) *Run {
				r, err := StartFiles(names, Options{KeepFrames: true})
				if err != nil {
					t.Fatal(err)
				}
				if err := r.RunToEnd(); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(r.Close)
				return r
			}
			whole := run(path)
			pieces := run(writePieces(t, t.TempDir(), "cap", lt, cutByCount(recs, 4), rand.New(rand.NewSource(4)))...)
			// Shuffled within a second: frame n of this file is recs[idx[n-1]].
			idx := rand.New(rand.NewSource(5)).Perm(len(recs))
			sort.SliceStable(idx, func(a, b int) bool {
				return recs[idx[a]].ci.Timestamp.Add(time.Duration(idx[a]%7) * 100 * time.Millisecond).Before(recs[idx[b]].ci.Timestamp.Add(time.Duration(idx[b]%7) * 100 * time.Millisecond))
			})
			var shuffled []rec
			for _, i := range idx {
				shuffled = append(shuffled, recs[i])
			}
			mixed := run(writePcap(t, lt, shuffled))
			for n := 1; n <= len(recs); n++ {
				want, err := whole.Frame(n)
				if err != nil {
					t.Fatalf("whole file, frame %d: %v", n, err)
				}
				got, err := pieces.Frame(n)
				if err != nil {
					t.Fatalf("pieces, frame %d: %v", n, err)
				}
				if !bytes.Equal(got.Record.Data, want.Record.Data) || !got.Record.Time.Equal(want.Record.Time) {
					t.Errorf("pieces, frame %d: not the whole file's frame %d", n, n)
				}
				orig := idx[n-1] + 1
				got, err = mixed.Frame(n)
				if err != nil {
					t.Fatalf("shuffled, frame %d: %v", n, err)
				}
				if want, _ := whole.Frame(orig); !bytes.Equal(got.Record.Data, want.Record.Data) {
					t.Errorf("shuffled, frame %d: not the whole file's frame %d", n, orig)
				}
			}
		})
	}
}

// TestBrokenPiece: a piece cut in the middle of a record is reported, with
// its file and where it broke off, and reading goes on with the next piece.
func TestBrokenPiece(t *testing.T) {
	path := "../testdata/pcaps/lab/ikev2-life-rekeys/capture.pcap"
	recs := readRecords(t, path)
	dir := t.TempDir()
	names := writePieces(t, dir, "cap", linkType(t, path), cutByCount(recs, 3), rand.New(rand.NewSource(6)))
	mid := filepath.Join(dir, "cap_01.pcap")
	b, err := os.ReadFile(mid)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mid, b[:len(b)-7], 0o644); err != nil {
		t.Fatal(err)
	}
	var problems []string
	res, err := AnalyzeFiles(names, Options{Problem: func(s string) { problems = append(problems, s) }})
	if err != nil {
		t.Fatal(err)
	}
	in := res.Inputs[0]
	if len(res.Inputs) != 1 || len(in.Files) != 3 || in.Files[1].ReadError == nil || in.Files[2].Packets == 0 {
		t.Fatalf("inputs %+v", res.Inputs)
	}
	if in.Packets != len(recs)-1 {
		t.Errorf("%d frames read, want all but the cut one (%d)", in.Packets, len(recs)-1)
	}
	if len(problems) != 1 || !strings.Contains(problems[0], "cap_01.pcap") || !strings.Contains(problems[0], "reading goes on with the next file") {
		t.Errorf("problems %q", problems)
	}
}
