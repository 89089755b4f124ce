package lab

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// A trimmed charon log with two threads interleaving: thread 10 derives the
// IKE keys of an IKEv2 SA, thread 14 installs its CHILD_SA as the
// initiator of the exchange.
const sampleLog = `11:49:12 00[DMN] Starting IKE charon daemon (strongSwan 5.9.8, Linux 6.18, x86_64)
11:49:14 10[NET] received packet: from 198.18.1.2[500] to 198.18.1.1[500] (472 bytes)
11:49:14 10[ENC] parsed IKE_SA_INIT response 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) ]
11:49:14 10[CFG] selected proposal: IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048
11:49:14 10[IKE] natd_chunk => 22 bytes @ 0x7fe430003140
11:49:14 10[IKE]    0: 97 FA 53 F0 5E 53 66 0F 7F 25 C7 FA 43 CF 32 F4  ..S.^Sf..%..C.2.
11:49:14 14[IKE] unrelated line of another thread
11:49:14 10[IKE]   16: C6 12 01 01 01 F4                                ......
11:49:14 10[IKE] Sk_d secret => 4 bytes @ 0x7fe43000d150
11:49:14 10[IKE]    0: 1B ED 06 11                                      ....
11:49:14 10[IKE] Sk_ai secret => 4 bytes @ 0x7fe43c0301f0
11:49:14 10[IKE]    0: 15 E7 51 B4                                      ..Q.
11:49:14 10[IKE] Sk_ar secret => 4 bytes @ 0x7fe43c030210
11:49:14 10[IKE]    0: 4B D7 DA 7A                                      K..z
11:49:14 10[IKE] Sk_ei secret => 16 bytes @ 0x7fe43c030230
11:49:14 10[IKE]    0: 6D 93 8E 92 DB 3C 3E 83 BC 68 48 4D DD 30 12 35  m....<>..hHM.0.5
11:49:14 10[IKE] Sk_er secret => 16 bytes @ 0x7fe43c030240
11:49:14 10[IKE]    0: 9A 16 83 EC B5 D3 56 57 C7 58 9B D8 55 C4 64 17  ......VW.X..U.d.
11:49:14 10[IKE] Sk_pi secret => 4 bytes @ 0x7fe43000d3f0
11:49:14 10[IKE]    0: C0 A3 31 33                                      ..13
11:49:14 10[IKE] Sk_pr secret => 4 bytes @ 0x7fe4300088d0
11:49:14 10[IKE]    0: 1B 3A EA 5A                                      .:.Z
11:49:14 14[NET] received packet: from 198.18.1.2[4500] to 198.18.1.1[4500] (240 bytes)
11:49:14 14[ENC] parsed IKE_AUTH response 1 [ IDr AUTH SA TSi TSr N(MOBIKE_SUP) N(TS_UNACCEPT) ]
11:49:14 14[CFG] selected proposal: ESP:AES_CBC_128/HMAC_SHA2_256_128/NO_EXT_SEQ
11:49:14 14[CHD] encryption initiator key => 16 bytes @ 0x7fe428003930
11:49:14 14[CHD]    0: F5 2D 5E DF C0 BB 54 9C 07 1C 85 75 4C 9C 4C 76  .-^...T....uL.Lv
11:49:14 14[CHD] encryption responder key => 16 bytes @ 0x7fe4280032a0
11:49:14 14[CHD]    0: 54 9C 94 2F 99 09 37 CD 9D E5 24 3D 91 74 9F 08  T../..7...$=.t..
11:49:14 14[CHD] integrity initiator key => 4 bytes @ 0x7fe4280029d0
11:49:14 14[CHD]    0: 88 31 66 CF                                      .1f.
11:49:14 14[CHD] integrity responder key => 4 bytes @ 0x7fe428002850
11:49:14 14[CHD]    0: DE CE 74 AD                                      ..t.
11:49:14 14[CHD] adding inbound ESP SA
11:49:14 14[CHD]   SPI 0xc0cd343d, src 198.18.1.2 dst 198.18.1.1
11:49:14 14[CHD] adding outbound ESP SA
11:49:14 14[CHD]   SPI 0x74fc2388, src 198.18.1.1 dst 198.18.1.2
11:49:14 14[IKE] CHILD_SA net{1} established with SPIs c0cd343d_i 74fc2388_o and TS 198.19.1.0/24 === 198.19.2.0/24
11:49:15 07[IKE] received NO_PROPOSAL_CHOSEN notify error
`

