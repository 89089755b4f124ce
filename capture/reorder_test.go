package capture_test

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/ipsecpcap/ipsecpcap/capture"
)

// event is what a listSource yields at one call: a record or an error.
type event struct {
	rec *capture.Record
	err error
}

// listSource yields events as a File yields records: into one Record and
// one data buffer that the next call reuses.
type listSource struct {
	events []event
	i      int
	rec    capture.Record
	buf    []byte
	drops  uint64
	closed bool
}

func (s *listSource) Next() (*capture.Record, error) {
	if s.i >= len(s.events) {
		return nil, io.EOF
	}
	e := s.events[s.i]
	s.i++
	if e.err != nil {
		return nil, e.err
	}
	s.buf = append(s.buf[:0], e.rec.Data...)
	s.rec = *e.rec
	s.rec.Data = s.buf
	return &s.rec, nil
}

func (s *listSource) Drops() uint64 { return s.drops }
func (s *listSource) Close() error  { s.closed = true; return nil }

func recordEvents(recs []capture.Record) []event {
	var ev []event
	for i := range recs {
		ev = append(ev, event{rec: &recs[i]})
	}
	return ev
}

// drain reads a Source to io.EOF or a final error, copying the records;
// it stops the test on a runaway source.
func drain(t testing.TB, src capture.Source) ([]capture.Record, []error, error) {
	var recs []capture.Record
	var errs []error
	for {
		r, err := src.Next()
		if err == io.EOF {
			return recs, errs, nil
		}
		if err != nil {
			if capture.Resumable(err) || errors.Is(err, capture.ErrNoPacket) {
				errs = append(errs, err)
				continue
			}
			return recs, errs, err
		}
		c := *r
		c.Data = bytes.Clone(r.Data)
		recs = append(recs, c)
		if len(recs) > 1<<20 {
			t.Fatal("runaway source")
		}
	}
}

// byTimeFrame is the order Reorder gives: capture time, then frame.
func byTimeFrame(a, b capture.Record) int {
	return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.Frame, b.Frame))
}

// shuffled returns recs in the order of their time plus a random delay
// below within: each record is read after records up to within later.
func shuffled(recs []capture.Record, within time.Duration, seed uint64) []capture.Record {
	rng := rand.New(rand.NewPCG(seed, 3))
	type keyed struct {
		key time.Time
		rec capture.Record
	}
	ks := make([]keyed, len(recs))
	for i, r := range recs {
		ks[i] = keyed{r.Time.Add(time.Duration(rng.Int64N(int64(within)))), r}
	}
	slices.SortStableFunc(ks, func(a, b keyed) int { return a.key.Compare(b.key) })
	out := make([]capture.Record, len(recs))
	for i, k := range ks {
		out[i] = k.rec
	}
	return out
}

func sameOrder(t *testing.T, got, want []capture.Record) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Frame != w.Frame || !g.Time.Equal(w.Time) || !bytes.Equal(g.Data, w.Data) || g.OrigLen != w.OrigLen ||
			g.LinkType != w.LinkType || g.File != w.File || g.FileFrame != w.FileFrame {
			t.Fatalf("record %d: frame %d at %v, want frame %d at %v", i, g.Frame, g.Time.Format(time.RFC3339Nano), w.Frame, w.Time.Format(time.RFC3339Nano))
		}
	}
}

// TestReorderShuffled: real captures shuffled within a few seconds come
// out exactly as sorted, nothing reported late.
func TestReorderShuffled(t *testing.T) {
	for _, p := range []string{
		"../testdata/pcaps/lab/ikev2-life-rekeys/capture.pcap",
		"../testdata/pcaps/lab/ikev2-rekey-collision/capture.pcap",
	} {
		recs, err := readAll(t, openBytes(t, readFile(t, p), p))
		if err != nil {
			t.Fatal(err)
		}
		// Two points of one capture merged, as mergecap would: the same
		// frames a few microseconds apart, numbered on.
		merged := slices.Clone(recs)
		for _, r := range recs {
			r.Frame += len(recs)
			r.Time = r.Time.Add(3 * time.Microsecond)
			merged = append(merged, r)
		}
		for _, c := range []struct {
			name   string
			recs   []capture.Record
			within time.Duration
			opt    capture.ReorderOptions
		}{
			{"1.9s, defaults", recs, 1900 * time.Millisecond, capture.ReorderOptions{}},
			{"5s in a 6s window", recs, 5 * time.Second, capture.ReorderOptions{Window: 6 * time.Second}},
			{"merged points, 1s", merged, time.Second, capture.ReorderOptions{}},
			{"merged points, small probe", merged, time.Second, capture.ReorderOptions{Probe: 64}},
		} {
			for seed := range uint64(5) {
				t.Run(fmt.Sprintf("%s/%s/%d", p[len("../testdata/pcaps/lab/"):], c.name, seed), func(t *testing.T) {
					want := slices.Clone(c.recs)
					slices.SortStableFunc(want, byTimeFrame)
					src := &listSource{events: recordEvents(shuffled(c.recs, c.within, seed))}
					var lates []int
					ro := capture.NewReorder(src, c.opt, func(r *capture.Record, _ time.Duration) { lates = append(lates, r.Frame) })
					got, errs, err := drain(t, ro)
					if err != nil || len(errs) > 0 {
						t.Fatal(err, errs)
					}
					if len(lates) > 0 {
						t.Errorf("frames %v reported late", lates)
					}
					sameOrder(t, got, want)
				})
			}
		}
	}
}

