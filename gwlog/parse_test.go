package gwlog

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
)

// parseOne parses text and returns its only event.
func parseOne(t *testing.T, text string) (Event, *Log) {
	t.Helper()
	log, err := Parse(strings.NewReader(text), "test")
	if err != nil {
		t.Fatal(err)
	}
	if len(log.Events) != 1 {
		t.Fatalf("%d events from %q, want 1: %+v", len(log.Events), text, log.Events)
	}
	return log.Events[0], log
}

var (
	ap1 = netip.MustParseAddrPort("198.18.1.1:500")
	ap2 = netip.MustParseAddrPort("198.18.1.2:500")
)

// The lines are the lab's (testdata/pcaps/lab/*/charon-*.log), with the
// prefixes of the other ways charon logs: syslog, journald, ike_name,
// a time format with a date.
func TestCharonLines(t *testing.T) {
	const sent = `sending packet: from 198.18.1.1[500] to 198.18.1.2[500] (464 bytes)`
	for _, tc := range []struct {
		name, line string
		check      func(t *testing.T, e Event)
	}{
		{"filelog %T", "12:25:51 10[NET] " + sent, func(t *testing.T, e Event) {
			want := Packet{Sent: true, Local: ap1, Remote: ap2, Bytes: 464}
			if e.Packet == nil || *e.Packet != want || e.Thread != 10 || e.Subsystem != "NET" {
				t.Errorf("got %+v %+v", e, e.Packet)
			}
			if !e.HasTime || e.HasDate || e.HasYear || e.Time.Hour() != 12 || e.Time.Minute() != 25 || e.Stamp != "12:25:51" {
				t.Errorf("time %v %q date %v year %v", e.Time, e.Stamp, e.HasDate, e.HasYear)
			}
		}},
		{"filelog default", "Nov 27 13:01:02 10[NET] " + sent, func(t *testing.T, e Event) {
			if e.Packet == nil || !e.HasDate || e.HasYear || e.Time.Month() != time.November || e.Time.Day() != 27 {
				t.Errorf("got %+v", e)
			}
		}},
		{"no time format", "10[NET] " + sent, func(t *testing.T, e Event) {
			if e.Packet == nil || e.HasTime {
				t.Errorf("got %+v", e)
			}
		}},
		{"syslog", "Nov 27 13:01:02 gw1 charon[1234]: 10[NET] " + sent, func(t *testing.T, e Event) {
			if e.Packet == nil || e.Host != "gw1" || e.Thread != 10 {
				t.Errorf("got %+v", e)
			}
		}},
		{"rsyslog ISO", "2026-11-27T13:01:02.123456+01:00 gw1 charon: 10[NET] " + sent, func(t *testing.T, e Event) {
			if e.Packet == nil || !e.HasYear || e.Time.UTC().Hour() != 12 || e.Time.Nanosecond() != 123456000 {
				t.Errorf("got %+v", e)
			}
		}},
		{"journald charon-systemd", "Nov 27 13:01:02 gw1 charon-systemd[869]: " + sent, func(t *testing.T, e Event) {
			if e.Packet == nil || e.Thread != -1 || e.Host != "gw1" {
				t.Errorf("got %+v", e)
			}
		}},
		{"ike_name", "Nov 27 13:01:02 10[NET] <lab|3> " + sent, func(t *testing.T, e Event) {
			if e.Packet == nil || e.Conn != "lab" || e.ConnID != 3 {
				t.Errorf("got %+v", e)
			}
		}},
		{"received", "12:24:26 13[NET] received packet: from 198.18.1.1[4500] to 198.18.1.2[4500] (124 bytes)", func(t *testing.T, e Event) {
			want := Packet{Local: netip.MustParseAddrPort("198.18.1.2:4500"), Remote: netip.MustParseAddrPort("198.18.1.1:4500"), Bytes: 124}
			if e.Packet == nil || *e.Packet != want {
				t.Errorf("got %+v", e.Packet)
			}
		}},
		{"IKEv2 generating", "12:25:51 10[ENC] generating IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) N(HASH_ALG) N(REDIR_SUP) ]", func(t *testing.T, e Event) {
			m := e.Message
			if m == nil || !m.Generated || m.Version != 2 || m.Exchange != isakmp.ExchangeIKESAInit || m.Response || m.MessageID != 0 || len(m.Payloads) != 8 || m.Notifies[0] != "NAT_DETECTION_SOURCE_IP" {
				t.Errorf("got %+v", m)
			}
			if len(e.Notifies) != 0 {
				t.Errorf("routine notifies as events: %v", e.Notifies)
			}
			if e.Side != SideInitiator {
				t.Errorf("side %v", e.Side)
			}
		}},
		{"IKEv2 parsed refusal", "12:27:06 13[ENC] parsed IKE_AUTH response 1 [ IDr AUTH N(MOBIKE_SUP) N(NO_ADD_ADDR) N(TS_UNACCEPT) ]", func(t *testing.T, e Event) {
			m := e.Message
			if m == nil || m.Generated || m.Exchange != isakmp.ExchangeIKEAuth || !m.Response || m.MessageID != 1 {
				t.Errorf("got %+v", m)
			}
			if len(e.Notifies) != 1 || e.Notifies[0] != (Notify{Name: "TS_UNACCEPTABLE"}) {
				t.Errorf("notifies %v", e.Notifies)
			}
		}},
		{"IKEv1 quick mode", "12:24:26 14[ENC] parsed QUICK_MODE request 3175699334 [ HASH SA No KE ID ID ]", func(t *testing.T, e Event) {
			m := e.Message
			if m == nil || m.Version != 1 || m.Exchange != isakmp.ExchangeV1Quick || m.MessageID != 3175699334 {
				t.Errorf("got %+v", m)
			}
		}},
		{"IKEv1 informational", "12:24:26 14[ENC] generating INFORMATIONAL_V1 request 3231252221 [ HASH N(NO_PROP) ]", func(t *testing.T, e Event) {
			m := e.Message
			if m == nil || m.Exchange != isakmp.ExchangeV1Informational || len(e.Notifies) != 1 || e.Notifies[0] != (Notify{Name: "NO_PROPOSAL_CHOSEN", Sent: true}) {
				t.Errorf("got %+v %v", m, e.Notifies)
			}
		}},
		{"aggressive", "12:23:14 11[ENC] generating AGGRESSIVE request 0 [ HASH NAT-D NAT-D ]", func(t *testing.T, e Event) {
			if e.Message == nil || e.Message.Exchange != isakmp.ExchangeV1Aggressive {
				t.Errorf("got %+v", e.Message)
			}
		}},
		{"retransmit", "12:23:25 07[IKE] sending retransmit 1 of request message ID 0, seq 3", func(t *testing.T, e Event) {
			if e.Message == nil || !e.Message.Retransmit || !e.Message.HasMessageID {
				t.Errorf("got %+v", e.Message)
			}
		}},
		{"SPIs", "Nov 27 13:01:02 12[MGR] checkout IKEv2 SA with SPIs 6deafc80c59bf1fa_i b03645c838e55b41_r", func(t *testing.T, e Event) {
			if !e.HasSPIs || e.ISPI != spi("6deafc80c59bf1fa") || e.RSPI != spi("b03645c838e55b41") {
				t.Errorf("got %+v", e)
			}
		}},
		{"received notify", "12:24:53 11[IKE] received INVALID_ID_INFORMATION error notify", func(t *testing.T, e Event) {
			if len(e.Notifies) != 1 || e.Notifies[0].Name != "INVALID_ID_INFORMATION" || e.Notifies[0].Sent {
				t.Errorf("got %v", e.Notifies)
			}
			if e.Cause != CodeP1AuthFailed || e.Basis != BasisPeerNotify {
				t.Errorf("outside Quick Mode the identities are phase 1's: got %s", e.Cause)
			}
		}},
		{"sending notify", "12:24:26 14[IKE] no matching proposal found, sending NO_PROPOSAL_CHOSEN", func(t *testing.T, e Event) {
			if len(e.Notifies) != 1 || e.Notifies[0] != (Notify{Name: "NO_PROPOSAL_CHOSEN", Sent: true}) {
				t.Errorf("got %v", e.Notifies)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, log := parseOne(t, tc.line+"\n")
			if log.Format != FormatCharon || log.Skipped != 0 {
				t.Errorf("format %q skipped %d", log.Format, log.Skipped)
			}
			tc.check(t, e)
		})
	}
}

// TestCharonCauses runs the cause table over the lab's lines, each after
// the context charon logged before it in the lab.
func TestCharonCauses(t *testing.T) {
	const qm = "12:24:26 14[ENC] parsed QUICK_MODE request 3175699334 [ HASH SA No KE ID ID ]\n12:24:26 14[CFG] selecting proposal:\n"
	for _, tc := range []struct {
		text, cause string
		basis       Basis
	}{
		{qm + "12:24:26 14[CFG]   no acceptable KEY_EXCHANGE_METHOD found\n12:24:26 14[CFG] received proposals: ESP:AES_CBC_128/HMAC_SHA2_256_128/MODP_2048/NO_EXT_SEQ\n12:24:26 14[IKE] no matching proposal found, sending NO_PROPOSAL_CHOSEN", CodeP2PFSMismatch, BasisLocalCheck},
		{qm + "12:24:26 14[CFG]   no acceptable DIFFIE_HELLMAN_GROUP found\n12:24:26 14[CFG] received proposals: ESP:AES_CBC_128/HMAC_SHA2_256_128/MODP_2048/NO_EXT_SEQ\n12:24:26 14[IKE] no matching proposal found, sending NO_PROPOSAL_CHOSEN", CodeP2PFSMismatch, BasisLocalCheck},
		{qm + "12:24:13 15[CFG]   no acceptable ENCRYPTION_ALGORITHM found\n12:24:13 15[CFG] received proposals: ESP:AES_CBC_128/HMAC_SHA2_256_128/NO_EXT_SEQ\n12:24:13 15[IKE] no matching proposal found, sending NO_PROPOSAL_CHOSEN", CodeP2ProposalMismatch, BasisLocalCheck},
		{"12:26:40 14[ENC] parsed IKE_SA_INIT request 0 [ SA KE No ]\n12:26:40 14[CFG] selecting proposal:\n12:26:40 14[CFG]   no acceptable ENCRYPTION_ALGORITHM found\n12:26:40 14[CFG] received proposals: IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048\n12:26:40 14[IKE] received proposals unacceptable", CodeP1ProposalMismatch, BasisLocalCheck},
		{"12:23:55 12[IKE] no proposal found", CodeP1ProposalMismatch, BasisLocalCheck},
		{"12:24:53 16[IKE] no matching CHILD_SA config found for 198.19.1.0/24 === 198.19.2.0/24", CodeP2TSMismatch, BasisLocalCheck},
		{"12:27:06 14[IKE] traffic selectors 198.19.2.0/24 === 198.19.1.0/24 unacceptable", CodeP2TSMismatch, BasisLocalCheck},
		{"12:27:06 13[IKE] received TS_UNACCEPTABLE notify, no CHILD_SA built", CodeP2TSMismatch, BasisPeerNotify},
		{"12:27:24 06[IKE] received NO_PROPOSAL_CHOSEN notify, no CHILD_SA built", CodeP2ProposalMismatch, BasisPeerNotify},
		{"12:26:40 06[ENC] parsed IKE_SA_INIT response 0 [ N(NO_PROP) ]\n12:26:40 06[IKE] received NO_PROPOSAL_CHOSEN notify error", CodeP1ProposalMismatch, BasisPeerNotify},
		{"12:26:57 09[IKE] tried 1 shared key for 'responder.lab' - 'initiator.lab', but MAC mismatched", CodeP1AuthFailed, BasisLocalCheck},
		{"12:26:57 09[IKE] no shared key found for 'responder.lab' - 'initiator.lab'", CodeP1AuthFailed, BasisLocalCheck},
		{"12:26:57 09[CFG] no matching peer config found", CodeP1AuthFailed, BasisLocalCheck},
		{"01:35:20 07[IKE] no peer config found", CodeP1AuthFailed, BasisLocalCheck},
		{"12:26:57 06[IKE] received AUTHENTICATION_FAILED notify error", CodeP1AuthFailed, BasisPeerNotify},
		{"12:23:14 11[IKE] calculated HASH does not match HASH payload", CodeP1AuthFailed, BasisLocalCheck},
		{"12:23:24 06[ENC] invalid HASH_V1 payload length, decryption failed?", CodeP1AuthFailed, BasisLocalCheck},
		{"12:26:50 08[ENC] parsed IKE_SA_INIT request 0 [ SA KE No ]\n12:26:50 08[IKE] DH group MODP_2048 unacceptable, requesting ECP_256", CodeP1DHGroupMismatch, BasisLocalCheck},
		{"12:26:50 08[ENC] parsed IKE_SA_INIT response 0 [ N(INVAL_KE) ]\n12:26:50 08[IKE] peer didn't accept DH group MODP_2048, it requested ECP_256", CodeP1DHGroupMismatch, BasisPeerNotify},
		{"12:26:50 08[ENC] parsed CREATE_CHILD_SA response 2 [ N(INVAL_KE) ]\n12:26:50 08[IKE] peer didn't accept key exchange method MODP_2048, it requested ECP_256", CodeP2PFSMismatch, BasisPeerNotify},
		{"12:23:31 07[IKE] giving up after 3 retransmits", CodeP1NoResponse, BasisTimeout},
		{"12:25:40 07[JOB] DPD check timed out, enforcing DPD action", CodeDPDPeerDead, BasisTimeout},
		{"12:28:30 12[ESP] inbound ESP packet does not belong to an installed SA", CodeESPInvalidSPI, BasisLocalCheck},
	} {
		log, err := Parse(strings.NewReader(tc.text+"\n"), "test")
		if err != nil {
			t.Fatal(err)
		}
		last := log.Events[len(log.Events)-1]
		if last.Cause != tc.cause || last.Basis != tc.basis {
			t.Errorf("%q: cause %s (%v), want %s (%v)", last.Text, last.Cause, last.Basis, tc.cause, tc.basis)
		}
		if last.Reason == "" {
			t.Errorf("%q: no reason", last.Text)
		}
	}
}

// The lines are the lab's pluto-responder.log (libreswan 4.10), in pluto's
// own file format and as syslog would have them.
func TestPlutoLines(t *testing.T) {
	for _, tc := range []struct {
		name, line string
		check      func(t *testing.T, e Event)
	}{
		{"cause", `Nov 27 12:29:26.763147: "lab" #2: we require PFS but Quick I1 SA specifies no GROUP_DESCRIPTION`, func(t *testing.T, e Event) {
			if e.Cause != CodeP2PFSMismatch || e.Basis != BasisLocalCheck || e.Conn != "lab" || e.ConnID != 2 || e.Time.Nanosecond() != 763147000 {
				t.Errorf("got %+v", e)
			}
		}},
		{"sent notify", `Nov 27 12:29:26.763208: "lab" #2: sending encrypted notification NO_PROPOSAL_CHOSEN to 198.18.1.1:4500`, func(t *testing.T, e Event) {
			if len(e.Notifies) != 1 || e.Notifies[0] != (Notify{Name: "NO_PROPOSAL_CHOSEN", Sent: true}) {
				t.Errorf("got %v", e.Notifies)
			}
		}},
		{"syslog sent notify", `Nov 27 12:29:26 gw2 pluto[812]: "lab" #2: sending notification INVALID_ID_INFORMATION to 198.18.1.1:500`, func(t *testing.T, e Event) {
			if len(e.Notifies) != 1 || e.Notifies[0] != (Notify{Name: "INVALID_ID_INFORMATION", Sent: true}) || e.Host != "gw2" {
				t.Errorf("got %+v", e)
			}
		}},
		{"sent message", `Nov 27 12:29:26.752146: "lab" #1: sent Main Mode R1`, func(t *testing.T, e Event) {
			m := e.Message
			if m == nil || !m.Generated || m.Exchange != isakmp.ExchangeV1Main || !m.Response {
				t.Errorf("got %+v", m)
			}
		}},
		{"IKEv1 disabled", `Nov 27 12:29:01.398357: packet from 198.18.1.1:500: ignoring IKEv1 packet as policy is set to silently drop all IKEv1 packets`, func(t *testing.T, e Event) {
			if e.Packet == nil || e.Packet.Sent || e.Packet.Remote != ap1 || e.Cause != CodeP1NoResponse {
				t.Errorf("got %+v", e)
			}
		}},
		{"kernel", `Nov 27 12:29:43.846875: ERROR: "lab" #2: netlink response for Add SA esp.8da90948@198.18.1.1: Protocol not supported (errno 93)`, func(t *testing.T, e Event) {
			if e.Cause != "" || e.Reason == "" || !strings.HasPrefix(e.Text, "ERROR: ") {
				t.Errorf("a kernel failure is no negotiation cause: %+v", e)
			}
		}},
		{"IKEv2 refused", `Nov 27 16:32:19.550519: "lab" #1: responding to IKE_SA_INIT message (ID 0) from 198.18.1.1:500 with unencrypted notification NO_PROPOSAL_CHOSEN`, func(t *testing.T, e Event) {
			m := e.Message
			if m == nil || !m.Generated || m.Version != 2 || m.Exchange != isakmp.ExchangeIKESAInit || !m.Response || !m.HasMessageID || m.MessageID != 0 {
				t.Errorf("message %+v", m)
			}
			if e.Packet == nil || !e.Packet.Sent || e.Packet.Remote != ap1 {
				t.Errorf("packet %+v", e.Packet)
			}
			if len(e.Notifies) != 1 || e.Notifies[0] != (Notify{Name: "NO_PROPOSAL_CHOSEN", Sent: true}) || e.Side != SideResponder {
				t.Errorf("notifies %v, side %v", e.Notifies, e.Side)
			}
		}},
		{"IKE proposals refused", `Nov 27 16:32:19.550486: "lab" #1: no local proposal matches remote proposals 1:IKE:ENCR=AES_CBC_256;INTEG=HMAC_SHA2_384_192;PRF=HMAC_SHA2_384;DH=ECP_384`, func(t *testing.T, e Event) {
			if e.Cause != CodeP1ProposalMismatch || e.Basis != BasisLocalCheck {
				t.Errorf("got %+v", e)
			}
		}},
		{"ESP proposals refused", `Nov 27 16:32:34.728854: "lab" #2: no local proposal matches remote proposals 1:ESP:ENCR=AES_GCM_C_256;ESN=DISABLED`, func(t *testing.T, e Event) {
			if e.Cause != CodeP2ProposalMismatch || e.Basis != BasisLocalCheck {
				t.Errorf("got %+v", e)
			}
		}},
		{"Oakley refused", `Nov 27 16:32:04.013476: "lab" #1: no acceptable Oakley Transform`, func(t *testing.T, e Event) {
			if e.Cause != CodeP1ProposalMismatch {
				t.Errorf("got %+v", e)
			}
		}},
		{"openswan psk", `Jan  5 10:00:00 gw pluto[99]: "vpn" #1: probable authentication failure (mismatch of preshared secrets?): malformed payload in packet`, func(t *testing.T, e Event) {
			if e.Cause != CodeP1AuthFailed {
				t.Errorf("got %+v", e)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, log := parseOne(t, tc.line+"\n")
			if log.Format != FormatPluto {
				t.Errorf("format %q", log.Format)
			}
			tc.check(t, e)
		})
	}
}

// TestComware reads the H3C guide's debugging excerpts (testdata/README.md):
// multi-line entries, the causes the guide names, the packet header.
func TestComware(t *testing.T) {
	log, err := ParseFile("testdata/comware-phase2.log")
	if err != nil {
		t.Fatal(err)
	}
	if log.Format != FormatComware {
		t.Fatalf("format %q", log.Format)
	}
	causes := map[string]int{}
	var sawPacket, sawHeader bool
	for _, e := range log.Events {
		if !e.HasYear || e.Time.Year() != 2019 || e.Host != "H3C" {
			t.Errorf("line %d: time %v host %q", e.Line, e.Time, e.Host)
		}
		if e.Cause != "" {
			causes[e.Cause]++
		}
		if p := e.Packet; p != nil && !p.Sent && p.Remote == netip.MustParseAddrPort("1.1.1.2:500") && p.Local == netip.MustParseAddrPort("1.1.1.1:500") {
			sawPacket = true
		}
		if m := e.Message; m != nil && m.Exchange == isakmp.ExchangeV1Quick && m.MessageID == 0xd3d40d2 && m.Length == 172 {
			sawHeader = true
			if e.Line != 9 {
				t.Errorf("the header entry starts on line %d, want 9", e.Line)
			}
		}
		if strings.Contains(e.Text, "does not match the flow") && !strings.Contains(e.Text, "Seqnum = 10") {
			t.Errorf("continuation lines not joined: %q", e.Text)
		}
	}
	if !sawPacket || !sawHeader {
		t.Errorf("packet %v header %v", sawPacket, sawHeader)
	}
	if causes[CodeP1AuthFailed] != 3 || causes[CodeP2TSMismatch] != 2 {
		t.Errorf("causes %v, want 3 P1_AUTH_FAILED (2 Main Mode, 1 Aggressive) and 2 P2_TS_MISMATCH", causes)
	}
	if log.Skipped == 0 {
		t.Error("the typed commands should be skipped")
	}
}

// TestForeign: input that is no gateway log gives no event and no error.
func TestForeign(t *testing.T) {
	for name, text := range map[string]string{
		"nginx": `127.0.0.1 - - [27/Nov/2026:13:01:02 +0000] "GET /index.html HTTP/1.1" 200 612 "-" "curl/8.5.0"
198.18.1.1 - - [27/Nov/2026:13:01:03 +0000] "POST /api/v1/tunnels HTTP/1.1" 500 31 "-" "Mozilla/5.0"
`,
		"prose":                    "The quick brown fox failed to establish anything.\nNo matching proposal was found in this text either: it is prose.\n\n\"quoted\" text: and more\n| a | markdown | table |\n",
		"syslog of other programs": "Nov 27 13:01:02 gw1 sshd[1234]: Failed password for root from 203.0.113.9 port 22 ssh2\nNov 27 13:01:03 gw1 kernel: [12.3] eth0: link up\n",
		"binary":                   "\x00\x01\x02\xff\xfe\n\x89PNG\r\n\x1a\n",
	} {
		log, err := Parse(strings.NewReader(text), name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if len(log.Events) != 0 || log.Skipped == 0 || log.Format != FormatUnknown {
			t.Errorf("%s: %d events, %d skipped, format %q", name, len(log.Events), log.Skipped, log.Format)
		}
	}
}

// TestLongLine: a line longer than MaxLine is cut, counted, and the next
// line is read normally.
func TestLongLine(t *testing.T) {
	text := "12:25:51 10[IKE] " + strings.Repeat("x", 3*MaxLine) + " failed\n12:25:51 10[NET] sending packet: from 198.18.1.1[500] to 198.18.1.2[500] (464 bytes)\n"
	log, err := Parse(strings.NewReader(text), "long")
	if err != nil {
		t.Fatal(err)
	}
	if log.Truncated != 1 || log.Lines != 2 {
		t.Errorf("truncated %d lines %d", log.Truncated, log.Lines)
	}
	last := log.Events[len(log.Events)-1]
	if last.Packet == nil || last.Line != 2 {
		t.Errorf("the line after the long one: %+v", last)
	}
	for _, e := range log.Events {
		if len(e.Text) > maxText+len("…") {
			t.Errorf("text of %d bytes", len(e.Text))
		}
	}
}

// TestComwareNotify: a notify named in a Comware entry, in Comware's
// spelling. The entry is modelled on the guide's format (no real sample of
// this message was available).
func TestComwareNotify(t *testing.T) {
	text := "*May 23 18:47:15:470 2019 H3C IKE/7/EVENT: -Context=1; vrf = 0, local =\n1.1.1.1, remote = 1.1.1.2/500\nSend notification INVALID-ID-INFORMATION to the peer.\n"
	e, _ := parseOne(t, text)
	if len(e.Notifies) != 1 || e.Notifies[0] != (Notify{Name: "INVALID_ID_INFORMATION", Sent: true}) {
		t.Errorf("got %+v", e.Notifies)
	}
}

// TestCharonIKEName: with ike_name = yes every line names the IKE SA, and
// a responder's role is known from "is initiating".
func TestCharonIKEName(t *testing.T) {
	text := `Nov 27 13:01:02 09[NET] <1> received packet: from 198.18.1.1[500] to 198.18.1.2[500] (464 bytes)
Nov 27 13:01:02 09[NET] <(unnamed)|1> received packet: from 198.18.1.1[500] to 198.18.1.2[500] (464 bytes)
Nov 27 13:01:02 09[ENC] <(unnamed)|1> parsed IKE_SA_INIT request 0 [ SA KE No ]
Nov 27 13:01:02 09[IKE] <(unnamed)|1> 198.18.1.1 is initiating an IKE_SA
Nov 27 13:01:02 09[NET] <(unnamed)|1> sending packet: from 198.18.1.2[500] to 198.18.1.1[500] (472 bytes)
Nov 27 13:01:02 12[NET] <lab|1> received packet: from 198.18.1.1[4500] to 198.18.1.2[4500] (288 bytes)
Nov 27 13:01:02 12[IKE] <lab|1> traffic selectors 198.19.2.0/24 === 198.19.1.0/24 unacceptable
`
	log, err := Parse(strings.NewReader(text), "ike_name")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range log.Events {
		if e.Line == 1 {
			continue // "<1>" is no ike_name prefix: a packet line of an unknown SA
		}
		if e.ConnID != 1 || e.Side != SideResponder {
			t.Errorf("line %d: IKE SA %d side %v", e.Line, e.ConnID, e.Side)
		}
	}
	if last := log.Events[len(log.Events)-1]; last.Conn != "lab" || last.Cause != CodeP2TSMismatch {
		t.Errorf("last: %+v", last)
	}
}
