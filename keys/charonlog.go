package keys

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"io"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
)

// This file reads the key material that strongSwan's charon writes to its
// file log at level 4 ("ike = 4", "chd = 4"), the only way to get the keys
// out of Debian's strongSwan 5.9, which has no save-keys plugin. The lab
// writes Wireshark's decryption tables from it, and the committed logs next
// to each capture are the input of the tests that check those tables.
//
// charon logs one line per message, prefixed by the worker thread and the
// subsystem ("14[CHD] ..."); a binary value is a header line
// "<label> => <n> bytes @ 0x..." followed by hex-dump lines of the same thread
// ("   0: 97 FA 53 ...  ..S."). Lines of different threads interleave, so all
// state is kept per thread.

// CharonIKEv1 is the phase-1 key material of one IKEv1 SA.
type CharonIKEv1 struct {
	ICookie string // initiator cookie, 16 lower-case hex digits
	RCookie string // responder cookie, 16 lower-case hex digits ("" if unknown)
	EncKey  string // the phase-1 encryption key Ka, lower-case hex
	Encr    string // strongSwan's name of the encryption algorithm, e.g. AES_CBC_128
	Integ   string // strongSwan's name of the hash/integrity algorithm
	Line    int    // line of the log where the key appeared
}

// CharonIKEv2 is the key material of one IKEv2 IKE SA.
type CharonIKEv2 struct {
	SPIi, SPIr string // 16 lower-case hex digits each
	SKei, SKer string // lower-case hex; for AEAD ciphers the salt is included
	SKai, SKar string // lower-case hex; empty for AEAD ciphers
	Encr       string // strongSwan's name, e.g. AES_CBC_128
	Integ      string // strongSwan's name, e.g. HMAC_SHA2_256_128; "" for AEAD
	Line       int
}

// CharonESP is one direction of an ESP SA as charon installed it.
type CharonESP struct {
	SPI      uint32
	Src, Dst string // outer addresses as this charon sees them
	EncKey   string // lower-case hex (salt included for AEAD)
	IntegKey string // lower-case hex, empty for AEAD
	Encr     string // strongSwan's name, e.g. AES_CBC_128
	Integ    string // strongSwan's name, "" for AEAD
}

// CharonChild is one CHILD_SA (IKEv2) or IPsec SA pair (IKEv1) installed by charon.
type CharonChild struct {
	Name      string // e.g. "net{1}"
	Initiator bool   // this charon initiated the exchange that created it
	In, Out   CharonESP
	TS        string // traffic selectors as logged
	Line      int
}

// CharonUnboundIKEv2 is the key material of an IKEv2 SA that a rekey
// (CREATE_CHILD_SA) created: charon logs its keys but not next to its
// SPIs (no NAT detection there). Its name ("lab[2]") and the number of
// daemon starts before it tie it to the IKE_SA manager's "checkin IKEv2 SA
// lab[2] with SPIs …" line (charon's "mgr" log level 2), which package
// keys does not read.
type CharonUnboundIKEv2 struct {
	SA    CharonIKEv2 // without SPIs
	Name  string
	Epoch int // "Starting IKE charon daemon" lines before it
}

// CharonLog is what ParseCharonLog extracts from one charon log.
type CharonLog struct {
	Version string // strongSwan version from the start-up line
	IKEv1   []CharonIKEv1
	IKEv2   []CharonIKEv2
	// Unbound are IKEv2 SAs whose keys a thread derived, after selecting
	// their IKE proposal, right before they were established, and whose
	// SPIs that thread never logged: the SAs a rekey created.
	Unbound  []CharonUnboundIKEv2
	Children []CharonChild
	// Notifies lists the names of the notify payloads charon sent or
	// received (long names, e.g. NO_PROPOSAL_CHOSEN), in order of first
	// appearance, without the informational ones every exchange carries.
	Notifies []string
}