// inOrder is n records a millisecond apart, with data of their own.
func inOrder(n int) []capture.Record {
	t0 := time.Unix(1700000000, 0).UTC()
	recs := make([]capture.Record, n)
	for i := range recs {
		recs[i] = capture.Record{Frame: i + 1, FileFrame: i + 1, File: "in-order", Time: t0.Add(time.Duration(i) * time.Millisecond),
			LinkType: capture.LinkTypeEthernet, Data: filler(byte(i), 60+i%200), OrigLen: 60 + i%200}
	}
	return recs
}

// TestReorderInOrderPassesThrough: an in-order source comes out as it
// is; after the first Probe records (held to see the order), records are
// the source's own, not copies.
func TestReorderInOrderPassesThrough(t *testing.T) {
	recs := inOrder(20000)
	src := &listSource{events: recordEvents(recs)}
	ro := capture.NewReorder(src, capture.ReorderOptions{}, func(r *capture.Record, _ time.Duration) { t.Errorf("frame %d reported late", r.Frame) })
	var got []capture.Record
	aliased := 0
	for {
		r, err := ro.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if r == &src.rec {
			aliased++
		} else if aliased > 0 {
			t.Fatalf("frame %d copied after records passed through", r.Frame)
		}
		c := *r
		c.Data = bytes.Clone(r.Data)
		got = append(got, c)
	}
	sameOrder(t, got, recs)
	if n := capture.ReorderCopies(ro); n != capture.DefaultReorderProbe || aliased != len(recs)-n {
		t.Errorf("%d records copied, %d passed through; want %d and the rest", n, aliased, capture.DefaultReorderProbe)
	}
}

// spySource notes the record pointers a source returned.
type spySource struct {
	capture.Source
	last *capture.Record
}

func (s *spySource) Next() (*capture.Record, error) {
	r, err := s.Source.Next()
	s.last = r
	return r, err
}

// TestReorderFilePassesThrough: on a real file in order, after the probe
// the records are the File's own.
func TestReorderFilePassesThrough(t *testing.T) {
	p := "../testdata/pcaps/lab/ikev2-life-rekeys/capture.pcap"
	want, err := readAll(t, openBytes(t, readFile(t, p), p))
	if err != nil {
		t.Fatal(err)
	}
	spy := &spySource{Source: openBytes(t, readFile(t, p), p)}
	ro := capture.NewReorder(spy, capture.ReorderOptions{Probe: 20, Window: time.Millisecond}, nil)
	var got []capture.Record
	for {
		r, err := ro.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(got) >= 20 && r != spy.last {
			t.Fatalf("frame %d: not the File's record", r.Frame)
		}
		c := *r
		c.Data = bytes.Clone(r.Data)
		got = append(got, c)
	}
	sameOrder(t, got, want)
	if n := capture.ReorderCopies(ro); n != 20 {
		t.Errorf("%d records copied, want the 20 of the probe", n)
	}
}

// at is a record at a time (in tenths of a second) with a frame number.
func at(frame int, tenths int) capture.Record {
	return capture.Record{Frame: frame, FileFrame: frame, Time: time.Unix(1700000000, 0).Add(time.Duration(tenths) * 100 * time.Millisecond),
		Data: filler(byte(frame), 20+frame%7), OrigLen: 20 + frame%7}
}

type lateReport struct {
	frame  int
	behind time.Duration
	latest int
}

