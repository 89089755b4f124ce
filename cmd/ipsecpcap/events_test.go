package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// eventsSchema compiles docs/events.schema.json, checking string formats
// (the addresses) as well.
func eventsSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	s, err := c.Compile("../../docs/events.schema.json")
	if err != nil {
		t.Fatalf("docs/events.schema.json: %v", err)
	}
	return s
}

// findingID is what the events stream and analyze --json must agree on.
type findingID struct {
	Code, Severity string
	Frames         string
}

func (f findingID) String() string { return f.Code + "/" + f.Severity + "@" + f.Frames }

// TestEventsOfLabCaptures writes `analyze --events -` for every lab
// capture: each line validates against docs/events.schema.json, and the
// findings are those of `analyze --json` (codes, severities, frames), one
// event each; the tunnel events name tunnels of the document and come in
// time order.
func TestEventsOfLabCaptures(t *testing.T) {
	schema := eventsSchema(t)
	caps, err := filepath.Glob(filepath.Join(labCaptures, "lab", "*", "capture.pcap"))
	if err != nil || len(caps) < 40 {
		t.Fatalf("lab captures: %d, %v", len(caps), err)
	}
	actions := map[string]int{}
	for _, c := range caps {
		t.Run(filepath.Base(filepath.Dir(c)), func(t *testing.T) {
			var evOut, docOut, errb bytes.Buffer
			st1 := run([]string{"analyze", "--events", "-", c}, &evOut, &errb)
			st2 := run([]string{"analyze", "--json", "--no-digest", c}, &docOut, &errb)
			if st1 != st2 {
				t.Errorf("exit status %d with --events -, %d with --json", st1, st2)
			}
			var doc struct {
				Findings []struct {
					Code     string `json:"code"`
					Severity string `json:"severity"`
					Frames   []int  `json:"frames"`
				} `json:"findings"`
				Tunnels []struct {
					ID    int    `json:"id"`
					State string `json:"state"`
				} `json:"tunnels"`
			}
			if err := json.Unmarshal(docOut.Bytes(), &doc); err != nil {
				t.Fatalf("analyze --json: %v\n%s", err, errb.String())
			}
			var want, got []string
			for _, f := range doc.Findings {
				want = append(want, findingID{f.Code, f.Severity, fmt.Sprint(f.Frames)}.String())
			}
			tunnels := map[int]string{}
			for _, tu := range doc.Tunnels {
				tunnels[tu.ID] = tu.State
			}
			sc := bufio.NewScanner(&evOut)
			sc.Buffer(nil, 1<<20)
			last, n := "", 0
			for sc.Scan() {
				n++
				line := sc.Bytes()
				inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(line))
				if err != nil {
					t.Fatalf("line %d: not JSON: %v\n%s", n, err, line)
				}
				if err := schema.Validate(inst); err != nil {
					t.Fatalf("line %d does not validate: %v\n%s", n, err, line)
				}
				var ev struct {
					Timestamp string `json:"@timestamp"`
					Event     struct{ Action, Code string }
					IPsec     struct {
						Tunnel *struct {
							ID    int    `json:"id"`
							State string `json:"state"`
						} `json:"tunnel"`
						Finding *struct {
							Code     string `json:"code"`
							Severity string `json:"severity"`
							Frames   []int  `json:"frames"`
						} `json:"finding"`
					} `json:"ipsec"`
				}
				if err := json.Unmarshal(line, &ev); err != nil {
					t.Fatal(err)
				}
				if ev.Timestamp < last {
					t.Errorf("line %d: %s before the previous line's %s", n, ev.Timestamp, last)
				}
				last = ev.Timestamp
				actions[ev.Event.Action]++
				if f := ev.IPsec.Finding; f != nil {
					got = append(got, findingID{f.Code, f.Severity, fmt.Sprint(f.Frames)}.String())
					if ev.Event.Code != f.Code {
						t.Errorf("line %d: event.code %s, finding %s", n, ev.Event.Code, f.Code)
					}
				}
				if tu := ev.IPsec.Tunnel; tu != nil && tunnels[tu.ID] != tu.State {
					t.Errorf("line %d: tunnel %d %s; analyze --json has %q", n, tu.ID, tu.State, tunnels[tu.ID])
				}
			}
			if err := sc.Err(); err != nil {
				t.Fatal(err)
			}
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("findings in the events:\n  %s\nanalyze --json:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
		})
	}
	// Across the lab every kind of state change occurs.
	for _, a := range []string{"finding", "tunnel-up", "tunnel-rekeyed", "tunnel-down", "tunnel-failed"} {
		if actions[a] == 0 {
			t.Errorf("no %s event in any lab capture (%v)", a, actions)
		}
	}
}

// TestEventsFileAndUsage: --events FILE leaves the normal output alone and
// truncates the file; --events - and --json together are refused.
func TestEventsFileAndUsage(t *testing.T) {
	const c = "../../testdata/pcaps/lab/ikev2-psk-mismatch/capture.pcap"
	path := filepath.Join(t.TempDir(), "events.json")
	if err := os.WriteFile(path, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if st := run([]string{"analyze", "--events", path, c}, &out, &errb); st != exitFailure {
		t.Fatalf("exit %d: %s", st, errb.String())
	}
	if !strings.Contains(out.String(), "FAILURE") {
		t.Errorf("the text output is missing:\n%s", out.String())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.HasPrefix(b, []byte("old")) || !bytes.Contains(b, []byte(`"event":{"kind":"alert"`)) {
		t.Errorf("events file:\n%s", b)
	}
	out.Reset()
	errb.Reset()
	if st := run([]string{"analyze", "--events", "-", "--json", c}, &out, &errb); st != exitUnreadable || out.Len() != 0 {
		t.Errorf("--events - --json: exit %d, stdout %q", st, out.String())
	}
}

// TestSensorFlagsRefused: the sensor flags' mistakes are usage errors,
// found before the capture is opened (no root needed).
func TestSensorFlagsRefused(t *testing.T) {
	for _, args := range [][]string{
		{"live", "-i", "lo", "--metrics", "127.0.0.1:0", "--metrics-max-tunnels", "0"},
		{"live", "-i", "lo", "--metrics-max-tunnels", "x"},
	} {
		var out, errb bytes.Buffer
		if st := run(args, &out, &errb); st != exitUnreadable || !strings.Contains(errb.String(), "metrics-max-tunnels") {
			t.Errorf("%v: exit %d\n%s", args, st, errb.String())
		}
	}
}