var (
	reLine      = regexp.MustCompile(`(\d+)\[([A-Z]{3})\] (.*)$`)
	reDumpHead  = regexp.MustCompile(`^(.+?) => (\d+) bytes @ 0x[0-9a-f]+$`)
	reDumpLine  = regexp.MustCompile(`^ +(\d+): ((?:[0-9A-F]{2} ?)+)`)
	reSelected  = regexp.MustCompile(`^selected proposal: (IKE|ESP|AH):(\S+)`)
	reMsg       = regexp.MustCompile(`^(parsed|generating) (\S+) (request|response) \d+ \[(.*)\]`)
	reSPILine   = regexp.MustCompile(`^ +SPI 0x([0-9a-f]+), src (\S+) dst (\S+)`)
	reAdding    = regexp.MustCompile(`^(?:adding|registering) (inbound|outbound) ESP SA`)
	reEstab     = regexp.MustCompile(`^(?:(?:inbound|outbound) )?CHILD_SA (\S+) established with SPIs ([0-9a-f]+)_i(?: [0-9a-f]+_i)? ([0-9a-f]+)_o(?: [0-9a-f]+_o)? and TS (.*)$`)
	reNotify    = regexp.MustCompile(`^received ([A-Z][A-Z0-9_]+) (?:error )?notify(?: error)?`)
	reNotifyAbb = regexp.MustCompile(`N\(([A-Z0-9_]+)\)`)
	reVersion   = regexp.MustCompile(`\(strongSwan ([0-9.]+)`)
	reEstabIKE  = regexp.MustCompile(`^IKE_SA (\S+\[\d+\]) state change: CONNECTING => ESTABLISHED`)
)

// routineNotifies are notifies of every healthy exchange; they are not
// reported in CharonLog.Notifies.
var routineNotifies = map[string]bool{
	"NAT_DETECTION_SOURCE_IP": true, "NAT_DETECTION_DESTINATION_IP": true,
	"FRAGMENTATION_SUPPORTED": true, "SIGNATURE_HASH_ALGORITHMS": true,
	"CHILDLESS_IKEV2_SUPPORTED": true, "MULTIPLE_AUTH_SUPPORTED": true,
	"MOBIKE_SUPPORTED": true, "NO_ADDITIONAL_ADDRESSES": true,
	"REDIRECT_SUPPORTED": true, "EAP_ONLY_AUTHENTICATION": true,
	"MESSAGE_ID_SYNC_SUPPORTED": true, "INITIAL_CONTACT": true,
	"IKEV2_MESSAGE_ID_SYNC_SUPPORTED": true, "USE_PPK": true,
	"ESP_TFC_PADDING_NOT_SUPPORTED": true, "IPCOMP_SUPPORTED": true,
	"USE_TRANSPORT_MODE": true, "REKEY_SA": true, "RESPONDER_LIFETIME": true,
}

type dump struct {
	label string
	n     int
	buf   []byte
}

type childKeys struct {
	encI, encR, intI, intR string
}

type threadState struct {
	dump *dump
	// context of the job the thread is running
	spis        []byte // SPIi|SPIr (or cookies) of the IKE SA, from natd_chunk
	role        string // "initiator" if the last parsed message was a response
	ikeProp     string // last "selected proposal: IKE:..."
	espProp     string // last "selected proposal: ESP:..."
	ikev2       *CharonIKEv2
	ikev2Keyed  bool // ikev2 has all its keys (Sk_pr dumped)
	ikev2Count  int
	pendingV1   *CharonIKEv1
	child       *childKeys
	adding      string // "inbound"/"outbound" after "adding ... ESP SA"
	in, out     CharonESP
	exchVersion int
}