func TestParseCharonLogSample(t *testing.T) {
	l, err := ParseCharonLog(strings.NewReader(sampleLog))
	if err != nil {
		t.Fatal(err)
	}
	if l.Version != "5.9.8" {
		t.Errorf("version %q", l.Version)
	}
	if len(l.IKEv2) != 1 {
		t.Fatalf("%d IKEv2 SAs, want 1", len(l.IKEv2))
	}
	got, err := IKEv2Line(l.IKEv2[0])
	if err != nil {
		t.Fatal(err)
	}
	want := `97fa53f05e53660f,7f25c7fa43cf32f4,6d938e92db3c3e83bc68484ddd301235,9a1683ecb5d35657c7589bd855c46417,"AES-CBC-128 [RFC3602]",15e751b4,4bd7da7a,"HMAC_SHA2_256_128 [RFC4868]"`
	if got != want {
		t.Errorf("IKEv2 line\n got %s\nwant %s", got, want)
	}
	if len(l.Children) != 1 {
		t.Fatalf("%d children, want 1", len(l.Children))
	}
	c := l.Children[0]
	if !c.Initiator {
		t.Error("child not initiated by this side")
	}
	// what the initiator sends (outbound here) uses the initiator keys
	out, err := ESPLine(c.Out, c.Out.Src, c.Out.Dst)
	if err != nil {
		t.Fatal(err)
	}
	wantOut := `"IPv4","198.18.1.1","198.18.1.2","0x74fc2388","AES-CBC [RFC3602]","0xf52d5edfc0bb549c071c85754c9c4c76","HMAC-SHA-256-128 [RFC4868]","0x883166cf"`
	if out != wantOut {
		t.Errorf("outbound ESP line\n got %s\nwant %s", out, wantOut)
	}
	if c.In.SPI != 0xc0cd343d || c.In.EncKey != "549c942f990937cd9de5243d91749f08" || c.In.IntegKey != "dece74ad" {
		t.Errorf("inbound SA %+v", c.In)
	}
	if fmt.Sprint(l.Notifies) != "[TS_UNACCEPTABLE NO_PROPOSAL_CHOSEN]" {
		t.Errorf("notifies %v", l.Notifies)
	}
}

// TestCommittedKeysMatchLogs re-derives the committed decryption tables of
// every lab scenario from its committed charon logs.
func TestCommittedKeysMatchLogs(t *testing.T) {
	m := loadManifest(t)
	for _, s := range m.Scenarios {
		s := s
		t.Run(s.Name, func(t *testing.T) {
			v1 := map[string]bool{}
			v2 := map[string]bool{}
			esp := map[string]bool{} // "spi,enc,integ"
			for _, lp := range s.Logs {
				if !strings.HasPrefix(path.Base(lp), "charon-") {
					continue // e.g. pluto's log
				}
				l, err := ParseCharonLogFile(m.Path(lp))
				if err != nil {
					t.Fatal(err)
				}
				if l.Version == "" {
					t.Errorf("%s: no strongSwan start-up line", lp)
				}
				for _, sa := range l.IKEv1 {
					v1[IKEv1Line(sa)] = true
				}
				for _, sa := range l.IKEv2 {
					line, err := IKEv2Line(sa)
					if err != nil {
						t.Error(err)
					}
					v2[line] = true
				}
				for _, c := range l.Children {
					for _, sa := range []ESPSA{c.In, c.Out} {
						esp[fmt.Sprintf("0x%08x,0x%s,0x%s", sa.SPI, sa.EncKey, sa.IntegKey)] = true
					}
				}
			}
			for _, k := range s.Keys {
				b, err := os.ReadFile(m.Path(k))
				if err != nil {
					t.Fatal(err)
				}
				for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
					if line == "" || strings.HasPrefix(line, "#") {
						continue
					}
					switch path.Base(k) {
					case "ikev1_decryption_table":
						if !v1[line] {
							t.Errorf("%s: %s not derived from the logs", k, line)
						}
					case "ikev2_decryption_table":
						if !v2[line] {
							t.Errorf("%s: %s not derived from the logs", k, line)
						}
					case "esp_sa":
						f := strings.Split(strings.ReplaceAll(line, `"`, ""), ",")
						if len(f) != 8 {
							t.Errorf("%s: bad line %s", k, line)
							continue
						}
						if key := f[3] + "," + f[5] + "," + f[7]; !esp[key] {
							t.Errorf("%s: %s not derived from the logs", k, line)
						}
					}
				}
			}
		})
	}
}

