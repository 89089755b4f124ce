package compare_test

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/ipsecpcap/ipsecpcap/capture"
	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
)

// The fields compared, by their tshark names, in the column order of the
// tshark command line (after frame.number).
var tsharkFields = []string{
	"isakmp.ispi",
	"isakmp.rspi",
	"isakmp.exchangetype",
	"isakmp.messageid",
	"isakmp.notify.msgtype",
	"esp.spi",
	"esp.sequence",
}

// Pseudo-fields used in difference reports and knownDifferences keys.
const (
	fieldPresent = "present" // the frame is IKE/ESP for one side only
	fieldTshark  = "tshark"  // tshark could not read the file (frame 0)
	fieldRead    = "read"    // our reader stopped with an error (frame 0)
)

// diffKey names one difference: a file (as the subtest names it), a frame
// and a field (a tshark field name or one of the pseudo-fields above).
type diffKey struct {
	file  string
	frame int
	field string
}

// knownDifferences are differences between tshark 4.0.17 (no keys, empty
// configuration) and our decoder that were checked against the bytes and
// accepted. Each entry says why, with the evidence. An entry that no longer
// matches a real difference fails the test, so fixed bugs and tshark
// upgrades show up.
//
// Entries starting with "BUG:" are mistakes of our decoder, kept here only so
// the test passes until they are fixed.
var knownDifferences = map[diffKey]string{
	// tshark 4.0.17's dissect_isakmp returns 0, handing the UDP payload to
	// "Data", when the header's Length field is below 28. Bytes 24-27 of the
	// ISAKMP header (frame offset 66) are 00 00 00 00. We decode the header
	// and report "message length 0 is shorter than the header".
	{"shared/captures/zeek-spicy-ipsec/tests/traces/ipsec-ikev1-zero-length.pcap", 1, fieldPresent}: "tshark 4.0.17 does not dissect ISAKMP with header Length < 28 (here 0); we decode the header and flag the length",
	// Same rule: the 30-byte UDP payload is 16 zero SPI bytes, np 8 (HASH),
	// version 0x10, exchange 1, flags 0, message ID 0, Length 00000000, 0a 00.
	{"shared/captures/tcpdump/tests/isakmp-pointer-loop.pcap", 1, fieldPresent}: "tshark 4.0.17 does not dissect ISAKMP with header Length < 28 (here 0); we decode the header and flag the length",

	// Version byte 0xbe = 11.14 (fuzzed). tshark adds the exchange type
	// field only for major version 1 or 2 (hf_isakmp_exchangetype_v1/_v2);
	// it still shows the SPIs and message ID. We report the byte (190).
	{"shared/captures/tcpdump/tests/isakmp-delete-segfault.pcap", 1, "isakmp.exchangetype"}: "tshark 4.0.17 shows no exchange type for major version 11; we report the exchange byte 190 as is",
}

// IKEv1 fragments (payload 132, testdata/pcaps/extra/ikev1-fragments):
// tshark 4.0.17 reassembles them and dissects the rebuilt message on the
// frame of the last fragment, so that frame shows a second ISAKMP header
// (the rebuilt message's SPIs, exchange type and message ID). The decoder
// shows each frame's own header; package decrypt and the correlator
// reassemble.
func init() {
	const file = "testdata/pcaps/extra/ikev1-fragments/capture.pcap"
	for _, frame := range []int{3, 5, 10, 15, 17, 19, 22, 25} {
		for _, field := range []string{"isakmp.ispi", "isakmp.rspi", "isakmp.exchangetype", "isakmp.messageid"} {
			knownDifferences[diffKey{file, frame, field}] = "tshark shows the reassembled IKEv1 message's header as a second value on the last fragment's frame; we show the frame's own header"
		}
	}
}

// frameFields holds the normalised values of tsharkFields for one frame.
// A field with several occurrences has them joined by ","; the notify types
// are sorted, since they are compared as a multiset.
type frameFields [7]string

// fileResult is what one side made of one capture file.
type fileResult struct {
	frames map[int]frameFields
	err    error // the file could not be read (completely)
}

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

