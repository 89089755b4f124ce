// Package keys owns the key material engineers already have for a capture:
// it reads Wireshark's decryption tables (ikev1_decryption_table,
// ikev2_decryption_table, esp_sa, as Wireshark and strongSwan's save-keys
// plugin write them), Linux "ip xfrm state" output and strongSwan charon
// logs written at log level 4, and answers look-ups by IKE SPI and ESP SPI.
//
// Key bytes never leave this package in text: every key is a Key, whose
// String and Format print "[redacted]", and errors name the file, the line
// and the column, never the value.
package keys

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
)

// Key is secret key material. It prints as "[redacted]" with every verb.
type Key []byte

// Redacted is what a Key prints as.
const Redacted = "[redacted]"

func (Key) String() string   { return Redacted }
func (Key) GoString() string { return Redacted }

// Format prints "[redacted]" for every verb, %x and %v included.
func (Key) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(Redacted)) }

// Error is a problem in a key file: the file, the 1-based line (0 for the
// whole file) and a reason that never contains key bytes.
type Error struct {
	File   string
	Line   int
	Reason string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Reason)
}

// IKEv1Keys is the phase-1 encryption key of one IKEv1 SA.
type IKEv1Keys struct {
	ICookie isakmp.SPI
	EncKey  Key
	// Encr and Hash are algorithm hints from a charon log (strongSwan
	// names, e.g. AES_CBC_128, HMAC_SHA2_256_128); empty from Wireshark's
	// table, whose algorithm comes from the SA payloads of the capture.
	Encr, Hash string
	Source     string // file:line
}

// IKEv2Keys is the key material of one IKEv2 IKE SA. For AEAD ciphers the
// salt is the end of SKei/SKer, as in Wireshark's table.
type IKEv2Keys struct {
	SPIi, SPIr isakmp.SPI
	SKei, SKer Key
	SKai, SKar Key
	Encr       Encryption
	Integ      Integrity
	Source     string
}

// ESPKeys is one direction of an ESP SA. For AES-CTR, AES-GCM, AES-CCM and
// ChaCha20-Poly1305 the salt is the end of EncKey, as in Wireshark's esp_sa.
type ESPKeys struct {
	SPI uint32
	// Src and Dst are the outer addresses; an invalid (zero) prefix is
	// the wildcard "*".
	Src, Dst netip.Prefix
	Encr     Encryption
	EncKey   Key
	Integ    Integrity
	IntegKey Key
	// ESN is set when the SA is known to use extended sequence numbers
	// (ip xfrm state "flag esn").
	ESN    bool
	Source string
}

// Store holds the keys loaded from key files. The zero value is empty and
// usable; a nil *Store has no keys.
type Store struct {
	ikev1   map[isakmp.SPI][]*IKEv1Keys
	ikev2   map[[16]byte]*IKEv2Keys
	esp     map[uint32][]*ESPKeys
	sources []string
}

// NewStore returns an empty store.
func NewStore() *Store { return &Store{} }

func (s *Store) init() {
	if s.ikev1 == nil {
		s.ikev1 = map[isakmp.SPI][]*IKEv1Keys{}
		s.ikev2 = map[[16]byte]*IKEv2Keys{}
		s.esp = map[uint32][]*ESPKeys{}
	}
}

// IKEv1 returns the phase-1 encryption key for the initiator cookie.
func (s *Store) IKEv1(icookie isakmp.SPI) (key Key, ok bool) {
	k, ok := s.IKEv1SA(icookie)
	if !ok {
		return nil, false
	}
	return k.EncKey, true
}

// IKEv1SA returns the (first) IKEv1 entry for the initiator cookie, with
// its algorithm hints.
func (s *Store) IKEv1SA(icookie isakmp.SPI) (*IKEv1Keys, bool) {
	l := s.IKEv1Candidates(icookie)
	if len(l) == 0 {
		return nil, false
	}
	return l[0], true
}

// IKEv1Candidates returns every distinct key known for the initiator
// cookie. There are two when both peers' logs were loaded and their
// pre-shared keys differ: each side then derived its own SKEYID, and each
// side's messages decrypt only with its own key.
func (s *Store) IKEv1Candidates(icookie isakmp.SPI) []*IKEv1Keys {
	if s == nil || s.ikev1 == nil {
		return nil
	}
	return s.ikev1[icookie]
}

