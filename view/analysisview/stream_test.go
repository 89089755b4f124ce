package analysisview

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/diagnose"
)

// The streamed document is byte for byte what json.Encoder writes, for
// empty and full documents, optional fields present or not, and text that
// JSON escapes.
func TestWriteJSONAsEncoder(t *testing.T) {
	full := Document{Schema: 1, Tool: ToolInfo{"ipsecpcap", "x"}, Verdict: "failure",
		Input:    InputDoc{Name: "a<b>&c.pcap", KeyFiles: []string{}},
		Peers:    []PeerDoc{{A: "198.18.1.1", B: "198.18.1.2", IKESAs: []int{1}, ESP: []int{}}},
		IKESAs:   []IKESADoc{{ID: 1, Exchanges: []ExchangeDoc{{Name: "IKE_AUTH", Messages: []MessageDoc{{Frames: []int{3}, Notifies: []NotifyDoc{}}}}}, Children: []ChildDoc{}}},
		ESP:      []ESPDoc{{Index: 0, SPI: "0000abcd"}, {Index: 1, SPI: "dcba0000", Capture: 2}},
		Findings: []diagnose.Finding{{Code: "P2_TS_MISMATCH", Summary: "\"quoted\"\ttab", Frames: []int{7, 8}, Causes: []diagnose.Cause{}, Logs: []string{"x.log:1: é"}}},
		Captures: []CaptureDoc{{Capture: 1, Name: "a"}, {Capture: 2, Name: "b", OffsetSeconds: 2.5}},
	}
	empty := BuildDocument(Input{}, "v", &correlate.Analysis{FirstTime: time.Time{}}, nil)
	for name, d := range map[string]Document{"full": full, "empty": empty, "zero": {}} {
		var want, got bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetIndent("", "  ")
		if err := enc.Encode(d); err != nil {
			t.Fatal(err)
		}
		if err := WriteJSON(&got, d); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(want.Bytes(), got.Bytes()) {
			t.Errorf("%s: streamed document differs:\n%s\nwant:\n%s", name, got.String(), want.String())
		}
	}
}

// appendIndent indents encoding/json's output as json.Indent does: every
// kind of value, empty objects and arrays, and strings holding quotes,
// escapes and punctuation.
func TestAppendIndentAsJSONIndent(t *testing.T) {
	values := []any{
		nil, 1, -2.5e-7, "plain", "a\"b\\c{[,:]}\u2028<&>", true, []int{}, map[string]int{},
		[]any{[]int{}, map[string]any{}, []any{1, "x", nil}},
		map[string]any{"a": map[string]any{"b": []any{map[string]int{"c": 1}, []string{}}}, "d\"": "\\"},
		Document{Schema: 1, Findings: []diagnose.Finding{{Code: "X", Summary: "s: {x}, [y]", Frames: []int{1, 2}}}},
	}
	for _, v := range values {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		checkIndent(t, b)
	}
}

func checkIndent(t *testing.T, compact []byte) {
	t.Helper()
	for _, prefix := range []string{"", "    "} {
		var want bytes.Buffer
		if err := json.Indent(&want, compact, prefix, "  "); err != nil {
			t.Fatal(err)
		}
		if got := appendIndent(nil, compact, prefix, "  "); !bytes.Equal(got, want.Bytes()) {
			t.Errorf("indenting %s with prefix %q:\n%s\nwant:\n%s", compact, prefix, got, want.Bytes())
		}
	}
}

// FuzzAppendIndent: any compact JSON is indented as json.Indent does, and
// no input makes appendIndent panic.
func FuzzAppendIndent(f *testing.F) {
	for _, s := range []string{`{"a":[1,{"b":"c\\\"d"}],"e":{}}`, `[]`, `"x`, `{"a":`, `\`, `[[[]]]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		appendIndent(nil, b, "  ", "  ") // must not panic, valid or not
		var compact bytes.Buffer
		if !json.Valid(b) || json.Compact(&compact, b) != nil || !bytes.Equal(compact.Bytes(), b) {
			return
		}
		checkIndent(t, b)
	})
}
