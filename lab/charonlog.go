package lab

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
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
// created (keys.CharonLog.Unbound) to their SPIs, which never show next to
// those keys but do in the IKE_SA manager's "checkin IKEv2 SA lab[2] with
// SPIs X_i Y_r" lines at "mgr = 2": in the log itself or in mgr, the same
// daemon's manager lines logged to a file of their own. An SA whose SPIs
// are not named is left out.
func ParseCharonLog(r io.Reader, mgr ...io.Reader) (*CharonLog, error) {
	// the SPIs of each SA by daemon start ("Starting IKE charon daemon"
	// lines before it: a restarted daemon numbers its SAs anew) and name
	type key struct {
		epoch int
		name  string
	}
	spis := map[key][2]string{}
	checkins := func(r io.Reader) io.Reader {
		var copied bytes.Buffer
		sc := bufio.NewScanner(io.TeeReader(r, &copied))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		epoch := 0
		for sc.Scan() {
			if strings.Contains(sc.Text(), "Starting IKE charon daemon") {
				epoch++
			} else if m := reCheckin.FindStringSubmatch(sc.Text()); m != nil && m[3] != "0000000000000000" {
				if k := (key{epoch, m[1]}); spis[k] == [2]string{} {
					spis[k] = [2]string{m[2], m[3]}
				}
			}
		}
		return &copied
	}
	for _, m := range mgr {
		checkins(m)
	}
	l, err := keys.ParseCharonLog(checkins(r))
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, sa := range l.IKEv2 {
		have[sa.SPIi+sa.SPIr] = true
	}
	bound := map[key]bool{}
	added := false
	for _, u := range l.Unbound {
		k := key{u.Epoch, u.Name}
		s, ok := spis[k]
		if !ok || bound[k] || have[s[0]+s[1]] {
			continue
		}
		bound[k], have[s[0]+s[1]] = true, true
		sa := u.SA
		sa.SPIi, sa.SPIr = s[0], s[1]
		l.IKEv2 = append(l.IKEv2, sa)
		added = true
	}
	if added {
		sort.SliceStable(l.IKEv2, func(i, j int) bool { return l.IKEv2[i].Line < l.IKEv2[j].Line })
	}
	return l, nil
}

// reCheckin is the IKE_SA manager's line that names an SA's SPIs.
var reCheckin = regexp.MustCompile(`\d+\[[A-Z]{3}\] checkin IKEv2 SA (\S+\[\d+\]) with SPIs ([0-9a-f]{16})_i ([0-9a-f]{16})_r`)

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