// IKEv2 returns the keys of the IKE SA with the given SPIs.
func (s *Store) IKEv2(ispi, rspi isakmp.SPI) (*IKEv2Keys, bool) {
	if s == nil || s.ikev2 == nil {
		return nil, false
	}
	k, ok := s.ikev2[spiPair(ispi, rspi)]
	return k, ok
}

// ESP returns the keys of the ESP SA with the SPI whose addresses match
// (exact entries before wildcards).
func (s *Store) ESP(spi uint32, src, dst netip.Addr) (*ESPKeys, bool) {
	if s == nil || s.esp == nil {
		return nil, false
	}
	var best *ESPKeys
	bestScore := -1
	for _, k := range s.esp[spi] {
		score := 0
		if k.Src.IsValid() {
			if !k.Src.Contains(src.Unmap()) {
				continue
			}
			score++
		}
		if k.Dst.IsValid() {
			if !k.Dst.Contains(dst.Unmap()) {
				continue
			}
			score++
		}
		if score > bestScore {
			best, bestScore = k, score
		}
	}
	return best, best != nil
}

// Sources returns the key files that contributed at least one key, in the
// order loaded.
func (s *Store) Sources() []string {
	if s == nil {
		return nil
	}
	return append([]string(nil), s.sources...)
}

// Counts returns the number of IKEv1, IKEv2 and ESP SAs held.
func (s *Store) Counts() (ikev1, ikev2, esp int) {
	if s == nil {
		return 0, 0, 0
	}
	for _, l := range s.esp {
		esp += len(l)
	}
	for _, l := range s.ikev1 {
		ikev1 += len(l)
	}
	return ikev1, len(s.ikev2), esp
}

func spiPair(i, r isakmp.SPI) (k [16]byte) {
	copy(k[:8], i[:])
	copy(k[8:], r[:])
	return k
}

// AddIKEv1 adds (or completes) an IKEv1 entry; the first key wins.
func (s *Store) AddIKEv1(k *IKEv1Keys) {
	s.init()
	for _, old := range s.ikev1[k.ICookie] {
		if bytes.Equal(old.EncKey, k.EncKey) {
			if old.Encr == "" {
				old.Encr, old.Hash = k.Encr, k.Hash
			}
			return
		}
	}
	s.ikev1[k.ICookie] = append(s.ikev1[k.ICookie], k)
}

// AddIKEv2 adds an IKEv2 entry, or fills the keys an earlier entry for
// the same SPIs lacked.
func (s *Store) AddIKEv2(k *IKEv2Keys) {
	s.init()
	key := spiPair(k.SPIi, k.SPIr)
	old, ok := s.ikev2[key]
	if !ok {
		s.ikev2[key] = k
		return
	}
	fill := func(dst *Key, src Key) {
		if len(*dst) == 0 {
			*dst = src
		}
	}
	fill(&old.SKei, k.SKei)
	fill(&old.SKer, k.SKer)
	fill(&old.SKai, k.SKai)
	fill(&old.SKar, k.SKar)
}

// AddESP adds an ESP entry unless one for the same SPI and addresses exists.
func (s *Store) AddESP(k *ESPKeys) {
	s.init()
	for _, o := range s.esp[k.SPI] {
		if o.Src == k.Src && o.Dst == k.Dst {
			if k.ESN {
				o.ESN = true
			}
			return
		}
	}
	s.esp[k.SPI] = append(s.esp[k.SPI], k)
}

func (s *Store) addSource(path string) {
	for _, p := range s.sources {
		if p == path {
			return
		}
	}
	s.sources = append(s.sources, path)
}

// Known key file names, searched for in directories.
const (
	FileIKEv1 = "ikev1_decryption_table"
	FileIKEv2 = "ikev2_decryption_table"
	FileESP   = "esp_sa"
)

// maxKeyFile bounds the size of a key file read (charon logs included).
const maxKeyFile = 64 << 20

// Load reads key files. Each path is a file or a directory; a directory is
// searched (not recursively) like Discover searches a capture's directory.
// Every problem is returned, and the keys that could be read are kept.
func Load(paths []string) (*Store, []error) {
	s := NewStore()
	var errs []error
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			errs = append(errs, &Error{File: p, Reason: "cannot read: " + errReason(err)})
			continue
		}
		files := []string{p}
		if st.IsDir() {
			files = searchDir(p, nil)
			if len(files) == 0 {
				errs = append(errs, &Error{File: p, Reason: "no key files in this directory"})
			}
		}
		for _, f := range files {
			errs = append(errs, s.loadFile(f, !st.IsDir())...)
		}
	}
	return s, errs
}

