package gwlog

import (
	"strings"
	"testing"
)

// An event's text keeps no control character: an escape sequence in a
// log must not reach a terminal or a report (this assertion stood in the
// TUI's tests while each view cleaned the text itself).
func TestEventTextPrintable(t *testing.T) {
	if got := capText("a\x1b[31mb\tc\u009bd"); got != "a [31mb c d" {
		t.Errorf("capText = %q", got)
	}
	l, err := Parse(strings.NewReader("May 21 16:01:53 12[IKE] <lab|1> no matching CHILD_SA config found\x1b[2J for 198.19.1.0/24 === 198.19.2.0/24\n"), "x.log")
	if err != nil || len(l.Events) != 1 {
		t.Fatalf("%v, %d events", err, len(l.Events))
	}
	if got := l.Events[0].Text; got != "no matching CHILD_SA config found [2J for 198.19.1.0/24 === 198.19.2.0/24" {
		t.Errorf("text %q", got)
	}
}
