// Package lab owns the lab's manifest: loading and validating the ground
// truth of the lab captures.
//
// The lab (lab/run.sh) runs real strongSwan charon daemons against each other
// in network namespaces, with the misconfigurations engineers make, and
// commits what it captures under testdata/pcaps/lab/<scenario>/: the capture,
// Wireshark's decryption tables built from the daemons' logs, and the logs
// themselves. testdata/pcaps/manifest.json records, for every scenario, what
// was misconfigured, where the negotiation fails in the capture, the notifies
// the daemons logged and the findings ipsecpcap is expected to report. Tests
// get that ground truth with
//
//	m, err := lab.Load("../testdata/pcaps/manifest.json")
//
// and resolve the files of a scenario with Manifest.Path.
//
// The package also parses charon's level-4 logs (ParseCharonLog), which is how
// the lab gets the keys out of a strongSwan build without the save-keys plugin.
package lab

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// SchemaVersion is the manifest schema this package reads and writes.
const SchemaVersion = 1

// Manifest is the content of testdata/pcaps/manifest.json.
type Manifest struct {
	Schema    int        `json:"schema"`
	Scenarios []Scenario `json:"scenarios"`

	// dir is the directory of the manifest file; the paths of the
	// scenarios are relative to it.
	dir string
}

// Scenario is the ground truth of one lab capture.
type Scenario struct {
	// Name is the scenario's name and the name of its directory under
	// testdata/pcaps/lab/.
	Name string `json:"name"`
	// Capture is the path of the capture, relative to the manifest's
	// directory (testdata/pcaps).
	Capture string `json:"capture"`
	// Keys are Wireshark's decryption tables (ikev1_decryption_table,
	// ikev2_decryption_table, esp_sa) for the capture, relative paths. A
	// table can be empty when the negotiation failed before keys existed.
	Keys []string `json:"keys"`
	// Logs are the charon logs of the run (level 4 for IKE and CHILD_SA,
	// they hold the keys), relative paths.
	Logs []string `json:"logs"`
	// IKEVersion is 1 or 2.
	IKEVersion int `json:"ike_version"`
	// Mode is "main", "aggressive" or "ikev2".
	Mode        string    `json:"mode"`
	Description string    `json:"description"`
	Misconfig   Misconfig `json:"misconfig"`
	// FailsAt is where the failure shows in the capture; nil for a
	// scenario whose tunnel comes up as configured.
	FailsAt *FailsAt `json:"fails_at"`
	// Established tells whether the IKE SA and an IPsec SA were negotiated
	// and still up at the end of the run (possibly after a recovery such as
	// an INVALID_KE retry or a re-initiation); it says nothing about whether
	// the path carries the ESP (see ikev2-esp-one-way).
	Established bool `json:"established"`
	// NotifySeen are the names of the notifies that tell what went wrong
	// (or, for DPD, what was exchanged), as the daemons logged them, e.g.
	// NO_PROPOSAL_CHOSEN, AUTHENTICATION_FAILED, R_U_THERE.
	NotifySeen []string `json:"notify_seen"`
	// ExpectedFindings are the finding codes ipsecpcap should report for the
	// capture; empty for a healthy capture except informational codes
	// (NAT_DETECTED, SA_REKEYED). Note that NAT_DETECTED is expected in
	// nearly every lab capture: with kernel-libipsec (the only way to carry
	// ESP on the lab machines) charon forces UDP encapsulation and therefore
	// sends a random NAT_DETECTION_SOURCE_IP hash, so wherever NAT-D
	// payloads were exchanged the hashes do not match the packet.
	ExpectedFindings []string `json:"expected_findings"`
	// KeysVerifiedWithTshark tells whether tshark decrypted the capture's
	// encrypted IKE and ESP packets with the key files (checksums correct).
	// It is false where the capture carries nothing encrypted.
	KeysVerifiedWithTshark bool `json:"keys_verified_with_tshark"`
	// Observed is free text: the notify and failing message actually
	// observed in the daemons' logs, quoting the key log line.
	Observed string `json:"observed"`
	// Frames is the number of frames in the capture.
	Frames int `json:"frames"`
}

// Misconfig says what is wrong and on which side.
type Misconfig struct {
	// Side is "initiator", "responder" or "none".
	Side string `json:"side"`
	What string `json:"what"`
}

// FailsAt locates the failure.
type FailsAt struct {
	// Exchange is the exchange where the failure shows, as Wireshark and
	// the RFCs name it: "Main Mode", "Aggressive Mode", "Quick Mode",
	// "Informational", "IKE_SA_INIT", "IKE_AUTH", "CREATE_CHILD_SA",
	// "INFORMATIONAL", or "ESP".
	Exchange string `json:"exchange"`
	// Message is the message number within the exchange (1 = the
	// initiator's first message; e.g. MM5 is Main Mode message 5; IKE_AUTH
	// response is message 2).
	Message int `json:"message"`
	// Frame is the 1-based frame number in the capture where the failure
	// shows: the frame carrying the error notify, or the last unanswered
	// retransmission.
	Frame int `json:"frame"`
}

// Findings is the set of finding codes ipsecpcap can report.
var Findings = []string{
	"P1_NO_RESPONSE", "P1_PROPOSAL_MISMATCH", "P1_DH_GROUP_MISMATCH", "P1_AUTH_FAILED",
	"P1_NAT_T_BLOCKED", "P1_FRAGMENTATION",
	"P2_NO_RESPONSE", "P2_PROPOSAL_MISMATCH", "P2_PFS_MISMATCH", "P2_TS_MISMATCH", "P2_REJECTED",
	"ESP_ONE_WAY", "ESP_INVALID_SPI", "ESP_SEQ_GAP", "ESP_REPLAY", "ESP_NONE",
	"DPD_PEER_DEAD", "NAT_DETECTED", "SA_DELETED", "SA_REKEYED", "SA_FLAPPING", "WEAK_CRYPTO",
}

