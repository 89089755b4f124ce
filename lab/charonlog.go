package lab

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/ipsecpcap/ipsecpcap/keys"
)

// The charon log parser lives in package keys, which the tool uses to read
// keys from logs; the lab uses the same parser to write its key tables.
type (
	// CharonLog is what ParseCharonLog extracts from one charon log.
	CharonLog = keys.CharonLog
	// IKEv1SA is the phase-1 key material of one IKEv1 SA.
	IKEv1SA = keys.CharonIKEv1
	// IKEv2SA is the key material of one IKEv2 IKE SA.
	IKEv2SA = keys.CharonIKEv2
	// ESPSA is one direction of an ESP SA as charon installed it.
	ESPSA = keys.CharonESP
	// ChildSA is one CHILD_SA or IPsec SA pair installed by charon.
	ChildSA = keys.CharonChild
)

// ParseCharonLog reads a charon log written at log level 4. Besides what
// keys.ParseCharonLog finds, it ties the keys of the IKEv2 SAs a rekey
// created (CREATE_CHILD_SA) to their SPIs, which never show next to those
// keys (no NAT-D there) but do in the IKE_SA manager's lines at "mgr = 2"
// (see RekeyedIKEv2), in the log itself or in mgr, the same daemon's
// manager lines logged to a file of their own.
func ParseCharonLog(r io.Reader, mgr ...io.Reader) (*CharonLog, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var more [][]byte
	for _, m := range mgr {
		mb, err := io.ReadAll(m)
		if err != nil {
			return nil, err
		}
		more = append(more, mb)
	}
	l, err := keys.ParseCharonLog(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, sa := range l.IKEv2 {
		have[sa.SPIi+sa.SPIr] = true
	}
	added := false
	for _, sa := range RekeyedIKEv2(b, more...) {
		if !have[sa.SPIi+sa.SPIr] {
			have[sa.SPIi+sa.SPIr] = true
			l.IKEv2 = append(l.IKEv2, sa)
			added = true
		}
	}
	if added {
		sort.SliceStable(l.IKEv2, func(i, j int) bool { return l.IKEv2[i].Line < l.IKEv2[j].Line })
	}
	return l, nil
}

var (
	reCharonLine = regexp.MustCompile(`(\d+)\[([A-Z]{3})\] (.*)$`)
	reDumpHead   = regexp.MustCompile(`^(Sk_[a-z]{2} secret) => (\d+) bytes @ 0x[0-9a-f]+$`)
	reDumpLine   = regexp.MustCompile(`^ +\d+: ((?:[0-9A-F]{2} ?)+)`)
	reSelIKE     = regexp.MustCompile(`^selected proposal: IKE:(\S+)`)
	reEstablish  = regexp.MustCompile(`^IKE_SA (\S+\[\d+\]) state change: CONNECTING => ESTABLISHED`)
	reCheckin    = regexp.MustCompile(`^checkin IKEv2 SA (\S+\[\d+\]) with SPIs ([0-9a-f]{16})_i ([0-9a-f]{16})_r`)
)

// RekeyedIKEv2 returns the IKEv2 SAs of a charon log whose keys a thread
// derived, after selecting their IKE proposal, right before logging that
// the SA (e.g. "lab[2]") went from CONNECTING to ESTABLISHED (an IKE SA
// rekey, on either side), with the
// SPIs of the manager's "checkin IKEv2 SA lab[2] with SPIs X_i Y_r" lines
// (charon's "mgr" log level 2), in log or in more (the same daemon's
// manager lines logged to files of their own). An SA whose SPIs are not
// named is left out; a restarted daemon ("Starting IKE charon daemon")
// numbers its SAs anew.
func RekeyedIKEv2(log []byte, more ...[]byte) []IKEv2SA {
	type thread struct {
		label string // the Sk_* dump being read
		n     int
		buf   []byte
		sk    map[string]string
		prop  string
		line  int // the Sk_d line
	}
	// SAs are "<daemon start> <name>", e.g. "0 lab[2]": the count of
	// "Starting IKE charon daemon" lines before them, and their name
	type key struct {
		epoch int
		name  string
	}
	keyed := map[key]IKEv2SA{} // keys, no SPIs yet
	var order []key
	spis := map[key][2]string{}
	// scan calls line for every charon line of a text with its daemon
	// start, thread and message
	scan := func(text []byte, line func(lineNo, epoch, tid int, msg string)) {
		sc := bufio.NewScanner(bytes.NewReader(text))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		lineNo, epoch := 0, 0
		for sc.Scan() {
			lineNo++
			if strings.Contains(sc.Text(), "Starting IKE charon daemon") {
				epoch++
				continue
			}
			if m := reCharonLine.FindStringSubmatch(sc.Text()); m != nil {
				tid, _ := strconv.Atoi(m[1])
				line(lineNo, epoch, tid, m[3])
			}
		}
	}
	checkin := func(_, epoch, _ int, msg string) {
		if cm := reCheckin.FindStringSubmatch(msg); cm != nil {
			k := key{epoch, cm[1]}
			if _, ok := spis[k]; !ok && cm[3] != "0000000000000000" {
				spis[k] = [2]string{cm[2], cm[3]}
			}
		}
	}
	for _, m := range more {
		scan(m, checkin)
	}
	threads := map[key]*thread{} // by daemon start and thread number
	scan(log, func(lineNo, epoch, tid int, msg string) {
		checkin(lineNo, epoch, tid, msg)
		tk := key{epoch, strconv.Itoa(tid)}
		t := threads[tk]
		if t == nil {
			t = &thread{}
			threads[tk] = t
		}
		if t.label != "" {
			if dm := reDumpLine.FindStringSubmatch(msg); dm != nil {
				for _, tok := range strings.Fields(dm[1]) {
					if len(t.buf) >= t.n {
						break
					}
					c, err := hex.DecodeString(tok)
					if err != nil || len(c) != 1 {
						break
					}
					t.buf = append(t.buf, c[0])
				}
				if len(t.buf) >= t.n {
					t.sk[t.label] = hex.EncodeToString(t.buf)
					t.label = ""
				}
				return
			}
			t.label = "" // truncated dump
		}
		switch {
		case strings.HasPrefix(msg, "received packet:"):
			*t = thread{}
		case reSelIKE.MatchString(msg):
			t.prop = reSelIKE.FindStringSubmatch(msg)[1]
		case reDumpHead.MatchString(msg):
			dm := reDumpHead.FindStringSubmatch(msg)
			if dm[1] == "Sk_d secret" || t.sk == nil {
				t.sk = map[string]string{}
				t.line = lineNo
			}
			t.label = dm[1]
			t.n, _ = strconv.Atoi(dm[2])
			t.buf = nil
			if t.n == 0 {
				t.sk[t.label] = ""
				t.label = ""
			}
		case reEstablish.MatchString(msg):
			k := key{epoch, reEstablish.FindStringSubmatch(msg)[1]}
			// a rekey selects the new SA's proposal in the thread that
			// derives its keys; a responder derives the first SA's keys
			// when IKE_AUTH arrives, in another thread than its
			// IKE_SA_INIT (and proposal): package keys has those from
			// the initiator's log
			if _, done := t.sk["Sk_pr secret"]; !done || t.prop == "" {
				break
			}
			if _, dup := keyed[k]; dup {
				break
			}
			sa := IKEv2SA{SKei: t.sk["Sk_ei secret"], SKer: t.sk["Sk_er secret"],
				SKai: t.sk["Sk_ai secret"], SKar: t.sk["Sk_ar secret"], Line: t.line}
			sa.Encr, sa.Integ = keys.SplitCharonProposal(t.prop)
			keyed[k] = sa
			order = append(order, k)
			t.sk = nil
		}
	})
	var out []IKEv2SA
	for _, k := range order {
		if s, ok := spis[k]; ok {
			sa := keyed[k]
			sa.SPIi, sa.SPIr = s[0], s[1]
			out = append(out, sa)
		}
	}
	return out
}

// ParseCharonLogFile parses the charon log at path, with the IKE_SA
// manager's lines of MgrLogPath(path) when that file exists.
func ParseCharonLogFile(path string) (*CharonLog, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, err := os.Open(MgrLogPath(path))
	if errors.Is(err, os.ErrNotExist) {
		return ParseCharonLog(f)
	}
	if err != nil {
		return nil, err
	}
	defer m.Close()
	return ParseCharonLog(f, m)
}

// MgrLogPath is where the lab keeps the IKE_SA manager's lines (a second
// file log of the same charon, "mgr = 2" alone) beside the charon log at
// path: charon-initiator.log -> charon-initiator.mgr. Not a ".log", so
// the readers of the lab's gateway logs leave it alone.
func MgrLogPath(path string) string {
	return strings.TrimSuffix(path, ".log") + ".mgr"
}

// Wireshark 4.0 spells the algorithms of its decryption tables (UATs)
// like this.
var (
	wsIKEv2Encr = map[string]string{
		"AES_CBC_128":    "AES-CBC-128 [RFC3602]",
		"AES_CBC_192":    "AES-CBC-192 [RFC3602]",
		"AES_CBC_256":    "AES-CBC-256 [RFC3602]",
		"3DES_CBC":       "3DES [RFC2451]",
		"NULL":           "NULL [RFC2410]",
		"AES_CTR_128":    "AES-CTR-128 [RFC5930]",
		"AES_CTR_192":    "AES-CTR-192 [RFC5930]",
		"AES_CTR_256":    "AES-CTR-256 [RFC5930]",
		"AES_GCM_16_128": "AES-GCM-128 with 16 octet ICV [RFC5282]",
		"AES_GCM_16_192": "AES-GCM-192 with 16 octet ICV [RFC5282]",
		"AES_GCM_16_256": "AES-GCM-256 with 16 octet ICV [RFC5282]",
		"AES_GCM_8_128":  "AES-GCM-128 with 8 octet ICV [RFC5282]",
		"AES_GCM_8_256":  "AES-GCM-256 with 8 octet ICV [RFC5282]",
		"AES_GCM_12_128": "AES-GCM-128 with 12 octet ICV [RFC5282]",
		"AES_GCM_12_256": "AES-GCM-256 with 12 octet ICV [RFC5282]",
	}
	wsIKEv2Integ = map[string]string{
		"HMAC_MD5_96":       "HMAC_MD5_96 [RFC2403]",
		"HMAC_SHA1_96":      "HMAC_SHA1_96 [RFC2404]",
		"HMAC_SHA2_256_128": "HMAC_SHA2_256_128 [RFC4868]",
		"HMAC_SHA2_384_192": "HMAC_SHA2_384_192 [RFC4868]",
		"HMAC_SHA2_512_256": "HMAC_SHA2_512_256 [RFC4868]",
		"":                  "NONE [RFC4306]",
	}
	wsESPEncr = map[string]string{
		"AES_CBC_128":    "AES-CBC [RFC3602]",
		"AES_CBC_192":    "AES-CBC [RFC3602]",
		"AES_CBC_256":    "AES-CBC [RFC3602]",
		"3DES_CBC":       "TripleDES-CBC [RFC2451]",
		"NULL":           "NULL",
		"AES_CTR_128":    "AES-CTR [RFC3686]",
		"AES_CTR_192":    "AES-CTR [RFC3686]",
		"AES_CTR_256":    "AES-CTR [RFC3686]",
		"AES_GCM_16_128": "AES-GCM with 16 octet ICV [RFC4106]",
		"AES_GCM_16_192": "AES-GCM with 16 octet ICV [RFC4106]",
		"AES_GCM_16_256": "AES-GCM with 16 octet ICV [RFC4106]",
		"AES_GCM_8_128":  "AES-GCM with 8 octet ICV [RFC4106]",
		"AES_GCM_8_256":  "AES-GCM with 8 octet ICV [RFC4106]",
		"AES_GCM_12_128": "AES-GCM with 12 octet ICV [RFC4106]",
		"AES_GCM_12_256": "AES-GCM with 12 octet ICV [RFC4106]",
	}
	wsESPInteg = map[string]string{
		"HMAC_MD5_96":       "HMAC-MD5-96 [RFC2403]",
		"HMAC_SHA1_96":      "HMAC-SHA-1-96 [RFC2404]",
		"HMAC_SHA2_256_128": "HMAC-SHA-256-128 [RFC4868]",
		"HMAC_SHA2_384_192": "HMAC-SHA-384-192 [RFC4868]",
		"HMAC_SHA2_512_256": "HMAC-SHA-512-256 [RFC4868]",
		"":                  "NULL",
	}
)

// IKEv1Line is the ikev1_decryption_table line for the SA.
func IKEv1Line(s IKEv1SA) string {
	return s.ICookie + "," + s.EncKey
}

// IKEv2Line is the ikev2_decryption_table line for the SA, or an error if
// Wireshark has no name for one of its algorithms.
func IKEv2Line(s IKEv2SA) (string, error) {
	e, ok := wsIKEv2Encr[s.Encr]
	if !ok {
		return "", fmt.Errorf("IKEv2 encryption %q: no Wireshark name", s.Encr)
	}
	i, ok := wsIKEv2Integ[s.Integ]
	if !ok {
		return "", fmt.Errorf("IKEv2 integrity %q: no Wireshark name", s.Integ)
	}
	return fmt.Sprintf("%s,%s,%s,%s,%q,%s,%s,%q", s.SPIi, s.SPIr, s.SKei, s.SKer, e, s.SKai, s.SKar, i), nil
}

// ESPLine is the esp_sa line for the SA, with the outer addresses given
// (use "*" for any), or an error if Wireshark has no name for an algorithm.
func ESPLine(s ESPSA, src, dst string) (string, error) {
	e, ok := wsESPEncr[s.Encr]
	if !ok {
		return "", fmt.Errorf("ESP encryption %q: no Wireshark name", s.Encr)
	}
	i, ok := wsESPInteg[s.Integ]
	if !ok {
		return "", fmt.Errorf("ESP integrity %q: no Wireshark name", s.Integ)
	}
	ik := ""
	if s.IntegKey != "" {
		ik = "0x" + s.IntegKey
	}
	return fmt.Sprintf(`"IPv4",%q,%q,"0x%08x",%q,"0x%s",%q,%q`, src, dst, s.SPI, e, s.EncKey, i, ik), nil
}
