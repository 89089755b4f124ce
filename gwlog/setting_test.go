package gwlog

import (
	"slices"
	"strings"
	"testing"
)

// TestSettings: the lines that say what a gateway expected, received or
// matched become Settings, in charon's, pluto's and Comware's words; the
// lines around them do not.
func TestSettings(t *testing.T) {
	for _, c := range []struct {
		name string
		log  string
		kind SettingKind
		want []string
	}{
		{"charon configured", "Nov 27 12:26:46 07[CFG] configured proposals: IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048, IKE:AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024",
			SettingProposalsConfigured, []string{"IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048", "IKE:AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024"}},
		{"charon received", "Nov 27 12:26:46 07[CFG] received proposals: ESP:AES_GCM_16_256/NO_EXT_SEQ", SettingProposalsReceived, []string{"ESP:AES_GCM_16_256/NO_EXT_SEQ"}},
		{"charon local flow, continued", "Nov 27 12:27:06 14[CFG] proposing traffic selectors for us:\nNov 27 12:27:06 14[CFG]  198.19.2.0/24\nNov 27 12:27:06 14[CFG]  198.19.12.0/24\nNov 27 12:27:06 14[IKE] traffic selectors 198.19.2.0/24 === 198.19.1.0/24 unacceptable",
			SettingTSLocal, []string{"198.19.2.0/24", "198.19.12.0/24"}},
		{"charon remote flow", "Nov 27 12:27:06 14[CFG] proposing traffic selectors for other:\nNov 27 12:27:06 14[CFG]  198.19.3.0/24", SettingTSRemote, []string{"198.19.3.0/24"}},
		{"charon no child config (IKEv1)", "Nov 27 12:24:53 06[CFG] no matching CHILD_SA config found for 198.19.1.0/24 === 198.19.2.0/24", SettingTSReceived, []string{"198.19.2.0/24", "198.19.1.0/24"}},
		{"charon identities", "Nov 27 12:26:46 06[CFG] looking for peer configs matching 198.18.1.2[responder.lab]...198.18.1.1[initiator.lab]", SettingIdentities, []string{"local responder.lab", "remote initiator.lab"}},
		{"charon no peer config", "Nov 27 12:26:46 06[CFG] no matching peer config found", SettingPeerConfig, []string{"none"}},
		{"charon IKEv1 identities", "01:35:20 07[CFG] looking for pre-shared key peer configs matching 198.18.1.2...198.18.1.1[initiator.lab]", SettingIdentities, []string{"remote initiator.lab"}},
		{"charon IKEv1 no peer config", "01:35:20 07[IKE] no peer config found", SettingPeerConfig, []string{"none"}},
		{"charon peer config", "Nov 27 12:26:46 06[CFG] selected peer config 'lab'", SettingPeerConfig, []string{"lab"}},
		{"charon IKE config", "Nov 27 12:26:46 07[CFG] found matching ike config: 198.18.1.2...198.18.1.1 with prio 3100", SettingIKEConfig, []string{"198.18.1.2...198.18.1.1"}},
		{"charon no IKE config", "Nov 27 12:26:46 07[IKE] no IKE config found for 198.18.1.2...198.18.1.9, sending NO_PROPOSAL_CHOSEN", SettingIKEConfig, []string{"none for 198.18.1.2...198.18.1.9"}},
		{"charon via syslog, ike_name on", "Dec  1 10:00:00 gw-b charon: 12[CFG] <site-a|7> configured proposals: ESP:AES_GCM_16_256/NO_EXT_SEQ",
			SettingProposalsConfigured, []string{"ESP:AES_GCM_16_256/NO_EXT_SEQ"}},
		{"charon journald, flow continued", "Dec  1 10:00:00 gw-b charon-systemd[812]: 12[CFG] <site-a|7> proposing traffic selectors for other:\nDec  1 10:00:00 gw-b charon-systemd[812]: 12[CFG] <site-a|7>  10.20.0.0/16\n",
			SettingTSRemote, []string{"10.20.0.0/16"}},
		{"pluto remote proposals", `Nov 27 16:34:00.534141: "lab" #2: no local proposal matches remote proposals 1:ESP:ENCR=AES_GCM_C_256;ESN=DISABLED`, SettingProposalsReceived, []string{"1:ESP:ENCR=AES_GCM_C_256;ESN=DISABLED"}},
		{"pluto peer ID", `Nov 27 12:29:26.761080: "lab" #1: Peer ID is ID_FQDN: '@initiator.lab'`, SettingIdentities, []string{"remote initiator.lab"}},
		{"comware policy", "*May 23 18:47:15:470 2019 H3C IPSEC/7/EVENT: -Context=1;\nThe policy's acl or ike profile does not match the flow, Name = FW1, Seqnum\n= 10\n", SettingPolicy, []string{"FW1 seq 10"}},
		{"comware profile", "*May 23 18:47:15:470 2019 H3C IPSEC/7/EVENT: -Context=1;\n  Could not find tunnel, ike profile name is FW1.\n", SettingPeerConfig, []string{"IKE profile FW1"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			l, err := Parse(strings.NewReader(c.log+"\n"), "t.log")
			if err != nil {
				t.Fatal(err)
			}
			var got *Setting
			for _, e := range l.Events {
				if e.Setting != nil && e.Setting.Kind == c.kind {
					got = e.Setting
					break
				}
			}
			if got == nil || !slices.Equal(got.Values, c.want) {
				t.Fatalf("setting %s = %+v, want %q", c.kind, got, c.want)
			}
		})
	}
	// Not a setting: a line about something else, an indented line after
	// a line that opens no list.
	l, _ := Parse(strings.NewReader("Nov 27 12:27:06 14[IKE] authentication of 'responder.lab' (myself) with pre-shared key\nNov 27 12:27:06 14[CFG]  198.19.2.0/24\n"), "t.log")
	for _, e := range l.Events {
		if e.Setting != nil {
			t.Errorf("line %d has a setting %+v", e.Line, e.Setting)
		}
	}
}