func isCapture(name string) bool {
	for _, ext := range []string{".pcap", ".pcapng", ".cap", ".pcap.gz", ".pcapng.gz"} {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

// captureFiles lists the capture files under dir, recursively, with their
// subtest names (prefix + path relative to dir, slash-separated).
func captureFiles(t *testing.T, dir, prefix string) (names, paths []string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !isCapture(d.Name()) {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		names = append(names, prefix+filepath.ToSlash(rel))
		paths = append(paths, path)
		return nil
	})
	if err != nil {
		t.Fatalf("listing %s: %v", dir, err)
	}
	return names, paths
}

// TestTshark compares, frame by frame, the ISAKMP and ESP header fields that
// tshark shows with what our decoder finds, for every capture of the shared
// corpus and of testdata/pcaps.
func TestTshark(t *testing.T) {
	if testing.Short() {
		t.Skip("runs tshark on every capture; skipped with -short")
	}
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark is not on PATH")
	}
	root := repoRoot(t)
	// An empty configuration, so that no user preference or key table
	// changes what tshark shows.
	confDir := t.TempDir()

	type source struct{ dir, prefix string }
	sources := []source{
		{filepath.Join(root, "..", "shared", "captures"), "shared/captures/"},
		{filepath.Join(root, "testdata", "pcaps"), "testdata/pcaps/"},
	}
	var names, paths []string
	var prefixes []string // of the sources that exist
	for _, s := range sources {
		if fi, err := os.Stat(s.dir); err != nil || !fi.IsDir() {
			t.Logf("%s: not found, skipped", s.dir)
			continue
		}
		prefixes = append(prefixes, s.prefix)
		n, p := captureFiles(t, s.dir, s.prefix)
		names, paths = append(names, n...), append(paths, p...)
	}
	if len(names) == 0 {
		t.Skip("no capture files found")
	}

	var (
		mu       sync.Mutex
		visited  = map[string]bool{}
		seen     = map[diffKey]bool{} // known differences that occurred
		nFrames  int
		nCompare int
	)
	t.Run("files", func(t *testing.T) {
		for i := range names {
			name, path := names[i], paths[i]
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				ts := runTshark(tshark, confDir, path)
				ours := runOurs(path)
				diffs, frames := compareFile(ts, ours)
				mu.Lock()
				visited[name] = true
				nCompare++
				nFrames += frames
				mu.Unlock()
				for _, d := range diffs {
					k := diffKey{name, d.frame, d.field}
					if reason, ok := knownDifferences[k]; ok {
						mu.Lock()
						seen[k] = true
						mu.Unlock()
						t.Logf("frame %d: %s: tshark %q, ours %q (known: %s)", d.frame, d.field, d.tshark, d.ours, reason)
						continue
					}
					t.Errorf("%s frame %d: %s: tshark %q, ours %q", name, d.frame, d.field, d.tshark, d.ours)
				}
			})
		}
	})
	t.Logf("compared %d files, %d frames with ISAKMP or ESP", nCompare, nFrames)

	// Stale entries: a known difference that did not occur in a file that
	// was compared, or that names a file that does not exist.
	exists := map[string]bool{}
	for _, n := range names {
		exists[n] = true
	}
	keys := slices.Collect(maps.Keys(knownDifferences))
	slices.SortFunc(keys, func(a, b diffKey) int {
		return cmp.Or(strings.Compare(a.file, b.file), a.frame-b.frame, strings.Compare(a.field, b.field))
	})
	for _, k := range keys {
		reason := knownDifferences[k]
		switch {
		case visited[k.file] && !seen[k]:
			t.Errorf("stale knownDifferences entry %s frame %d %s (%s): tshark and ipsecpcap agree now; remove it", k.file, k.frame, k.field, reason)
		case !exists[k.file] && slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(k.file, p) }):
			t.Errorf("stale knownDifferences entry %s frame %d %s: no such capture file", k.file, k.frame, k.field)
		}
	}
}

// runTshark runs tshark once on a file and collects the fields of every frame
// it shows as ISAKMP or ESP.
func runTshark(tshark, confDir, path string) fileResult {
	args := []string{
		"-n", "-r", path,
		"-o", "udp.try_heuristic_first:FALSE",
		"-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,",
		"-e", "frame.number",
	}
	for _, f := range tsharkFields {
		args = append(args, "-e", f)
	}
	args = append(args, "-Y", "isakmp or esp")
	cmd := exec.Command(tshark, args...)
	var env []string
	for _, e := range os.Environ() {
		k, _, _ := strings.Cut(e, "=")
		if k == "HOME" || k == "XDG_CONFIG_HOME" || strings.HasPrefix(k, "WIRESHARK_") || k == "SSLKEYLOGFILE" {
			continue
		}
		env = append(env, e)
	}
	cmd.Env = append(env, "HOME="+confDir, "XDG_CONFIG_HOME="+confDir, "WIRESHARK_CONFIG_DIR="+confDir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	res := fileResult{frames: map[int]frameFields{}}
	if err := cmd.Run(); err != nil {
		var msg []string
		for _, l := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
			if !strings.HasPrefix(l, "Running as user") && l != "" {
				msg = append(msg, l)
			}
		}
		res.err = fmt.Errorf("%v: %s", err, strings.Join(msg, "; "))
	}
	for _, line := range strings.Split(stdout.String(), "\n") {
		if line == "" {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) != 1+len(tsharkFields) {
			res.err = errors.Join(res.err, fmt.Errorf("tshark line with %d columns: %q", len(cols), line))
			continue
		}
		frame, err := strconv.Atoi(cols[0])
		if err != nil {
			res.err = errors.Join(res.err, fmt.Errorf("tshark frame number %q", cols[0]))
			continue
		}
		var ff frameFields
		for i, v := range cols[1:] {
			ff[i] = normalise(tsharkFields[i], v)
		}
		res.frames[frame] = ff
	}
	return res
}

