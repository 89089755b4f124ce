package lab

import (
	"bytes"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const manifestPath = "../testdata/pcaps/manifest.json"

// maxCapture is the size limit of a committed capture.
const maxCapture = MaxCaptureSize

func loadManifest(t *testing.T) *Manifest {
	t.Helper()
	m, err := Load(manifestPath)
	if err != nil {
		t.Fatalf("Load(%s): %v", manifestPath, err)
	}
	return m
}

func TestManifestWellFormed(t *testing.T) {
	m := loadManifest(t)
	if m.Schema != SchemaVersion {
		t.Errorf("schema %d", m.Schema)
	}
	if len(m.Scenarios) < 12 {
		t.Errorf("only %d scenarios", len(m.Scenarios))
	}
	for _, s := range m.Scenarios {
		s := s
		t.Run(s.Name, func(t *testing.T) {
			if err := s.Validate(); err != nil {
				t.Error(err)
			}
			for _, f := range s.ExpectedFindings {
				if !IsFinding(f) {
					t.Errorf("unknown finding %q", f)
				}
			}
			if want := path.Join("lab", s.Name, "capture.pcap"); s.Capture != want {
				t.Errorf("capture %q, want %q", s.Capture, want)
			}
			// a scenario that fails shows it in the capture; one that
			// does not fail has a tunnel
			if s.FailsAt == nil && !s.Established {
				t.Errorf("neither fails_at nor established")
			}
			if s.Misconfig.Side == "none" && s.FailsAt != nil && s.FailsAt.Exchange != "Informational" {
				// only a dying peer fails without a misconfiguration
				t.Errorf("fails at %s without a misconfiguration", s.FailsAt.Exchange)
			}
			// the other capture points' files sit beside the primary,
			// named for their point
			for _, c := range s.Captures {
				if want := path.Join("lab", s.Name, "capture-"+c.Point.Point+".pcap"); c.Path != want {
					t.Errorf("capture of point %s: %q, want %q", c.Point.Point, c.Path, want)
				}
			}
			if s.Misconfig.Side == "path" && len(s.PathLoss) == 0 {
				t.Errorf("misconfigured on the path without path_loss")
			}
		})
	}
}

// TestMultiPointScenarios checks the scenarios captured at several points
// the lab is expected to have, and that the older ones stay single-point.
func TestMultiPointScenarios(t *testing.T) {
	m := loadManifest(t)
	want := map[string]struct {
		primary, other string
		shift          float64
		pathLoss       bool
	}{
		"ikev2-udp4500-blocked":            {"initiator", "responder", 0, true},
		"ikev2-esp-dropped-midpath":        {"initiator", "responder", 0, true},
		"ikev2-ok-two-points":              {"initiator", "responder", 2.5, false},
		"ikev2-nat-t-two-points":           {"outside", "inside", 0, false},
		"ikev1-ts-not-mirrored-two-points": {"initiator", "responder", 0, false},
	}
	for name, w := range want {
		s, ok := m.Scenario(name)
		if !ok {
			t.Errorf("no scenario %s", name)
			continue
		}
		if s.CapturePoint == nil || s.CapturePoint.Point != w.primary {
			t.Errorf("%s: capture_point %+v, want %s", name, s.CapturePoint, w.primary)
		}
		if len(s.Captures) != 1 || s.Captures[0].Point.Point != w.other {
			t.Errorf("%s: captures %+v, want one at %s", name, s.Captures, w.other)
			continue
		}
		if got := s.Captures[0].TimeShiftSeconds; got != w.shift {
			t.Errorf("%s: time shift %v, want %v", name, got, w.shift)
		}
		if (len(s.PathLoss) > 0) != w.pathLoss {
			t.Errorf("%s: path_loss %+v", name, s.PathLoss)
		}
		if w.pathLoss && !slices.Contains(s.ExpectedFindings, "PATH_LOSS") {
			t.Errorf("%s: PATH_LOSS not expected", name)
		}
	}
	if s, ok := m.Scenario("ikev2-nat-t-two-points"); ok && len(s.Captures) == 1 && len(s.Captures[0].AddressMap) == 0 {
		t.Error("ikev2-nat-t-two-points: no address map across the NAT")
	}
	// the scenarios captured at one point keep their meaning
	for _, s := range m.Scenarios {
		if _, multi := want[s.Name]; !multi && s.CapturePoint == nil && (len(s.Captures) > 0 || len(s.PathLoss) > 0) {
			t.Errorf("%s: captures without capture_point", s.Name)
		}
	}
}

// pcapMagic tells whether b starts like a pcap or pcapng file.
func pcapMagic(b []byte) bool { return PcapMagic(b) }

func TestScenarioFilesPresent(t *testing.T) {
	m := loadManifest(t)
	for _, s := range m.Scenarios {
		s := s
		t.Run(s.Name, func(t *testing.T) {
			if err := m.CheckFiles(&s); err != nil {
				t.Error(err)
			}
			p := m.Path(s.Capture)
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatalf("capture: %v", err)
			}
			if fi.Size() >= maxCapture {
				t.Errorf("capture is %d bytes, limit %d", fi.Size(), maxCapture)
			}
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if !pcapMagic(b) {
				t.Errorf("capture does not start with a pcap/pcapng magic: % x", b[:min(4, len(b))])
			}
			if s.FailsAt != nil && s.Frames > 0 && s.FailsAt.Frame > s.Frames {
				t.Errorf("fails_at frame %d > %d frames", s.FailsAt.Frame, s.Frames)
			}
			names := map[string]bool{}
			for _, k := range s.Keys {
				names[path.Base(k)] = true
				if _, err := os.Stat(m.Path(k)); err != nil {
					t.Errorf("key file: %v", err)
				}
			}
			for _, want := range []string{"ikev1_decryption_table", "ikev2_decryption_table", "esp_sa"} {
				if !names[want] {
					t.Errorf("no %s among the keys", want)
				}
			}
			if s.KeysVerifiedWithTshark {
				total := 0
				for _, k := range s.Keys {
					b, _ := os.ReadFile(m.Path(k))
					total += len(bytes.TrimSpace(b))
				}
				if total == 0 {
					t.Errorf("keys verified but every key table is empty")
				}
			}
			for _, l := range s.Logs {
				fi, err := os.Stat(m.Path(l))
				if err != nil {
					t.Errorf("log: %v", err)
					continue
				}
				if fi.Size() == 0 {
					t.Errorf("log %s is empty", l)
				}
			}
		})
	}
}