// TestReorderLate: a record that comes back further than the window is
// emitted at once, where it is read, and reported once with how far it
// is behind the latest record read.
func TestReorderLate(t *testing.T) {
	var recs []capture.Record
	for i := 0; i <= 100; i++ {
		recs = append(recs, at(i+1, i)) // 0 .. 10 s
	}
	recs = append(recs, at(102, 30)) // 3 s, after 10 s
	for i := 101; i <= 120; i++ {
		recs = append(recs, at(i+2, i))
	}
	src := &listSource{events: recordEvents(recs)}
	var reports []lateReport
	var ro *capture.Reorder
	ro = capture.NewReorder(src, capture.ReorderOptions{}, func(r *capture.Record, behind time.Duration) {
		reports = append(reports, lateReport{r.Frame, behind, ro.Latest().Frame})
	})
	got, _, err := drain(t, ro)
	if err != nil {
		t.Fatal(err)
	}
	if len(reports) != 1 || reports[0] != (lateReport{102, 7 * time.Second, 101}) {
		t.Errorf("reports %+v, want frame 102 7s behind frame 101", reports)
	}
	var frames []int
	for _, r := range got {
		frames = append(frames, r.Frame)
	}
	// Released by then: up to 8 s (frame 81); then frame 102, then the rest.
	var want []int
	for f := 1; f <= 81; f++ {
		want = append(want, f)
	}
	want = append(want, 102)
	for f := 82; f <= 101; f++ {
		want = append(want, f)
	}
	for f := 103; f <= 122; f++ {
		want = append(want, f)
	}
	if !slices.Equal(frames, want) {
		t.Errorf("frames %v\nwant %v", frames, want)
	}
}

// TestReorderLateInPassThrough: in pass-through, the first record back in
// time is emitted at once and reported; the records after it are sorted.
func TestReorderLateInPassThrough(t *testing.T) {
	var recs []capture.Record
	for i := range 300 {
		recs = append(recs, at(i+1, i)) // 0 .. 29.9 s
	}
	back := at(301, 299)
	back.Time = back.Time.Add(-10 * time.Millisecond) // 29.89 s
	recs = append(recs, back)
	for _, c := range []struct{ frame, tenths int }{{302, 300}, {303, 299}, {304, 302}, {305, 301}, {306, 310}} {
		recs = append(recs, at(c.frame, c.tenths))
	}
	src := &listSource{events: recordEvents(recs)}
	var reports []lateReport
	ro := capture.NewReorder(src, capture.ReorderOptions{Probe: 10, Window: time.Second}, func(r *capture.Record, behind time.Duration) {
		reports = append(reports, lateReport{frame: r.Frame, behind: behind})
	})
	got, _, err := drain(t, ro)
	if err != nil {
		t.Fatal(err)
	}
	var frames []int
	for _, r := range got[295:] {
		frames = append(frames, r.Frame)
	}
	if want := []int{296, 297, 298, 299, 300, 301, 303, 302, 305, 304, 306}; !slices.Equal(frames, want) {
		t.Errorf("frames %v, want %v", frames, want)
	}
	if len(reports) != 1 || reports[0].frame != 301 || reports[0].behind != 10*time.Millisecond {
		t.Errorf("reports %+v, want frame 301 10ms behind", reports)
	}
	// The probe (10 records) and the five after the record back in time
	// were copied; the rest passed.
	if n := capture.ReorderCopies(ro); n != 10+5 {
		t.Errorf("%d records copied, want 15", n)
	}
}

// TestReorderTies: records of one time come out in frame order.
func TestReorderTies(t *testing.T) {
	recs := []capture.Record{at(3, 5), at(1, 5), at(2, 5), at(4, 4), at(5, 40)}
	got, _, err := drain(t, capture.NewReorder(&listSource{events: recordEvents(recs)}, capture.ReorderOptions{}, nil))
	if err != nil {
		t.Fatal(err)
	}
	var frames []int
	for _, r := range got {
		frames = append(frames, r.Frame)
	}
	if !slices.Equal(frames, []int{4, 1, 2, 3, 5}) {
		t.Errorf("frames %v, want 4 1 2 3 5", frames)
	}
}

