package pipeline

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestGroupPoints(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	at := func(name string, from, to float64) FileSpan {
		return FileSpan{Name: name, First: t0.Add(time.Duration(from * float64(time.Second))), Last: t0.Add(time.Duration(to * float64(time.Second))), Records: true, Known: true}
	}
	cases := []struct {
		name  string
		spans []FileSpan
		want  [][]string
	}{
		{"one file", []FileSpan{at("a.pcap", 0, 10)}, [][]string{{"a.pcap"}}},
		{"pieces in any order", []FileSpan{at("c_2", 20, 30), at("c_0", 0, 10), at("c_1", 10, 20)}, [][]string{{"c_0", "c_1", "c_2"}}},
		{"two points overlapping", []FileSpan{at("a.pcap", 0, 60), at("b.pcap", 0.5, 61)}, [][]string{{"a.pcap"}, {"b.pcap"}}},
		{"two points in pieces", []FileSpan{
			at("a_1", 30, 60), at("b_0", 0.2, 30.3), at("a_0", 0, 29.9), at("b_1", 30.31, 61),
		}, [][]string{{"a_0", "a_1"}, {"b_0", "b_1"}}},
		{"two points with idle gaps: names decide", []FileSpan{
			at("gw-a_0", 0, 10), at("gw-b_0", 0.1, 10.1), at("gw-a_1", 100, 110), at("gw-b_1", 100.2, 110.1),
		}, [][]string{{"gw-a_0", "gw-a_1"}, {"gw-b_0", "gw-b_1"}}},
		{"a cut of a slightly shuffled capture", []FileSpan{at("x_0", 0, 100.5), at("x_1", 100, 200)}, [][]string{{"x_0", "x_1"}}},
		{"short captures at the same time are points", []FileSpan{at("a", 0, 1), at("b", 0.5, 1.5)}, [][]string{{"a"}, {"b"}}},
		{"an empty file is on its own", []FileSpan{at("a", 0, 10), {Name: "empty", Known: true}}, [][]string{{"a"}, {"empty"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got [][]string
			for _, p := range GroupPoints(c.spans) {
				got = append(got, p.Files)
				if p.Why == "" {
					t.Errorf("%v: no reason given", p.Files)
				}
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestPlanPointsNamedAndDirectories(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	spans := map[string]FileSpan{}
	mk := func(name string, from float64) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		// A minimal pcap: the file header only is enough for isCapture.
		hdr := []byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0}
		if err := os.WriteFile(p, hdr, 0o644); err != nil {
			t.Fatal(err)
		}
		f := t0.Add(time.Duration(from * float64(time.Second)))
		spans[p] = FileSpan{Name: p, First: f, Last: f.Add(9 * time.Second), Records: true, Known: true}
		return p
	}
	a1, a0 := mk("a/cap_1.pcap", 10), mk("a/cap_0.pcap", 0)
	b0 := mk("b_0.pcap", 0.1)
	b1 := mk("b_1.pcap", 10.1)
	if err := os.WriteFile(filepath.Join(dir, "a", "keys.txt"), []byte("not a capture"), 0o644); err != nil {
		t.Fatal(err)
	}
	span := func(f string) FileSpan { return spans[f] }

	points, err := PlanPoints([]string{filepath.Join(dir, "a")}, []PointSpec{{Name: "gw-b", Pattern: filepath.Join(dir, "b_*.pcap")}}, span)
	if err != nil {
		t.Fatal(err)
	}
	if len(points) != 2 || points[0].Name != "gw-b" || !reflect.DeepEqual(points[0].Files, []string{b0, b1}) ||
		!reflect.DeepEqual(points[1].Files, []string{a0, a1}) {
		t.Fatalf("points %+v", points)
	}
	if !strings.Contains(points[0].Why, "--point") || !strings.Contains(points[1].Why, "pieces") {
		t.Errorf("reasons %q / %q", points[0].Why, points[1].Why)
	}
	if _, err := PlanPoints([]string{a0}, []PointSpec{{Name: "x", Pattern: a0}}, span); err == nil {
		t.Error("a file given twice is accepted")
	}
	if _, err := PlanPoints(nil, []PointSpec{{Name: "x", Pattern: filepath.Join(dir, "nothing*")}}, span); err == nil {
		t.Error("a pattern matching nothing is accepted")
	}
	if _, err := ParsePointSpec("=x"); err == nil {
		t.Error("a point without a name is accepted")
	}
}