// normalise puts a tshark field value in the form our side is formatted in:
// SPIs in lowercase hex, message ID and ESP SPI as 0x%08x, numbers in
// decimal, notify types sorted.
func normalise(field, v string) string {
	if v == "" {
		return ""
	}
	vals := strings.Split(v, ",")
	for i, s := range vals {
		switch field {
		case "isakmp.messageid", "esp.spi":
			if n, err := strconv.ParseUint(s, 0, 32); err == nil {
				s = fmt.Sprintf("0x%08x", n)
			}
		case "isakmp.ispi", "isakmp.rspi":
			s = strings.ToLower(strings.ReplaceAll(s, ":", ""))
		}
		vals[i] = s
	}
	if field == "isakmp.notify.msgtype" {
		sortNumeric(vals)
	}
	return strings.Join(vals, ",")
}

func sortNumeric(vals []string) {
	slices.SortFunc(vals, func(a, b string) int {
		x, errX := strconv.Atoi(a)
		y, errY := strconv.Atoi(b)
		if errX == nil && errY == nil {
			return x - y
		}
		return strings.Compare(a, b)
	})
}

// runOurs decodes a file with our decoder, in-process.
func runOurs(path string) fileResult {
	res := fileResult{frames: map[int]frameFields{}}
	src, err := capture.Open(path)
	if err != nil {
		res.err = err
		return res
	}
	defer src.Close()
	dec := decode.NewDecoder(decode.Config{})
	for {
		rec, err := src.Next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				res.err = err
			}
			return res
		}
		p, err := dec.Decode(rec)
		if err != nil || p == nil {
			continue
		}
		if ff, ok := packetFields(p); ok {
			res.frames[p.Frame] = ff
		}
	}
}

// packetFields gives our packet's values of tsharkFields. An ICMP error is
// compared through the packet it quotes, as tshark dissects the quote; NAT
// keepalives are neither ISAKMP nor ESP to tshark.
func packetFields(p *decode.Packet) (frameFields, bool) {
	var ff frameFields
	switch p.Kind {
	case decode.KindICMPError:
		if p.ICMP == nil || p.ICMP.Quoted == nil {
			return ff, false
		}
		return packetFields(p.ICMP.Quoted)
	case decode.KindIKE:
		m := p.IKE
		if m == nil || len(m.Raw) < isakmp.HeaderLen {
			// Not even the header could be read.
			return ff, true
		}
		ff[0] = m.InitiatorSPI.String()
		ff[1] = m.ResponderSPI.String()
		ff[2] = strconv.Itoa(int(m.Exchange))
		ff[3] = fmt.Sprintf("0x%08x", m.MessageID)
		var types []string
		for _, n := range m.Notifies() {
			types = append(types, strconv.Itoa(int(n.Type)))
		}
		sortNumeric(types)
		ff[4] = strings.Join(types, ",")
		return ff, true
	case decode.KindESP:
		ff[5] = fmt.Sprintf("0x%08x", p.ESP.SPI)
		if !p.ESP.NoSeq {
			ff[6] = strconv.FormatUint(uint64(p.ESP.Seq), 10)
		}
		return ff, true
	}
	return ff, false
}

// difference is one field on which the two sides disagree.
type difference struct {
	frame        int
	field        string
	tshark, ours string
}

// compareFile lists the differences between tshark's and our view of one
// file, in frame order, and counts the frames that either side shows.
func compareFile(ts, ours fileResult) ([]difference, int) {
	var diffs []difference
	if ts.err != nil {
		diffs = append(diffs, difference{0, fieldTshark, ts.err.Error(), ""})
	}
	if ours.err != nil {
		diffs = append(diffs, difference{0, fieldRead, "", ours.err.Error()})
	}
	var frames []int
	for f := range ts.frames {
		frames = append(frames, f)
	}
	for f := range ours.frames {
		if _, ok := ts.frames[f]; !ok {
			frames = append(frames, f)
		}
	}
	slices.Sort(frames)
	for _, f := range frames {
		a, inTs := ts.frames[f]
		b, inOurs := ours.frames[f]
		if inTs != inOurs {
			d := difference{frame: f, field: fieldPresent}
			if inTs {
				d.tshark, d.ours = describe(a), "not IKE/ESP"
			} else {
				d.tshark, d.ours = "not ISAKMP/ESP", describe(b)
			}
			diffs = append(diffs, d)
			continue
		}
		for i, name := range tsharkFields {
			if a[i] != b[i] {
				diffs = append(diffs, difference{f, name, a[i], b[i]})
			}
		}
	}
	return diffs, len(frames)
}

func describe(ff frameFields) string {
	var parts []string
	for i, name := range tsharkFields {
		if ff[i] != "" {
			parts = append(parts, name+"="+ff[i])
		}
	}
	if len(parts) == 0 {
		return "(no fields)"
	}
	return strings.Join(parts, " ")
}