// TestReorderErrors: an error reading goes on after keeps its place after
// the records read before it; ErrNoPacket comes at once; a final error
// comes after every record held.
func TestReorderErrors(t *testing.T) {
	skip := &capture.Error{File: "x", Frame: 3, Err: errors.New("block skipped"), Resumed: true}
	final := &capture.Error{File: "x", Frame: 6, Err: errors.New("cut off")}
	r := func(f, tenths int) event { c := at(f, tenths); return event{rec: &c} }
	src := &listSource{events: []event{
		r(1, 10), r(2, 30), {err: skip}, r(4, 20), {err: capture.ErrNoPacket}, r(5, 100), {err: final},
	}}
	ro := capture.NewReorder(src, capture.ReorderOptions{}, nil)
	var got []string
	for range 20 {
		rec, err := ro.Next()
		switch {
		case err == nil:
			got = append(got, fmt.Sprint(rec.Frame))
			continue
		case err == skip:
			got = append(got, "skip")
			continue
		case err == capture.ErrNoPacket:
			got = append(got, "idle")
			continue
		case err == final:
			got = append(got, "final")
		default:
			t.Fatalf("error %v", err)
		}
		break
	}
	if want := []string{"1", "idle", "4", "2", "skip", "5", "final"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestReorderBounds: past MaxRecords or MaxBytes the oldest record is let
// go early; what is held stays within the bounds, and every record comes
// out once, those older than one let go reported.
func TestReorderBounds(t *testing.T) {
	recs := shuffled(inOrder(3000), 500*time.Millisecond, 1)
	for _, opt := range []capture.ReorderOptions{{MaxRecords: 10}, {MaxBytes: 2000}} {
		t.Run(fmt.Sprintf("%+v", opt), func(t *testing.T) {
			lates := 0
			ro := capture.NewReorder(&listSource{events: recordEvents(recs)}, opt, func(*capture.Record, time.Duration) { lates++ })
			seen := map[int]bool{}
			for {
				r, err := ro.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if seen[r.Frame] {
					t.Fatalf("frame %d twice", r.Frame)
				}
				seen[r.Frame] = true
				n, size := capture.ReorderHeld(ro)
				if (opt.MaxRecords > 0 && n > opt.MaxRecords) || (opt.MaxBytes > 0 && size > opt.MaxBytes+512) {
					t.Fatalf("holding %d records, %d bytes", n, size)
				}
			}
			if len(seen) != len(recs) {
				t.Errorf("%d records out, want %d", len(seen), len(recs))
			}
			if lates == 0 {
				t.Error("no record reported late: the bound did not let any go early")
			}
		})
	}
}

// TestReorderDropsAndClose: Drops and Close are the source's.
func TestReorderDropsAndClose(t *testing.T) {
	src := &listSource{drops: 7}
	ro := capture.NewReorder(src, capture.ReorderOptions{}, nil)
	if ro.Drops() != 7 {
		t.Errorf("Drops %d, want 7", ro.Drops())
	}
	if err := ro.Close(); err != nil || !src.closed {
		t.Errorf("Close: %v, source closed %v", err, src.closed)
	}
	var _ capture.DropCounter = ro
}

// FuzzReorder: whatever the order, the bounds and the errors, every
// record comes out exactly once with its own data; the records not
// reported late come out in time and frame order; held records stay
// within the bounds; errors come out once each, the final one last. The
// first byte picks the source: records made from the input, or the input
// read as a capture file (shuffled or corrupt captures).
func FuzzReorder(f *testing.F) {
	f.Add([]byte{0, 0, 5, 40, 3, 10, 50, 1, 246, 20, 2, 7, 30, 3, 0, 80, 4, 1, 9, 5, 255, 1, 6})
	f.Add([]byte{0, 10, 1, 1, 1, 128, 10, 1, 127, 10, 2, 0, 10, 16, 200, 99, 3, 255, 0, 255})
	rng := rand.New(rand.NewPCG(5, 5))
	seed := []byte{0, 20, 8, 200, 6}
	for range 300 {
		seed = append(seed, byte(rng.IntN(60)-30), byte(rng.IntN(80)), byte(1+rng.IntN(200)))
	}
	f.Add(seed)
	for _, name := range []string{"pcap-null-ikev2four", "pcapng-ikev2", "gzip-pcap-isakmp4500"} {
		if b, err := readCorpusFile("testdata/fuzz/FuzzReader/" + name); err == nil {
			f.Add(append([]byte{1, 0, 0, 0, 2}, b...))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 5 {
			return
		}
		opt := capture.ReorderOptions{
			Window:     time.Duration(data[1]%50) * 10 * time.Millisecond,
			MaxRecords: int(data[2] % 32),
			MaxBytes:   int64(data[3]) * 16,
			Probe:      int(data[4] % 40),
		}
		if data[0]&1 == 1 {
			fuzzReorderCapture(t, data[5:], opt)
			return
		}
		fuzzReorderEvents(t, data[5:], opt)
	})
}

// fuzzReorderEvents makes records of each 3 bytes: a time jitter, a
// length, and flags (a resumable error before the record, or the end).
func fuzzReorderEvents(t *testing.T, data []byte, opt capture.ReorderOptions) {
	t0 := time.Unix(1700000000, 0)
	var ev []event
	var final error
	recs := map[int]capture.Record{}
	errs := map[error]bool{}
	for i := 0; i+3 <= len(data); i += 3 {
		frame := len(recs) + 1
		if data[i+2]%16 == 0 {
			e := &capture.Error{File: "f", Frame: frame, Err: errors.New("skipped"), Resumed: true}
			ev = append(ev, event{err: e})
			errs[e] = false
		}
		if data[i+2] == 255 {
			final = &capture.Error{File: "f", Frame: frame, Err: errors.New("broke off")}
			ev = append(ev, event{err: final})
			break
		}
		r := capture.Record{Frame: frame, Time: t0.Add(time.Duration(frame)*10*time.Millisecond + time.Duration(int8(data[i]))*10*time.Millisecond),
			Data: filler(byte(frame), int(data[i+1])), OrigLen: int(data[i+1])}
		recs[frame] = r
		ev = append(ev, event{rec: &r})
	}
	var lateFrame int
	ro := capture.NewReorder(&listSource{events: ev}, opt, func(r *capture.Record, behind time.Duration) {
		if lateFrame != 0 || behind <= 0 {
			t.Fatalf("frame %d reported late by %v (pending report for %d)", r.Frame, behind, lateFrame)
		}
		lateFrame = r.Frame
	})
	seen := map[int]bool{}
	var last *capture.Record
	for range len(ev) + 2 {
		r, err := ro.Next()
		if err != nil {
			if e, ok := errs[err]; ok {
				if e {
					t.Fatalf("error %v twice", err)
				}
				errs[err] = true
				continue
			}
			if err != io.EOF && err != final {
				t.Fatalf("error %v", err)
			}
			if len(seen) != len(recs) {
				t.Fatalf("%v after %d of %d records", err, len(seen), len(recs))
			}
			for e, out := range errs {
				if !out {
					t.Fatalf("error %v never came out", e)
				}
			}
			return
		}
		w, ok := recs[r.Frame]
		if !ok || seen[r.Frame] || !r.Time.Equal(w.Time) || !bytes.Equal(r.Data, w.Data) {
			t.Fatalf("frame %d: unknown, twice, or not its own", r.Frame)
		}
		seen[r.Frame] = true
		if lateFrame != 0 {
			if lateFrame != r.Frame {
				t.Fatalf("frame %d reported late, frame %d emitted", lateFrame, r.Frame)
			}
			lateFrame = 0
		} else {
			if last != nil && byTimeFrame(*last, *r) > 0 {
				t.Fatalf("frame %d at %v after frame %d at %v, not reported", r.Frame, r.Time, last.Frame, last.Time)
			}
			c := *r
			last = &c
		}
		n, size := capture.ReorderHeld(ro)
		maxRecs, maxBytes := cmp.Or(opt.MaxRecords, capture.DefaultReorderMaxRecords), cmp.Or(opt.MaxBytes, capture.DefaultReorderMaxBytes)
		if n > maxRecs || size > maxBytes+1024 {
			t.Fatalf("holding %d records and %d bytes, bounds %d and %d", n, size, maxRecs, maxBytes)
		}
	}
	t.Fatal("no end")
}

// fuzzReorderCapture reorders a capture file's records: each record the
// file gives comes out once, with its own data, and the errors after
// which reading goes on come out too.
func fuzzReorderCapture(t *testing.T, data []byte, opt capture.ReorderOptions) {
	plain, err := capture.NewReader(bytes.NewReader(data), "fuzz", nil)
	if err != nil {
		return
	}
	want, wantErrs, wantFinal := drain(t, plain)
	plain.Close()
	f, err := capture.NewReader(bytes.NewReader(data), "fuzz", nil)
	if err != nil {
		t.Fatal(err)
	}
	got, gotErrs, gotFinal := drain(t, capture.NewReorder(f, opt, nil))
	if len(got) != len(want) || len(gotErrs) != len(wantErrs) || (gotFinal == nil) != (wantFinal == nil) {
		t.Fatalf("%d records, %d errors, final %v; the file has %d, %d, %v", len(got), len(gotErrs), gotFinal, len(want), len(wantErrs), wantFinal)
	}
	byFrame := map[int]capture.Record{}
	for _, r := range want {
		byFrame[r.Frame] = r
	}
	for _, r := range got {
		w, ok := byFrame[r.Frame]
		if !ok || !bytes.Equal(r.Data, w.Data) || !r.Time.Equal(w.Time) {
			t.Fatalf("frame %d: unknown, twice, or not its own", r.Frame)
		}
		delete(byFrame, r.Frame)
	}
}