func errReason(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

// Discover returns the key files lying in the directory of the capture.
//
// Only files named for their purpose are picked up: the three Wireshark
// tables, charon*.log and *xfrm* files. A capture lying in a downloads
// folder must not make the tool read every log beside it.
func Discover(capturePath string) []string {
	return searchDir(filepath.Dir(capturePath), func(name string) bool {
		switch {
		case name == FileIKEv1, name == FileIKEv2, name == FileESP,
			strings.HasPrefix(name, "charon") && strings.HasSuffix(name, ".log"),
			strings.Contains(name, "xfrm"):
			return true
		}
		return false
	})
}

// searchDir lists the key files of a directory: the known table names,
// charon logs (*.log) and files holding "ip xfrm state" output. Only the
// names named accepts (all when nil) are considered: the others are not
// even opened.
func searchDir(dir string, named func(string) bool) []string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		name := e.Name()
		if named != nil && !named(name) {
			continue
		}
		path := filepath.Join(dir, name)
		switch {
		case name == FileIKEv1, name == FileIKEv2, name == FileESP:
		case strings.HasSuffix(name, ".log"):
		case looksLikeXfrm(path):
		default:
			continue
		}
		out = append(out, path)
	}
	// Wireshark's tables first: on a duplicate SA the first entry wins.
	rank := func(p string) int {
		switch filepath.Base(p) {
		case FileIKEv1, FileIKEv2, FileESP:
			return 0
		}
		if strings.HasSuffix(p, ".log") {
			return 2
		}
		return 1
	}
	sort.SliceStable(out, func(i, j int) bool {
		if rank(out[i]) != rank(out[j]) {
			return rank(out[i]) < rank(out[j])
		}
		return out[i] < out[j]
	})
	return out
}

func looksLikeXfrm(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	n, _ := f.Read(buf)
	return isXfrm(string(buf[:n]))
}

func isXfrm(s string) bool {
	return strings.Contains(s, "proto esp spi 0x") && strings.Contains(s, "src ")
}

type fileKind int

const (
	kindUnknown fileKind = iota
	kindIKEv1
	kindIKEv2
	kindESP
	kindCharon
	kindXfrm
)

func (s *Store) loadFile(path string, explicit bool) []error {
	st, err := os.Stat(path)
	if err != nil {
		return []error{&Error{File: path, Reason: "cannot read: " + errReason(err)}}
	}
	if st.Size() > maxKeyFile {
		return []error{&Error{File: path, Reason: fmt.Sprintf("%d bytes: too large for a key file", st.Size())}}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return []error{&Error{File: path, Reason: "cannot read: " + errReason(err)}}
	}
	text := string(b)
	base := filepath.Base(path)
	kind := kindUnknown
	switch {
	case strings.HasPrefix(base, FileIKEv1):
		kind = kindIKEv1
	case strings.HasPrefix(base, FileIKEv2):
		kind = kindIKEv2
	case strings.HasPrefix(base, FileESP):
		kind = kindESP
	case isXfrm(text):
		kind = kindXfrm
	case strings.Contains(text, "[IKE]") || strings.Contains(text, "[CHD]") || strings.HasSuffix(base, ".log"):
		kind = kindCharon
	default:
		kind = sniffTable(text)
	}
	before := s.total()
	var errs []error
	switch kind {
	case kindIKEv1:
		errs = s.parseIKEv1Table(path, text)
	case kindIKEv2:
		errs = s.parseIKEv2Table(path, text)
	case kindESP:
		errs = s.parseESPTable(path, text)
	case kindXfrm:
		errs = s.parseXfrm(path, text)
	case kindCharon:
		errs = s.parseCharon(path, text)
	default:
		if explicit {
			errs = []error{&Error{File: path, Reason: "not a key file this program knows (ikev1_decryption_table, ikev2_decryption_table, esp_sa, ip xfrm state output, charon log)"}}
		}
	}
	if s.total() > before {
		s.addSource(path)
	}
	return errs
}

func (s *Store) total() int {
	a, b, c := s.Counts()
	return a + b + c
}

// sniffTable guesses the table kind of a file with another name from its
// first data line.
func sniffTable(text string) fileKind {
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		f, err := splitUAT(line)
		if err != nil {
			return kindUnknown
		}
		switch {
		case len(f) == 2:
			return kindIKEv1
		case len(f) >= 8 && (f[0] == "IPv4" || f[0] == "IPv6" || f[0] == "Any"):
			return kindESP
		case len(f) == 8:
			return kindIKEv2
		}
		return kindUnknown
	}
	return kindUnknown
}
