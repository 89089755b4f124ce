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
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
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

	// CapturePoint says where Capture was taken. Absent in the entries
	// written before the lab captured at several points (their Capture is
	// on the initiator's link, or outside the NAT for ikev2-nat-t).
	CapturePoint *Point `json:"capture_point,omitempty"`
	// Captures are the captures taken at the other points of the
	// topology, at the same time as Capture (one tcpdump per point,
	// started and stopped together). For a scenario with Captures,
	// ExpectedFindings are what the captures analysed together (one merged
	// timeline) report; PATH_LOSS needs more than one point.
	Captures []Capture `json:"captures,omitempty"`
	// PathLoss lists the packets that left one capture point and never
	// reached the next one: the ground truth of PATH_LOSS.
	PathLoss []PathLoss `json:"path_loss,omitempty"`
}

// Point is a capture point of a lab topology.
type Point struct {
	// Point names it: "initiator", "responder" (the two ends of the path
	// in the direct and routed topologies), "inside", "outside" (the legs
	// of the NAT).
	Point string `json:"point"`
	// Namespace and Interface are where tcpdump ran (ipl-*).
	Namespace   string `json:"namespace"`
	Interface   string `json:"interface"`
	Description string `json:"description"`
	// InitiatorAddr and ResponderAddr are the peers' outer addresses as
	// packets carry them at this point (behind a NAT the initiator's
	// inside address, outside it the NAT's).
	InitiatorAddr string `json:"initiator_addr"`
	ResponderAddr string `json:"responder_addr"`
}

// Capture is one more capture of a scenario, taken at another point.
type Capture struct {
	// Path is relative to the manifest's directory, like Scenario.Capture:
	// lab/<scenario>/capture-<point>.pcap.
	Path string `json:"path"`
	Point
	// Frames is the number of frames in this capture.
	Frames int `json:"frames"`
	// TimeShiftSeconds is what was added to every time stamp of this
	// capture after the run (editcap -t), as if its clock ran that much
	// ahead of the primary capture's (negative: behind); 0 when the two
	// captures share the machine's clock. Propagation between the points
	// adds well under a millisecond.
	TimeShiftSeconds float64 `json:"time_shift_seconds"`
	// KeysVerifiedWithTshark as for the primary capture, with the same key
	// files.
	KeysVerifiedWithTshark bool `json:"keys_verified_with_tshark"`
	// AddressMap lists the endpoints that the same packets (same IKE
	// header, same ESP SPI and sequence number) carry differently here and
	// in the primary capture: a NAT's translations. Empty without a NAT.
	AddressMap []AddrMapping `json:"address_map,omitempty"`
}

// AddrMapping is one endpoint, "address:port" (the address alone for a
// packet without ports), as a capture point sees it (Here) and as the
// primary capture does.
type AddrMapping struct {
	Here    string `json:"here"`
	Primary string `json:"primary"`
}

// PathLoss is a set of packets that one capture point saw and the next
// point on their way did not.
type PathLoss struct {
	// From and To name capture points (CapturePoint.Point or a
	// Captures[].Point): the packets were seen at From, never at To.
	From string `json:"from"`
	To   string `json:"to"`
	// What they are, e.g. "IKE_AUTH request and its retransmissions".
	What string `json:"what"`
	// Frames are the lost packets' frame numbers in From's capture.
	Frames []int `json:"frames"`
}

// Misconfig says what is wrong and on which side.
type Misconfig struct {
	// Side is "initiator", "responder", "path" (a middle box between the
	// peers, e.g. a router's firewall) or "none".
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
	"MISLEADING_NOTIFY", "CAPTURE_DROPS", "PATH_LOSS",
	// lifecycle findings: both peers rekeyed the same SA at once (RFC 7296
	// 2.8.1), a peer redirected the initiator (RFC 5685), a responder
	// demanded a cookie (RFC 7296 2.6)
	"REKEY_COLLISION", "IKE_REDIRECTED", "COOKIE_CHALLENGE",
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

// Path resolves a path of a scenario (Capture, Captures[].Path, Keys, Logs).
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
	case "initiator", "responder", "path", "none":
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
	s.validatePoints(bad, checkPath)
	return errors.Join(errs...)
}