func TestManifestNames(t *testing.T) {
	m := loadManifest(t)
	for _, want := range []string{"ikev1-main-ok", "ikev2-ok"} {
		if _, ok := m.Scenario(want); !ok {
			t.Errorf("no scenario %s", want)
		}
	}
	if _, ok := m.Scenario("no-such-scenario"); ok {
		t.Error("found a scenario that does not exist")
	}
}

const goodScenario = `{
  "name": "x",
  "capture": "lab/x/capture.pcap",
  "keys": ["lab/x/esp_sa"],
  "logs": ["lab/x/charon-initiator.log"],
  "ike_version": 2,
  "mode": "ikev2",
  "description": "d",
  "misconfig": {"side": "responder", "what": "w"},
  "fails_at": {"exchange": "IKE_AUTH", "message": 2, "frame": 4},
  "established": false,
  "notify_seen": ["AUTHENTICATION_FAILED"],
  "expected_findings": ["P1_AUTH_FAILED"],
  "keys_verified_with_tshark": true,
  "observed": "o",
  "frames": 4
}`

func TestParseRejects(t *testing.T) {
	wrap := func(sc string) []byte { return []byte(`{"schema":1,"scenarios":[` + sc + `]}`) }
	if _, err := Parse(wrap(goodScenario)); err != nil {
		t.Fatalf("good scenario rejected: %v", err)
	}
	bad := map[string]string{
		"unknown finding":   strings.Replace(goodScenario, `"P1_AUTH_FAILED"`, `"P1_AUTH_BROKEN"`, 1),
		"bad side":          strings.Replace(goodScenario, `"responder"`, `"both"`, 1),
		"bad mode":          strings.Replace(goodScenario, `"ikev2"`, `"main"`, 1),
		"no capture":        strings.Replace(goodScenario, `"lab/x/capture.pcap"`, `""`, 1),
		"absolute path":     strings.Replace(goodScenario, `"lab/x/esp_sa"`, `"/etc/passwd"`, 1),
		"frame past end":    strings.Replace(goodScenario, `"frame": 4`, `"frame": 5`, 1),
		"frame zero":        strings.Replace(goodScenario, `"frame": 4`, `"frame": 0`, 1),
		"no findings field": strings.Replace(goodScenario, `"expected_findings": ["P1_AUTH_FAILED"],`, ``, 1),
		"unknown field":     strings.Replace(goodScenario, `"observed": "o"`, `"observed": "o", "extra": 1`, 1),
		"no observed":       strings.Replace(goodScenario, `"observed": "o"`, `"observed": ""`, 1),
	}
	for name, sc := range bad {
		if _, err := Parse(wrap(sc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := Parse([]byte(`{"schema":2,"scenarios":[` + goodScenario + `]}`)); err == nil {
		t.Error("schema 2 accepted")
	}
	if _, err := Parse(wrap(goodScenario + "," + goodScenario)); err == nil {
		t.Error("duplicate name accepted")
	}
}

// goodMulti is goodScenario captured at two points, with a path loss.
var goodMulti = strings.Replace(strings.Replace(goodScenario, `"P1_AUTH_FAILED"]`, `"P1_AUTH_FAILED", "PATH_LOSS"]`, 1),
	`"frames": 4`, `"frames": 4,
  "capture_point": {"point": "initiator", "namespace": "ipl-i", "interface": "ipl-i0", "description": "d",
    "initiator_addr": "198.18.1.1", "responder_addr": "198.18.3.2"},
  "captures": [{"path": "lab/x/capture-responder.pcap", "point": "responder", "namespace": "ipl-r",
    "interface": "ipl-r0", "description": "d", "initiator_addr": "198.18.1.1", "responder_addr": "198.18.3.2",
    "frames": 2, "time_shift_seconds": 2.5, "keys_verified_with_tshark": false,
    "address_map": [{"here": "198.18.1.1:500", "primary": "198.18.2.254:28877"}]}],
  "path_loss": [{"from": "initiator", "to": "responder", "what": "IKE_AUTH", "frames": [3, 4]}]`, 1)

func TestParseMultiPoint(t *testing.T) {
	wrap := func(sc string) []byte { return []byte(`{"schema":1,"scenarios":[` + sc + `]}`) }
	m, err := Parse(wrap(goodMulti))
	if err != nil {
		t.Fatalf("good multi-point scenario rejected: %v", err)
	}
	s := m.Scenarios[0]
	if s.CapturePoint.Point != "initiator" || len(s.Captures) != 1 || s.Captures[0].TimeShiftSeconds != 2.5 ||
		s.Captures[0].Point.Point != "responder" || s.Captures[0].Namespace != "ipl-r" || len(s.PathLoss) != 1 {
		t.Errorf("parsed %+v", s)
	}
	if got := s.CapturePaths(); !slices.Equal(got, []string{"lab/x/capture.pcap", "lab/x/capture-responder.pcap"}) {
		t.Errorf("CapturePaths %v", got)
	}
	// a single-point entry has none of the new fields and stays valid
	if m, err := Parse(wrap(goodScenario)); err != nil || m.Scenarios[0].CapturePoint != nil || m.Scenarios[0].Captures != nil {
		t.Errorf("single-point scenario: %v", err)
	}
	// and is written back without them
	b, err := (&Manifest{Schema: 1, Scenarios: []Scenario{{Name: "x"}}}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"capture_point", "captures", "path_loss"} {
		if strings.Contains(string(b), f) {
			t.Errorf("empty %s written: %s", f, b)
		}
	}
	bad := map[string]string{
		"no capture_point":   regexp.MustCompile(`(?s)"capture_point": \{.*?\},\n`).ReplaceAllString(goodMulti, ""),
		"point twice":        strings.Replace(goodMulti, `"point": "responder"`, `"point": "initiator"`, 1),
		"capture path twice": strings.Replace(goodMulti, `"lab/x/capture-responder.pcap"`, `"lab/x/capture.pcap"`, 1),
		"absolute capture":   strings.Replace(goodMulti, `"lab/x/capture-responder.pcap"`, `"/tmp/c.pcap"`, 1),
		"no frames":          strings.Replace(goodMulti, `"frames": 2`, `"frames": 0`, 1),
		"foreign namespace":  strings.Replace(goodMulti, `"namespace": "ipl-r"`, `"namespace": "prod"`, 1),
		"bad address": strings.Replace(goodMulti, `"responder_addr": "198.18.3.2",
    "frames"`, `"responder_addr": "responder",
    "frames"`, 1),
		"bad endpoint":         strings.Replace(goodMulti, `"198.18.2.254:28877"`, `"nat"`, 1),
		"loss to unknown":      strings.Replace(goodMulti, `"to": "responder"`, `"to": "router"`, 1),
		"loss to itself":       strings.Replace(goodMulti, `"to": "responder"`, `"to": "initiator"`, 1),
		"loss frame past end":  strings.Replace(goodMulti, `"frames": [3, 4]`, `"frames": [3, 5]`, 1),
		"loss without frames":  strings.Replace(goodMulti, `"frames": [3, 4]`, `"frames": []`, 1),
		"loss without finding": strings.Replace(goodMulti, `, "PATH_LOSS"]`, `]`, 1),
		"unknown point field":  strings.Replace(goodMulti, `"time_shift_seconds": 2.5`, `"time_shift_seconds": 2.5, "clock": 1`, 1),
		"huge shift":           strings.Replace(goodMulti, `"time_shift_seconds": 2.5`, `"time_shift_seconds": 1e9`, 1),
	}
	for name, sc := range bad {
		if sc == goodMulti {
			t.Errorf("%s: the test's replacement did not apply", name)
			continue
		}
		if _, err := Parse(wrap(sc)); err == nil {
			t.Errorf("%s: accepted", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

func TestCheckFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pcap := []byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0}
	write("lab/x/capture.pcap", pcap)
	write("lab/x/esp_sa", nil)
	write("lab/x/charon-initiator.log", []byte("log\n"))
	b := []byte(`{"schema":1,"scenarios":[` + goodMulti + `]}`)
	write("manifest.json", b)
	m, err := Load(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	s := &m.Scenarios[0]
	if err := m.CheckFiles(s); err == nil || !strings.Contains(err.Error(), "capture-responder.pcap") {
		t.Errorf("missing extra capture: %v", err)
	}
	write("lab/x/capture-responder.pcap", []byte("not a capture"))
	if err := m.CheckFiles(s); err == nil || !strings.Contains(err.Error(), "magic") {
		t.Errorf("extra capture without magic: %v", err)
	}
	write("lab/x/capture-responder.pcap", append(pcap, make([]byte, MaxCaptureSize)...))
	if err := m.CheckFiles(s); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("extra capture too large: %v", err)
	}
	write("lab/x/capture-responder.pcap", pcap)
	if err := m.CheckFiles(s); err != nil {
		t.Errorf("good files: %v", err)
	}
}
