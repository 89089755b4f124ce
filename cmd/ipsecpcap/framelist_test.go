package main

import (
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// decodeLines splits decode's output into the packet lines by frame and
// the summary line.
func decodeLines(t *testing.T, out string) (map[int]string, string) {
	t.Helper()
	lines := map[int]string{}
	summary := ""
	for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if strings.HasPrefix(l, "# ") {
			summary = l
			continue
		}
		if strings.HasPrefix(l, "==> ") || l == "" {
			continue
		}
		n, err := strconv.Atoi(strings.Fields(l)[0])
		if err != nil {
			t.Fatalf("line %q", l)
		}
		lines[n] = l
	}
	return lines, summary
}

// TestDecodeFrameList: decode --frame prints the lines decode prints for
// those frames, and only those; reading stops after the last one.
func TestDecodeFrameList(t *testing.T) {
	long := filepath.Join(labCaptures, "lab", "ikev2-life-rekeys", "capture.pcap")
	full, _, code := runCLI("decode", long)
	if code != exitOK {
		t.Fatalf("decode: exit %d", code)
	}
	all, summary := decodeLines(t, full)
	for _, tc := range []struct {
		list string
		want []int
	}{
		{"3", []int{3}},
		{"1,4-6", []int{1, 4, 5, 6}},
		{"1:2,2-2", []int{2}},
		{"700-100000", nil}, // filled below
	} {
		want := tc.want
		if want == nil {
			for n := range all {
				if n >= 700 {
					want = append(want, n)
				}
			}
			slices.Sort(want)
		}
		out, stderr, code := runCLI("decode", "--frame", tc.list, long)
		if code != exitOK {
			t.Fatalf("--frame %s: exit %d: %s", tc.list, code, stderr)
		}
		got, sum := decodeLines(t, out)
		var frames []int
		for n, l := range got {
			frames = append(frames, n)
			if l != all[n] {
				t.Errorf("--frame %s: frame %d: %q, want %q", tc.list, n, l, all[n])
			}
		}
		slices.Sort(frames)
		if !slices.Equal(frames, want) {
			t.Errorf("--frame %s: frames %v, want %v", tc.list, frames, want)
		}
		if tc.list == "3" && !strings.HasPrefix(sum, "# read up to frame ") {
			t.Errorf("--frame 3: summary %q: the whole file was read", sum)
		}
		if tc.list == "700-100000" && sum != summary {
			t.Errorf("--frame to the end: summary %q, want %q", sum, summary)
		}
	}

	// Several files: 2:N is the second file's.
	ok := filepath.Join(labCaptures, "lab", "ikev2-ok", "capture.pcap")
	out, _, code := runCLI("decode", "--frame", "2:1,2:3", long, ok)
	if code != exitOK {
		t.Fatalf("two files: exit %d", code)
	}
	okOut, _, _ := runCLI("decode", ok)
	okLines, _ := decodeLines(t, okOut)
	if strings.Contains(out, "==> "+long) || !strings.Contains(out, "==> "+ok+" <==") ||
		!strings.Contains(out, okLines[1]+"\n"+okLines[3]+"\n") || strings.Contains(out, okLines[2]) {
		t.Errorf("--frame 2:1,2:3:\n%s", out)
	}

	for _, bad := range []string{"0", "x", "3-1", "0:1", "3:1", ""} {
		if _, stderr, code := runCLI("decode", "--frame", bad, long, ok); code != exitUnreadable || stderr == "" {
			t.Errorf("--frame %q: exit %d, %q", bad, code, stderr)
		}
	}
}