// A trimmed responder log of an IKE SA rekey (CREATE_CHILD_SA): the keys of
// lab[2] carry no SPIs; the IKE_SA manager's lines (mgr = 2) name them.
const rekeyLog = `19:10:20 00[DMN] Starting IKE charon daemon (strongSwan 5.9.8, Linux 6.18, x86_64)
19:10:21 15[MGR] checkout IKEv2 SA by message with SPIs b9263c07c13580af_i 7d3133d84f9a7e6a_r
19:10:21 15[MGR] IKE_SA lab[1] successfully checked out
19:10:21 15[NET] received packet: from 198.18.1.1[4500] to 198.18.1.2[4500] (432 bytes)
19:10:21 15[ENC] parsed CREATE_CHILD_SA request 8 [ SA No KE ]
19:10:21 15[MGR] created IKE_SA (unnamed)[2]
19:10:21 15[IKE] IKE_SA lab[2] state change: CREATED => CONNECTING
19:10:21 15[CFG] selected proposal: IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048
19:10:21 15[IKE] Sk_d secret => 4 bytes @ 0x7f6da8003e90
19:10:21 15[IKE]    0: BE 0D 46 7A                                      ..Fz
19:10:21 15[IKE] Sk_ai secret => 4 bytes @ 0x7f6da8006280
19:10:21 14[IKE] unrelated line of another thread
19:10:21 15[IKE]    0: 45 E3 36 3C                                      E.6<
19:10:21 15[IKE] Sk_ar secret => 4 bytes @ 0x7f6da80062a0
19:10:21 15[IKE]    0: A7 92 5C 98                                      ..\.
19:10:21 15[IKE] Sk_ei secret => 16 bytes @ 0x7f6da80062c0
19:10:21 15[IKE]    0: 6E 44 15 0C E0 96 EE FE 9F 15 CC EA E3 65 43 71  nD...........eCq
19:10:21 15[IKE] Sk_er secret => 16 bytes @ 0x7f6da80062d0
19:10:21 15[IKE]    0: 48 F3 BF 7E 4B CD 19 9F 7F 37 62 80 59 E2 E7 20  H..~K....7b.Y.. 
19:10:21 15[IKE] Sk_pi secret => 4 bytes @ 0x7f6da8005b30
19:10:21 15[IKE]    0: 0D 46 F6 B9                                      .F..
19:10:21 15[IKE] Sk_pr secret => 4 bytes @ 0x7f6da8005bc0
19:10:21 15[IKE]    0: FD 50 37 B1                                      .P7.
19:10:21 15[IKE] IKE_SA lab[2] state change: CONNECTING => ESTABLISHED
19:10:21 15[IKE] IKE_SA lab[2] rekeyed between 198.18.1.2[responder.lab]...198.18.1.1[initiator.lab]
19:10:21 15[MGR] checkin IKEv2 SA lab[2] with SPIs 5e95dc11ca40a405_i fe40ba63b1ef27a7_r
19:10:21 15[MGR] checkin of IKE_SA successful
`

func TestParseCharonLogRekeyedIKE(t *testing.T) {
	l, err := ParseCharonLog(strings.NewReader(rekeyLog))
	if err != nil {
		t.Fatal(err)
	}
	if len(l.IKEv2) != 1 {
		t.Fatalf("%d IKEv2 SAs, want the rekeyed one: %+v", len(l.IKEv2), l.IKEv2)
	}
	got, err := IKEv2Line(l.IKEv2[0])
	if err != nil {
		t.Fatal(err)
	}
	want := `5e95dc11ca40a405,fe40ba63b1ef27a7,6e44150ce096eefe9f15cceae3654371,48f3bf7e4bcd199f7f37628059e2e720,"AES-CBC-128 [RFC3602]",45e3363c,a7925c98,"HMAC_SHA2_256_128 [RFC4868]"`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// keys derived in a thread that selected no IKE proposal (a
	// responder's first SA, derived when IKE_AUTH arrives): not taken
	noProp := strings.Replace(rekeyLog, "selected proposal: IKE:", "selected proposal: ESP:", 1)
	if l, _ := ParseCharonLog(strings.NewReader(noProp)); len(l.IKEv2) != 0 {
		t.Errorf("SAs without a proposal: %+v", l.IKEv2)
	}
	// the manager's lines in a file log of their own (as the lab writes
	// them: charon-initiator.mgr beside charon-initiator.log)
	var main, mgr strings.Builder
	for _, l := range strings.SplitAfter(rekeyLog, "\n") {
		if strings.Contains(l, "[MGR]") {
			mgr.WriteString(l)
		} else {
			main.WriteString(l)
			if strings.Contains(l, "Starting IKE charon daemon") {
				mgr.WriteString(l)
			}
		}
	}
	dir := t.TempDir()
	logPath := filepath.Join(dir, "charon-responder.log")
	if err := os.WriteFile(logPath, []byte(main.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(MgrLogPath(logPath), []byte(mgr.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if l, err := ParseCharonLogFile(logPath); err != nil || len(l.IKEv2) != 1 {
		t.Errorf("with the manager's file: %v, %+v", err, l)
	} else if got, _ := IKEv2Line(l.IKEv2[0]); got != want {
		t.Errorf("with the manager's file: got %s", got)
	}
	// without the manager's lines the SPIs are unknown: no SA
	noMgr := strings.ReplaceAll(rekeyLog, "checkin IKEv2 SA", "checkin")
	if l, _ := ParseCharonLog(strings.NewReader(noMgr)); len(l.IKEv2) != 0 {
		t.Errorf("SAs without SPIs: %+v", l.IKEv2)
	}
}