// ParseCharonLog extracts IKE and ESP key material and the notifies seen
// from a charon log written with "ike = 4" and "chd = 4".
func ParseCharonLog(r io.Reader) (*CharonLog, error) {
	out := &CharonLog{}
	threads := map[int]*threadState{}
	seenNotify := map[string]bool{}
	addNotify := func(n string) {
		if n == "" || routineNotifies[n] || seenNotify[n] {
			return
		}
		seenNotify[n] = true
		out.Notifies = append(out.Notifies, n)
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	lineNo, epoch := 0, 0
	for sc.Scan() {
		lineNo++
		line := sc.Text()
		if strings.Contains(line, "Starting IKE charon daemon") {
			epoch++
		}
		if out.Version == "" {
			if m := reVersion.FindStringSubmatch(line); m != nil && strings.Contains(line, "Starting IKE charon") {
				out.Version = m[1]
			}
		}
		m := reLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		tid, _ := strconv.Atoi(m[1])
		msg := m[3]
		t := threads[tid]
		if t == nil {
			t = &threadState{}
			threads[tid] = t
		}
		// continuation of a hex dump
		if t.dump != nil {
			if dm := reDumpLine.FindStringSubmatch(msg); dm != nil {
				for _, tok := range strings.Fields(dm[2]) {
					if len(t.dump.buf) >= t.dump.n {
						break
					}
					b, err := hex.DecodeString(tok)
					if err != nil || len(b) != 1 {
						break
					}
					t.dump.buf = append(t.dump.buf, b[0])
				}
				if len(t.dump.buf) >= t.dump.n {
					d := t.dump
					t.dump = nil
					finishDump(out, t, d, lineNo)
				}
				continue
			}
			t.dump = nil // truncated dump: forget it
		}
		if dm := reDumpHead.FindStringSubmatch(msg); dm != nil {
			n, _ := strconv.Atoi(dm[2])
			d := &dump{label: strings.TrimSpace(dm[1]), n: n}
			if n == 0 {
				finishDump(out, t, d, lineNo)
			} else {
				t.dump = d
			}
			continue
		}
		switch {
		case strings.HasPrefix(msg, "received packet:"):
			// a new job: forget the context of the last one
			*t = threadState{}
		case reMsg.MatchString(msg):
			mm := reMsg.FindStringSubmatch(msg)
			if mm[1] == "parsed" {
				if mm[3] == "response" {
					t.role = "initiator"
				} else {
					t.role = "responder"
				}
			}
			v := 2
			switch mm[2] {
			case "ID_PROT", "AGGRESSIVE", "QUICK_MODE", "INFORMATIONAL_V1", "TRANSACTION":
				v = 1
			}
			for _, a := range reNotifyAbb.FindAllStringSubmatch(mm[4], -1) {
				name, _ := isakmp.CharonNotifyName(a[1], v)
				addNotify(name)
			}
		case reSelected.MatchString(msg):
			sm := reSelected.FindStringSubmatch(msg)
			if sm[1] == "IKE" {
				t.ikeProp = sm[2]
			} else {
				t.espProp = sm[2]
			}
		case reNotify.MatchString(msg):
			addNotify(reNotify.FindStringSubmatch(msg)[1])
		case reEstabIKE.MatchString(msg):
			// A responder derives its first SA's keys when IKE_AUTH
			// arrives, in another thread than the proposal: those come
			// with SPIs from the initiator's log. A rekey selects the new
			// SA's proposal in the thread that derives its keys.
			if t.ikev2 != nil && t.ikev2Keyed && t.ikeProp != "" {
				out.Unbound = append(out.Unbound, CharonUnboundIKEv2{SA: *t.ikev2, Name: reEstabIKE.FindStringSubmatch(msg)[1], Epoch: epoch})
				t.ikev2 = nil
			}
		case reAdding.MatchString(msg):
			t.adding = reAdding.FindStringSubmatch(msg)[1]
		case reSPILine.MatchString(msg):
			sm := reSPILine.FindStringSubmatch(msg)
			spi, err := strconv.ParseUint(sm[1], 16, 32)
			if err == nil {
				sa := CharonESP{SPI: uint32(spi), Src: sm[2], Dst: sm[3]}
				if t.adding == "inbound" {
					t.in = sa
				} else if t.adding == "outbound" {
					t.out = sa
				}
			}
			t.adding = ""
		case reEstab.MatchString(msg):
			em := reEstab.FindStringSubmatch(msg)
			if t.child == nil {
				break
			}
			in, _ := strconv.ParseUint(em[2], 16, 32)
			outSPI, _ := strconv.ParseUint(em[3], 16, 32)
			c := CharonChild{Name: em[1], Initiator: t.role == "initiator", TS: em[4], Line: lineNo}
			encr, integ := SplitCharonProposal(t.espProp)
			c.In = CharonESP{SPI: uint32(in), Encr: encr, Integ: integ}
			c.Out = CharonESP{SPI: uint32(outSPI), Encr: encr, Integ: integ}
			if t.in.SPI == c.In.SPI {
				c.In.Src, c.In.Dst = t.in.Src, t.in.Dst
			}
			if t.out.SPI == c.Out.SPI {
				c.Out.Src, c.Out.Dst = t.out.Src, t.out.Dst
			}
			// The "initiator" keys protect what the initiator of the
			// exchange sends.
			if c.Initiator {
				c.Out.EncKey, c.Out.IntegKey = t.child.encI, t.child.intI
				c.In.EncKey, c.In.IntegKey = t.child.encR, t.child.intR
			} else {
				c.In.EncKey, c.In.IntegKey = t.child.encI, t.child.intI
				c.Out.EncKey, c.Out.IntegKey = t.child.encR, t.child.intR
			}
			out.Children = append(out.Children, c)
			t.child = nil
			t.in, t.out = CharonESP{}, CharonESP{}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	// IKEv1 keys whose cookies never showed up in their thread
	for _, t := range threads {
		if t.pendingV1 != nil && t.pendingV1.ICookie != "" {
			out.IKEv1 = append(out.IKEv1, *t.pendingV1)
		}
	}
	return out, nil
}

// emitIKEv2 completes the thread's IKEv2 keys with the job's SPIs and
// adds them to out.
func (t *threadState) emitIKEv2(out *CharonLog) {
	t.ikev2.SPIi = hex.EncodeToString(t.spis[:8])
	t.ikev2.SPIr = hex.EncodeToString(t.spis[8:16])
	out.IKEv2 = append(out.IKEv2, *t.ikev2)
	t.ikev2 = nil
}

func finishDump(out *CharonLog, t *threadState, d *dump, lineNo int) {
	h := hex.EncodeToString(d.buf)
	switch d.label {
	case "natd_chunk":
		if len(d.buf) >= 16 {
			t.spis = append([]byte(nil), d.buf[:16]...)
			if t.pendingV1 != nil {
				t.pendingV1.ICookie = hex.EncodeToString(t.spis[:8])
				t.pendingV1.RCookie = hex.EncodeToString(t.spis[8:16])
				out.IKEv1 = append(out.IKEv1, *t.pendingV1)
				t.pendingV1 = nil
			}
			if t.ikev2 != nil && t.ikev2.SPIi == "" && !zero(t.spis[8:16]) {
				t.emitIKEv2(out)
			}
		}
	case "Sk_d secret":
		encr, integ := SplitCharonProposal(t.ikeProp)
		t.ikev2, t.ikev2Keyed = &CharonIKEv2{Encr: encr, Integ: integ, Line: lineNo}, false
	case "Sk_ai secret", "Sk_ar secret", "Sk_ei secret", "Sk_er secret":
		if t.ikev2 == nil {
			return
		}
		switch d.label {
		case "Sk_ai secret":
			t.ikev2.SKai = h
		case "Sk_ar secret":
			t.ikev2.SKar = h
		case "Sk_ei secret":
			t.ikev2.SKei = h
		case "Sk_er secret":
			t.ikev2.SKer = h
		}
	case "Sk_pr secret":
		if t.ikev2 == nil {
			return
		}
		t.ikev2Keyed = true
		// complete: attach the SPIs of this job if they are known, else
		// wait for the job's natd_chunk
		if len(t.spis) == 16 && !zero(t.spis[8:16]) {
			t.emitIKEv2(out)
		}
	case "encryption key Ka":
		encr, integ := SplitCharonProposal(t.ikeProp)
		sa := &CharonIKEv1{EncKey: h, Encr: encr, Integ: integ, Line: lineNo}
		if len(t.spis) == 16 {
			sa.ICookie = hex.EncodeToString(t.spis[:8])
			sa.RCookie = hex.EncodeToString(t.spis[8:16])
			out.IKEv1 = append(out.IKEv1, *sa)
		} else {
			t.pendingV1 = sa
		}
	case "encryption initiator key":
		t.child = &childKeys{encI: h}
	case "encryption responder key":
		if t.child != nil {
			t.child.encR = h
		}
	case "integrity initiator key":
		if t.child != nil {
			t.child.intI = h
		}
	case "integrity responder key":
		if t.child != nil {
			t.child.intR = h
		}
	}
}

func zero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// SplitCharonProposal returns the encryption and integrity algorithms of a
// proposal as charon prints it ("AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048",
// "AES_GCM_16_128/NO_EXT_SEQ"): the PRF, the key-exchange method and the
// ESN setting are left out; integrity is empty for an AEAD cipher.
func SplitCharonProposal(p string) (encr, integ string) {
	for _, a := range strings.Split(p, "/") {
		switch {
		case strings.HasPrefix(a, "PRF_"), strings.HasPrefix(a, "MODP_"), strings.HasPrefix(a, "ECP_"),
			strings.HasPrefix(a, "CURVE_"), strings.HasPrefix(a, "KE"), strings.HasSuffix(a, "_EXT_SEQ"), strings.HasPrefix(a, "NO_EXT"):
		case strings.HasPrefix(a, "HMAC_"), strings.HasPrefix(a, "AES_XCBC"), strings.HasPrefix(a, "AES_CMAC"):
			if integ == "" {
				integ = a
			}
		default:
			if encr == "" {
				encr = a
			}
		}
	}
	return encr, integ
}

// parseCharon adds the keys of a charon log to the store.
func (s *Store) parseCharon(path, text string) []error {
	cl, err := ParseCharonLog(strings.NewReader(text))
	if err != nil {
		return []error{&Error{File: path, Reason: "reading charon log: " + errReason(err)}}
	}
	le := &lineErr{path: path}
	for _, v := range cl.IKEv1 {
		c, err := parseSPI8(v.ICookie)
		if err != nil {
			le.add(v.Line, "IKEv1 SA: initiator cookie not found")
			continue
		}
		k, err := parseKey(v.EncKey)
		if err != nil || len(k) == 0 {
			le.add(v.Line, "IKEv1 encryption key Ka: incomplete dump")
			continue
		}
		s.AddIKEv1(&IKEv1Keys{ICookie: c, EncKey: k, Encr: v.Encr, Hash: v.Integ, Source: fmt.Sprintf("%s:%d", path, v.Line)})
	}
	for _, v := range cl.IKEv2 {
		k := &IKEv2Keys{Source: fmt.Sprintf("%s:%d", path, v.Line)}
		var e1, e2 error
		k.SPIi, e1 = parseSPI8(v.SPIi)
		k.SPIr, e2 = parseSPI8(v.SPIr)
		if e1 != nil || e2 != nil {
			le.add(v.Line, "IKEv2 SA: SPIs not found")
			continue
		}
		k.SKei, _ = parseKey(v.SKei)
		k.SKer, _ = parseKey(v.SKer)
		k.SKai, _ = parseKey(v.SKai)
		k.SKar, _ = parseKey(v.SKar)
		var ok bool
		if k.Encr, ok = ParseEncryption(v.Encr); !ok {
			le.add(v.Line, "IKEv2 SA: %s", Refusal("encryption", v.Encr))
			continue
		}
		if k.Integ, ok = ParseIntegrity(v.Integ, 0); !ok {
			le.add(v.Line, "IKEv2 SA: %s", Refusal("integrity", v.Integ))
			continue
		}
		s.AddIKEv2(k)
	}
	for _, c := range cl.Children {
		for _, sa := range []CharonESP{c.In, c.Out} {
			if sa.SPI == 0 || sa.EncKey == "" && sa.Encr != "NULL" {
				continue
			}
			k := &ESPKeys{SPI: sa.SPI, Source: fmt.Sprintf("%s:%d", path, c.Line)}
			if a, err := netip.ParseAddr(sa.Src); err == nil {
				k.Src = netip.PrefixFrom(a, a.BitLen())
			}
			if a, err := netip.ParseAddr(sa.Dst); err == nil {
				k.Dst = netip.PrefixFrom(a, a.BitLen())
			}
			var ok bool
			if k.Encr, ok = ParseEncryption(sa.Encr); !ok {
				le.add(c.Line, "CHILD_SA %s: %s", safe(c.Name), Refusal("encryption", sa.Encr))
				continue
			}
			if k.Integ, ok = ParseIntegrity(sa.Integ, 0); !ok {
				le.add(c.Line, "CHILD_SA %s: %s", safe(c.Name), Refusal("integrity", sa.Integ))
				continue
			}
			k.EncKey, _ = parseKey(sa.EncKey)
			k.IntegKey, _ = parseKey(sa.IntegKey)
			s.AddESP(k)
		}
	}
	return le.errs
}