// IsFinding tells whether code is one of Findings.
func IsFinding(code string) bool {
	for _, f := range Findings {
		if f == code {
			return true
		}
	}
	return false
}

// Load reads and validates the manifest at path.
func Load(path string) (*Manifest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	m.dir = filepath.Dir(path)
	return m, nil
}

// Parse decodes and validates a manifest. Paths of the result resolve
// against the current directory; use Load to resolve them against the
// manifest's directory.
func Parse(b []byte) (*Manifest, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

// Dir is the directory the scenarios' paths are relative to.
func (m *Manifest) Dir() string { return m.dir }

// Path resolves a path of a scenario (Capture, Keys, Logs).
func (m *Manifest) Path(rel string) string {
	return filepath.Join(m.dir, filepath.FromSlash(rel))
}

// Scenario returns the scenario with the given name.
func (m *Manifest) Scenario(name string) (*Scenario, bool) {
	for i := range m.Scenarios {
		if m.Scenarios[i].Name == name {
			return &m.Scenarios[i], true
		}
	}
	return nil, false
}

// Validate checks that the manifest is well-formed: schema, unique names,
// required fields, known values and finding codes. It does not look at
// the files.
func (m *Manifest) Validate() error {
	if m.Schema != SchemaVersion {
		return fmt.Errorf("schema %d, want %d", m.Schema, SchemaVersion)
	}
	if len(m.Scenarios) == 0 {
		return errors.New("no scenarios")
	}
	seen := map[string]bool{}
	var errs []error
	for i := range m.Scenarios {
		s := &m.Scenarios[i]
		if seen[s.Name] {
			errs = append(errs, fmt.Errorf("scenario %q listed twice", s.Name))
		}
		seen[s.Name] = true
		if err := s.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Validate checks the fields of one scenario.
func (s *Scenario) Validate() error {
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("scenario %q: "+format, append([]any{s.Name}, a...)...))
	}
	if s.Name == "" || strings.ContainsAny(s.Name, "/\\ ") {
		bad("bad name")
	}
	checkPath := func(what, p string) {
		switch {
		case p == "":
			bad("empty %s path", what)
		case filepath.IsAbs(p) || strings.HasPrefix(p, "/"):
			bad("%s path %q is absolute", what, p)
		case strings.Contains(p, ".."):
			bad("%s path %q leaves testdata/pcaps", what, p)
		}
	}
	checkPath("capture", s.Capture)
	if len(s.Keys) == 0 {
		bad("no key files")
	}
	for _, k := range s.Keys {
		checkPath("key", k)
	}
	if len(s.Logs) == 0 {
		bad("no logs")
	}
	for _, l := range s.Logs {
		checkPath("log", l)
	}
	switch s.IKEVersion {
	case 1:
		if s.Mode != "main" && s.Mode != "aggressive" {
			bad("IKEv1 with mode %q", s.Mode)
		}
	case 2:
		if s.Mode != "ikev2" {
			bad("IKEv2 with mode %q", s.Mode)
		}
	default:
		bad("ike_version %d", s.IKEVersion)
	}
	if strings.TrimSpace(s.Description) == "" {
		bad("no description")
	}
	switch s.Misconfig.Side {
	case "initiator", "responder", "none":
	default:
		bad("misconfig side %q", s.Misconfig.Side)
	}
	if strings.TrimSpace(s.Misconfig.What) == "" {
		bad("misconfig without what")
	}
	if s.FailsAt != nil {
		if s.FailsAt.Exchange == "" {
			bad("fails_at without exchange")
		}
		if s.FailsAt.Message < 1 {
			bad("fails_at message %d", s.FailsAt.Message)
		}
		if s.FailsAt.Frame < 1 {
			bad("fails_at frame %d", s.FailsAt.Frame)
		}
		if s.Frames > 0 && s.FailsAt.Frame > s.Frames {
			bad("fails_at frame %d past the last frame %d", s.FailsAt.Frame, s.Frames)
		}
	}
	if s.NotifySeen == nil {
		bad("notify_seen missing (use [])")
	}
	if s.ExpectedFindings == nil {
		bad("expected_findings missing (use [])")
	}
	for _, f := range s.ExpectedFindings {
		if !IsFinding(f) {
			bad("unknown finding code %q", f)
		}
	}
	if strings.TrimSpace(s.Observed) == "" {
		bad("no observed text")
	}
	if s.Frames < 1 {
		bad("frames %d", s.Frames)
	}
	return errors.Join(errs...)
}

// Marshal encodes the manifest as the lab writes it: indented, scenarios in
// the given order, a trailing newline.
func (m *Manifest) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// SortScenarios orders the scenarios by their position in order; names
// not in order go last, alphabetically.
func (m *Manifest) SortScenarios(order []string) {
	pos := map[string]int{}
	for i, n := range order {
		pos[n] = i
	}
	sort.SliceStable(m.Scenarios, func(i, j int) bool {
		a, aok := pos[m.Scenarios[i].Name]
		b, bok := pos[m.Scenarios[j].Name]
		switch {
		case aok && bok:
			return a < b
		case aok != bok:
			return aok
		default:
			return m.Scenarios[i].Name < m.Scenarios[j].Name
		}
	})
}
