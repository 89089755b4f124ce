package lab

import (
	"bytes"
	"encoding/binary"
	"os"
	"path"
	"strings"
	"testing"
)

const manifestPath = "../testdata/pcaps/manifest.json"

// maxCapture is the size limit of a committed capture.
const maxCapture = 1 << 20

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
		})
	}
}

// pcapMagic tells whether b starts like a pcap or pcapng file.
func pcapMagic(b []byte) bool {
	if len(b) < 4 {
		return false
	}
	switch binary.BigEndian.Uint32(b[:4]) {
	case 0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0x0a0d0d0a:
		return true
	}
	return false
}

func TestScenarioFilesPresent(t *testing.T) {
	m := loadManifest(t)
	for _, s := range m.Scenarios {
		s := s
		t.Run(s.Name, func(t *testing.T) {
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