// TestConfigDump: charon's vici and stroke dumps and pluto's proposal list
// of a connection being added become Configs.
func TestConfigDump(t *testing.T) {
	vici := `12:26:44 08[CFG] vici client 1 requests: load-conn
12:26:44 08[CFG]  conn lab:
12:26:44 08[CFG]   child net:
12:26:44 08[CFG]    rekey_time = 3600
12:26:44 08[CFG]    proposals = ESP:AES_CBC_128/HMAC_SHA2_256_128/NO_EXT_SEQ
12:26:44 08[CFG]    local_ts = 198.19.2.0/24
12:26:44 08[CFG]    remote_ts = 198.19.1.0/24, 198.19.11.0/24
12:26:44 08[CFG]   version = 2
12:26:44 08[CFG]   local_addrs = 198.18.1.2
12:26:44 08[CFG]   remote_addrs = 198.18.1.1
12:26:44 08[CFG]   proposals = IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048
12:26:44 08[CFG]   local:
12:26:44 08[CFG]    id = responder.lab
12:26:44 08[CFG]    class = pre-shared key
12:26:44 08[CFG]   remote:
12:26:44 08[CFG]    id = branch-office.lab
12:26:44 08[CFG] added vici connection: lab
`
	stroke := `Dec  1 10:00:00 gw charon: 12[CFG] received stroke: add connection 'site-b'
Dec  1 10:00:00 gw charon: 12[CFG]   conn site-b
Dec  1 10:00:00 gw charon: 12[CFG]   left=198.18.5.1
Dec  1 10:00:00 gw charon: 12[CFG]   leftsubnet=198.19.5.0/24
Dec  1 10:00:00 gw charon: 12[CFG]   leftid=gw-a
Dec  1 10:00:00 gw charon: 12[CFG]   right=198.18.6.1
Dec  1 10:00:00 gw charon: 12[CFG]   rightsubnet=198.19.6.0/24
Dec  1 10:00:00 gw charon: 12[CFG]   rightid=gw-b
Dec  1 10:00:00 gw charon: 12[CFG]   ike=aes256-sha256-modp2048!
Dec  1 10:00:00 gw charon: 12[CFG]   esp=aes256-sha256!
Dec  1 10:00:00 gw charon: 12[CFG] added configuration 'site-b'
`
	pluto := `Nov 27 16:33:59.943487: "lab": IKE SA proposals (connection add):
Nov 27 16:33:59.943522: "lab":   1:IKE=AES_CBC_128-HMAC_SHA2_256-HMAC_SHA2_256_128-MODP2048
Nov 27 16:33:59.943549: "lab": Child SA proposals (connection add):
Nov 27 16:33:59.943552: "lab":   1:ESP=AES_CBC_128-HMAC_SHA2_256_128-NONE-ENABLED+DISABLED
Nov 27 16:33:59.943649: "lab": added IKEv2 connection
`
	for _, c := range []struct {
		name, log string
		want      Config
	}{
		{"vici", vici, Config{Conn: "lab", Line: 1, LocalAddrs: []string{"198.18.1.2"}, RemoteAddrs: []string{"198.18.1.1"}, LocalID: "responder.lab", RemoteID: "branch-office.lab",
			Proposals: []string{"IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048"},
			Children:  []ChildConfig{{Name: "net", Proposals: []string{"ESP:AES_CBC_128/HMAC_SHA2_256_128/NO_EXT_SEQ"}, LocalTS: []string{"198.19.2.0/24"}, RemoteTS: []string{"198.19.1.0/24", "198.19.11.0/24"}}}}},
		{"stroke", stroke, Config{Conn: "site-b", Line: 1, LocalAddrs: []string{"198.18.5.1"}, RemoteAddrs: []string{"198.18.6.1"}, LocalID: "gw-a", RemoteID: "gw-b",
			Proposals: []string{"aes256-sha256-modp2048!"},
			Children:  []ChildConfig{{Name: "site-b", Proposals: []string{"aes256-sha256!"}, LocalTS: []string{"198.19.5.0/24"}, RemoteTS: []string{"198.19.6.0/24"}}}}},
		{"pluto", pluto, Config{Conn: "lab", Line: 1, Proposals: []string{"1:IKE=AES_CBC_128-HMAC_SHA2_256-HMAC_SHA2_256_128-MODP2048"},
			Children: []ChildConfig{{Name: "lab", Proposals: []string{"1:ESP=AES_CBC_128-HMAC_SHA2_256_128-NONE-ENABLED+DISABLED"}}}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			l, err := Parse(strings.NewReader(c.log), "t.log")
			if err != nil {
				t.Fatal(err)
			}
			if len(l.Configs) != 1 {
				t.Fatalf("%d configs, want 1: %+v", len(l.Configs), l.Configs)
			}
			got := l.Configs[0]
			got.Time = c.want.Time
			if !configEqual(got, c.want) {
				t.Errorf("config\n got %+v\nwant %+v", got, c.want)
			}
			for _, e := range l.Events {
				if strings.Contains(e.Text, " = ") || strings.Contains(e.Text, "=aes") {
					t.Errorf("a dump line became an event: %q", e.Text)
				}
			}
		})
	}
}

func configEqual(a, b Config) bool {
	if a.Conn != b.Conn || a.Line != b.Line || a.LocalID != b.LocalID || a.RemoteID != b.RemoteID ||
		!slices.Equal(a.LocalAddrs, b.LocalAddrs) || !slices.Equal(a.RemoteAddrs, b.RemoteAddrs) || !slices.Equal(a.Proposals, b.Proposals) ||
		len(a.Children) != len(b.Children) {
		return false
	}
	for i := range a.Children {
		x, y := a.Children[i], b.Children[i]
		if x.Name != y.Name || !slices.Equal(x.Proposals, y.Proposals) || !slices.Equal(x.LocalTS, y.LocalTS) || !slices.Equal(x.RemoteTS, y.RemoteTS) {
			return false
		}
	}
	return true
}