// validatePoints checks CapturePoint, Captures and PathLoss.
func (s *Scenario) validatePoints(bad func(string, ...any), checkPath func(string, string)) {
	frames := map[string]int{} // point -> frames of its capture
	paths := map[string]bool{s.Capture: true}
	checkPoint := func(p *Point) {
		if p.Point == "" || strings.ContainsAny(p.Point, "/\\ ") {
			bad("bad capture point name %q", p.Point)
		} else if _, dup := frames[p.Point]; dup {
			bad("capture point %q listed twice", p.Point)
		}
		if !strings.HasPrefix(p.Namespace, "ipl-") || p.Interface == "" {
			bad("capture point %q: namespace %q, interface %q", p.Point, p.Namespace, p.Interface)
		}
		if strings.TrimSpace(p.Description) == "" {
			bad("capture point %q without description", p.Point)
		}
		for _, a := range []string{p.InitiatorAddr, p.ResponderAddr} {
			if _, err := netip.ParseAddr(a); err != nil {
				bad("capture point %q: address %q", p.Point, a)
			}
		}
	}
	if s.CapturePoint != nil {
		checkPoint(s.CapturePoint)
		frames[s.CapturePoint.Point] = s.Frames
	} else if len(s.Captures) > 0 {
		bad("captures without capture_point")
	}
	for i := range s.Captures {
		c := &s.Captures[i]
		checkPath("capture", c.Path)
		if paths[c.Path] {
			bad("capture %q listed twice", c.Path)
		}
		paths[c.Path] = true
		checkPoint(&c.Point)
		if c.Frames < 1 {
			bad("capture %q: frames %d", c.Path, c.Frames)
		}
		if math.IsNaN(c.TimeShiftSeconds) || math.IsInf(c.TimeShiftSeconds, 0) || math.Abs(c.TimeShiftSeconds) > 86400 {
			bad("capture %q: time shift %v", c.Path, c.TimeShiftSeconds)
		}
		frames[c.Point.Point] = c.Frames
		for _, a := range c.AddressMap {
			for _, e := range []string{a.Here, a.Primary} {
				if _, err := netip.ParseAddrPort(e); err != nil && !validAddr(e) {
					bad("capture %q: address map endpoint %q", c.Path, e)
				}
			}
		}
	}
	for _, l := range s.PathLoss {
		n, okFrom := frames[l.From]
		_, okTo := frames[l.To]
		if !okFrom || !okTo || l.From == l.To {
			bad("path_loss from %q to %q: not two capture points of the scenario", l.From, l.To)
		}
		if strings.TrimSpace(l.What) == "" {
			bad("path_loss without what")
		}
		if len(l.Frames) == 0 {
			bad("path_loss from %q to %q without frames", l.From, l.To)
		}
		for _, f := range l.Frames {
			if f < 1 || okFrom && f > n {
				bad("path_loss frame %d not in %q's capture of %d frames", f, l.From, n)
			}
		}
	}
	if len(s.PathLoss) > 0 && !slices.Contains(s.ExpectedFindings, "PATH_LOSS") {
		bad("path_loss without PATH_LOSS among the expected findings")
	}
}

func validAddr(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}

// MaxCaptureSize is the size limit of a committed capture.
const MaxCaptureSize = 1 << 20

// CapturePaths are the scenario's captures, the primary first.
func (s *Scenario) CapturePaths() []string {
	p := []string{s.Capture}
	for _, c := range s.Captures {
		p = append(p, c.Path)
	}
	return p
}

// CheckFiles checks the scenario's files on disk: every capture present,
// smaller than MaxCaptureSize and starting with a pcap or pcapng magic;
// key files and logs present, logs not empty.
func (m *Manifest) CheckFiles(s *Scenario) error {
	var errs []error
	for _, rel := range s.CapturePaths() {
		if err := checkCaptureFile(m.Path(rel)); err != nil {
			errs = append(errs, fmt.Errorf("scenario %q: %w", s.Name, err))
		}
	}
	for _, k := range s.Keys {
		if _, err := os.Stat(m.Path(k)); err != nil {
			errs = append(errs, fmt.Errorf("scenario %q: key file: %w", s.Name, err))
		}
	}
	for _, l := range s.Logs {
		fi, err := os.Stat(m.Path(l))
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("scenario %q: log: %w", s.Name, err))
		case fi.Size() == 0:
			errs = append(errs, fmt.Errorf("scenario %q: log %s is empty", s.Name, l))
		}
	}
	return errors.Join(errs...)
}

func checkCaptureFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if fi.Size() >= MaxCaptureSize {
		return fmt.Errorf("%s is %d bytes, limit %d", path, fi.Size(), MaxCaptureSize)
	}
	var b [4]byte
	if _, err := io.ReadFull(f, b[:]); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if !PcapMagic(b[:]) {
		return fmt.Errorf("%s does not start with a pcap/pcapng magic: % x", path, b)
	}
	return nil
}

// PcapMagic tells whether b starts like a pcap or pcapng file.
func PcapMagic(b []byte) bool {
	if len(b) < 4 {
		return false
	}
	switch binary.BigEndian.Uint32(b[:4]) {
	case 0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0x0a0d0d0a:
		return true
	}
	return false
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
