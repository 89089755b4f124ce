package gwlog

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

var reLabClock = regexp.MustCompile(`^(\d\d):(\d\d):(\d\d) `)

// shiftLog rewrites a lab log's "%T" stamps moved by d, in the given
// layout and zone (a day that is not the capture's moves with the stamp).
func shiftLog(t *testing.T, path string, day time.Time, d time.Duration, layout string, loc *time.Location) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out bytes.Buffer
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if m := reLabClock.FindStringSubmatch(line); m != nil {
			ts := time.Date(day.Year(), day.Month(), day.Day(), atoi(m[1]), atoi(m[2]), atoi(m[3]), 0, time.UTC).Add(d)
			line = ts.In(loc).Format(layout) + " " + line[len(m[0]):]
		}
		out.WriteString(line + "\n")
	}
	return out.Bytes()
}

// TestShiftedClock: a gateway whose clock is hours off, or in another
// timezone, still aligns; the offset is found, not assumed.
func TestShiftedClock(t *testing.T) {
	const name = "ikev2-rekey"
	res, err := analyzeCapture(filepath.Join(labDir, "lab", name, "capture.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	day := res.Analysis.FirstTime
	logPath := filepath.Join(labDir, "lab", name, "charon-responder.log")
	base, err := ParseFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	ref := Align(base, res.Analysis)
	for _, tc := range []struct {
		name   string
		shift  time.Duration
		layout string
		want   time.Duration
		loc    *time.Location
	}{
		{"+3h17m time only", 3*time.Hour + 17*time.Minute, "15:04:05", 3*time.Hour + 17*time.Minute, nil},
		{"+3h17m syslog date", 3*time.Hour + 17*time.Minute, "Jan _2 15:04:05", 3*time.Hour + 17*time.Minute, nil},
		// a day earlier: the date says so, the year is the capture's
		{"-13h syslog date", -13 * time.Hour, "Jan _2 15:04:05", -13 * time.Hour, nil},
		// without a date, 13 hours behind cannot be told from 11 ahead
		{"-13h time only", -13 * time.Hour, "15:04:05", 11 * time.Hour, nil},
		{"-5h ISO without zone", -5 * time.Hour, "2006-01-02T15:04:05", -5 * time.Hour, nil},
		// the same instants written in New York's winter time with the
		// zone: the clocks agree
		{"ISO -05:00", 0, "2006-01-02T15:04:05.000-07:00", 0, time.FixedZone("EST", -5*3600)},
	} {
		loc := tc.loc
		if loc == nil {
			loc = time.UTC
		}
		text := shiftLog(t, logPath, day, tc.shift, tc.layout, loc)
		log, err := Parse(bytes.NewReader(text), "shifted")
		if err != nil {
			t.Fatal(err)
		}
		al := Align(log, res.Analysis)
		got := al.Offset - ref.Offset
		t.Logf("%-22s offset %v (%d of %d packet events)", tc.name, al.Offset, al.Matches, al.PacketEvents)
		if d := got - tc.want; d < -2*time.Second || d > 2*time.Second {
			t.Errorf("%s: offset %v, want about %v", tc.name, al.Offset, tc.want+ref.Offset)
		}
		if al.Matches != ref.Matches || al.PacketEvents != ref.PacketEvents {
			t.Errorf("%s: %d of %d matched, unshifted %d of %d", tc.name, al.Matches, al.PacketEvents, ref.Matches, ref.PacketEvents)
		}
		for i := range al.Events {
			if al.Events[i].Frame != ref.Events[i].Frame || al.Events[i].IKESA != ref.Events[i].IKESA {
				t.Errorf("%s: line %d placed at frame %d, unshifted %d", tc.name, al.Events[i].Event.Line, al.Events[i].Frame, ref.Events[i].Frame)
				break
			}
		}
	}
}
