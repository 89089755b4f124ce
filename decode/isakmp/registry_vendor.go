package isakmp

import (
	"encoding/hex"
	"sort"
)

// Vendor ID payload contents → implementation / extension names.
//
// Sources: Wireshark epan/dissectors/packet-isakmp.c (vendor_id[]), strongSwan
// src/libcharon/sa/ikev1/tasks/isakmp_vendor.c and sa/ikev2/tasks/ike_vendor.c,
// libreswan lib/libswan/vendorid.c, ike-scan ike-vendor-ids, MS-IKEE. Many VIDs
// are the MD5 of a string (md5src below) or a truncated MD5 followed by
// version bytes; those are matched by prefix. The longest matching entry wins,
// so "OE-Libreswan-…" beats "OE…" and a versioned Microsoft VID beats the bare
// "MS NT5 ISAKMPOAKLEY" prefix.

// vendorID is one known Vendor ID.
type vendorID struct {
	vid       string // raw payload bytes
	prefix    bool   // true: vid may be followed by version or capability bytes
	name      string
	md5src    string // vid == MD5(md5src), when not ""
	fswanHash string // vid == FreeS/WAN "OE" hash of fswanHash, when not ""
}

// hx decodes a hex literal of the vendor table; it panics on a typo so a bad
// entry fails at init rather than silently never matching.
func hx(s string) string {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic("isakmp: bad vendor ID literal " + s)
	}
	return string(b)
}

// vendorIDs is the table; see the file comment for sources.
var vendorIDs = []vendorID{
	// NAT traversal: RFC 3947 and its drafts. MD5 of the name (ike-scan, Wireshark, strongSwan isakmp_vendor.c, libreswan).
	{hx("4a131c81070358455c5728f20e95452f"), false, "RFC 3947 NAT-T", "RFC 3947", ""},
	{hx("4df37928e9fc4fd1b3262170d515c662"), false, "draft-ietf-ipsec-nat-t-ike", "draft-ietf-ipsec-nat-t-ike", ""},
	{hx("4485152d18b6bbcd0be8a8469579ddcc"), false, "draft-ietf-ipsec-nat-t-ike-00", "draft-ietf-ipsec-nat-t-ike-00", ""},
	{hx("16f6ca16e4a4066d83821a0f0aeaa862"), false, "draft-ietf-ipsec-nat-t-ike-01", "draft-ietf-ipsec-nat-t-ike-01", ""},
	{hx("cd60464335df21f87cfdb2fc68b6a448"), false, "draft-ietf-ipsec-nat-t-ike-02", "draft-ietf-ipsec-nat-t-ike-02", ""},
	{hx("90cb80913ebb696e086381b5ec427b1f"), false, "draft-ietf-ipsec-nat-t-ike-02\\n", "draft-ietf-ipsec-nat-t-ike-02\n", ""},
	{hx("7d9419a65310ca6f2c179d9215529d56"), false, "draft-ietf-ipsec-nat-t-ike-03", "draft-ietf-ipsec-nat-t-ike-03", ""},
	{hx("9909b64eed937c6573de52ace952fa6b"), false, "draft-ietf-ipsec-nat-t-ike-04", "draft-ietf-ipsec-nat-t-ike-04", ""},
	{hx("80d0bb3def54565ee84645d4c85ce3ee"), false, "draft-ietf-ipsec-nat-t-ike-05", "draft-ietf-ipsec-nat-t-ike-05", ""},
	{hx("4d1e0e136deafa34c4f3ea9f02ec7285"), false, "draft-ietf-ipsec-nat-t-ike-06", "draft-ietf-ipsec-nat-t-ike-06", ""},
	{hx("439b59f8ba676c4c7737ae22eab8f582"), false, "draft-ietf-ipsec-nat-t-ike-07", "draft-ietf-ipsec-nat-t-ike-07", ""},
	{hx("8f8d83826d246b6fc7a8a6a428c11de8"), false, "draft-ietf-ipsec-nat-t-ike-08", "draft-ietf-ipsec-nat-t-ike-08", ""},
	{hx("42ea5b6f898d9773a575df26e7dd19e1"), false, "draft-ietf-ipsec-nat-t-ike-09", "draft-ietf-ipsec-nat-t-ike-09", ""},
	{hx("c40fee00d5d39ddb1fc762e09b7cfea7"), false, "Testing NAT-T RFC", "Testing NAT-T RFC", ""},
	{hx("27bab5dc01ea0760ea4e3190ac27c0d0"), false, "draft-stenberg-ipsec-nat-traversal-01", "draft-stenberg-ipsec-nat-traversal-01", ""},
	{hx("6105c422e76847e43f9684801292aecd"), false, "draft-stenberg-ipsec-nat-traversal-02", "draft-stenberg-ipsec-nat-traversal-02", ""},
	{hx("6a7434c19d7e36348090a02334c9c805"), false, "draft-huttunen-ipsec-esp-in-udp-00", "draft-huttunen-ipsec-esp-in-udp-00.txt", ""},
	{hx("50760f624c63e5c53eea386c685ca083"), false, "draft-huttunen-ipsec-esp-in-udp-01 (ESPThruNAT)", "ESPThruNAT", ""},
	// Dead Peer Detection (RFC 3706): the last two bytes are the version (1.0); ike-scan, Wireshark, strongSwan, libreswan. DPDv1_NG is MD5("DPD") (libreswan, from Shrew Soft).
	{hx("afcad71368a1f1c96b8696fc7757"), true, "Dead Peer Detection", "", ""},
	{hx("3b9031dce4fcf88b489a923963dd0c49"), false, "DPDv1_NG", "DPD", ""},
	// XAUTH: MD5("draft-ietf-ipsra-isakmp-xauth-06.txt") truncated to 8 bytes; some peers send all 16 (Wireshark names those draft-beaulieu-ike-xauth-02).
	{hx("09002689dfd6b712"), true, "XAUTH", "", ""},
	// IKE fragmentation (Cisco/Microsoft, pre-RFC 7383): MD5("FRAGMENTATION"), optionally followed by 4 capability bytes (strongSwan isakmp_vendor.c, libreswan, Wireshark, ike-scan).
	{hx("4048b7d56ebce88525e7de7f00d6c2d3"), true, "FRAGMENTATION", "FRAGMENTATION", ""},
	{hx("4048b7d56ebce88525e7de7f00d6c2d380000000"), false, "Cisco Fragmentation", "", ""},
	{hx("4048b7d56ebce88525e7de7f00d6c2d3c0000000"), false, "Cisco Fragmentation", "", ""},
	// Cisco (Wireshark, libreswan, strongSwan ike_vendor.c, ike-scan).
	{hx("12f5f28c457168a9702d9fe274cc"), true, "Cisco Unity", "", ""},
	{hx("800100018002000180030002"), false, "Cisco Unity FW type", "", ""},
	{hx("1f07f70eaa6514d3b0fa96542a50"), true, "Cisco VPN Concentrator", "", ""},
	{hx("3e984048"), true, "Cisco IOS", "", ""},
	{"CISCO-DELETE-REASON", false, "CISCO-DELETE-REASON", "", ""},
	{"CISCO-DYNAMIC-ROUTE", false, "CISCO-DYNAMIC-ROUTE", "", ""},
	{"FLEXVPN-SUPPORTED", false, "Cisco FlexVPN Supported", "", ""},
	{"CISCOVPN-REV-02", false, "Cisco VPN Revision 2", "", ""},
	{"CISCO(COPYRIGHT)&Copyright (c) 2009 Cisco Systems, Inc.", false, "Cisco Copyright (c) 2009", "", ""},
	{"CISCO-GRE-MODE", false, "Cisco GRE Mode Supported", "", ""},
	// Microsoft (MS-IKEE; version numbers and GUID VIDs from libreswan vendorid.c, Wireshark, strongSwan).
	{hx("1e2b516905991c7d7c96fcbfb587e461"), true, "MS NT5 ISAKMPOAKLEY", "MS NT5 ISAKMPOAKLEY", ""},
	{hx("1e2b516905991c7d7c96fcbfb587e46100000002"), true, "Microsoft Windows 2000 (MS NT5 ISAKMPOAKLEY v2)", "", ""},
	{hx("1e2b516905991c7d7c96fcbfb587e46100000003"), true, "Microsoft Windows XP (MS NT5 ISAKMPOAKLEY v3)", "", ""},
	{hx("1e2b516905991c7d7c96fcbfb587e46100000004"), true, "Microsoft Windows Server 2003 (MS NT5 ISAKMPOAKLEY v4)", "", ""},
	{hx("1e2b516905991c7d7c96fcbfb587e46100000005"), true, "Microsoft Windows Vista (MS NT5 ISAKMPOAKLEY v5)", "", ""},
	{hx("1e2b516905991c7d7c96fcbfb587e46100000006"), true, "Microsoft Windows Server 2008 (MS NT5 ISAKMPOAKLEY v6)", "", ""},
	{hx("1e2b516905991c7d7c96fcbfb587e46100000007"), true, "Microsoft Windows 7 (MS NT5 ISAKMPOAKLEY v7)", "", ""},
	{hx("1e2b516905991c7d7c96fcbfb587e46100000008"), true, "Microsoft Windows Server 2008 R2 (MS NT5 ISAKMPOAKLEY v8)", "", ""},
	{hx("1e2b516905991c7d7c96fcbfb587e46100000009"), true, "Microsoft Windows 8/8.1/10, Server 2012 R2/2016 (MS NT5 ISAKMPOAKLEY v9)", "", ""},
	{hx("01528bbbc00696121849ab9a1c5b2a5100000000"), false, "Microsoft KEY_MODS (IKE)", "", ""},
	{hx("01528bbbc00696121849ab9a1c5b2a5100000001"), false, "Microsoft KEY_MODS (AuthIP)", "", ""},
	{hx("01528bbbc00696121849ab9a1c5b2a5100000002"), false, "Microsoft KEY_MODS (IKEv2)", "", ""},
	{hx("7bb93867d76c8d80df0f40fae8fc3b1900000000"), false, "Microsoft AuthIP INIT KE DH NONE", "", ""},
	{hx("7bb93867d76c8d80df0f40fae8fc3b1900000001"), false, "Microsoft AuthIP INIT KE DH1", "", ""},
	{hx("7bb93867d76c8d80df0f40fae8fc3b1900000002"), false, "Microsoft AuthIP INIT KE DH2", "", ""},
	{hx("7bb93867d76c8d80df0f40fae8fc3b1900000003"), false, "Microsoft AuthIP INIT KE DH14", "", ""},
	{hx("7bb93867d76c8d80df0f40fae8fc3b1900000004"), false, "Microsoft AuthIP INIT KE DH19 (ECP 256)", "", ""},
	{hx("7bb93867d76c8d80df0f40fae8fc3b1900000005"), false, "Microsoft AuthIP INIT KE DH20 (ECP 384)", "", ""},
	{hx("7bb93867d76c8d80df0f40fae8fc3b1900000006"), false, "Microsoft AuthIP INIT KE DH21 (ECP 521)", "", ""},
	{hx("7bb93867d76c8d80df0f40fae8fc3b1900000007"), false, "Microsoft AuthIP INIT KE DH MAX", "", ""},
	{hx("72872b95fcda2eb708efe322119b4971"), false, "Microsoft NLB/MSCS fast failover supported", "", ""},
	{hx("214ca4faffa7f32d6748e5303395ae83"), false, "Microsoft AuthIP supported", "", ""},
	{hx("e3a5966a76379fe707228231e5ce8652"), false, "IKE CGA version 1", "", ""},
	{hx("fb1de3cdf341b7ea16b7e5be0855f120"), false, "MS-Negotiation Discovery Capable", "", ""},
	{hx("8aa394cf8a5577dc3110c113b027a4f2"), false, "Microsoft Xbox One 2013", "", ""},
	{hx("660822b3a73a244149578d62e0eb46a0"), false, "Microsoft Xbox IKEv2 Negotiation", "", ""},
	{hx("686a8cbdfe634b405146fb2baf33e9e8"), false, "Microsoft IPsec Security Realm Id", "", ""},
	{hx("26244d38eddb61b3172a36e3d0cfb819"), false, "Microsoft Vid-Initial-Contact", "Vid-Initial-Contact", ""},
	{hx("ad2c0dd0b9c32083ccba25b8861ec455"), false, "A GSS-API Authentication Method for IKE", "A GSS-API Authentication Method for IKE", ""},
	{hx("b46d8914f3aaa3f2fedeb7c7db2943ca"), false, "A GSS-API Authentication Method for IKE\\n", "A GSS-API Authentication Method for IKE\n", ""},
	{hx("621b04bb09882ac1e15935fefa24aeee"), false, "GSSAPI", "GSSAPI", ""},
	// Check Point: a 20-byte ID followed by product, version and feature words (ike-scan, strongSwan, libreswan); CryptoPro/GOST builds (Wireshark).
	{hx("f4ed19e0c114eb516faaac0ee37daf2807b4381f"), true, "Check Point", "", ""},
	{hx("031017e07f7a82e3aa6950c999990100"), false, "CryptoPro/GOST 1.0 / Check Point R71", "", ""},
	{hx("031017e07f7a82e3aa6950c999990101"), false, "CryptoPro/GOST 1.1", "", ""},
	// Juniper/NetScreen (Wireshark, libreswan; ike-scan shows 8 more bytes may follow).
	{hx("299ee8289f40a8973bc78687e2e7226b532c3b76"), true, "Juniper/NetScreen (Netscreen-1)", "", ""},
	{hx("3a15e1f3cf2a63582e3ac82d1c64cbe3b6d779e7"), true, "Juniper/NetScreen (Netscreen-2)", "", ""},
	{hx("47d2b126bfcd83489760e2cf8c5d4d5a03497c15"), true, "Juniper/NetScreen (Netscreen-3)", "", ""},
	{hx("4a4340b543e02b84c88a8b96a8af9ebe77d9accc"), true, "Juniper/NetScreen (Netscreen-4)", "", ""},
	{hx("64405f46f03b7660a23be116a1975058e69e8387"), true, "Juniper/NetScreen (Netscreen-5)", "", ""},
	{hx("699369228741c6d4ca094c93e242c9de19e7b7c6"), true, "Juniper/NetScreen (Netscreen-6)", "", ""},
	{hx("8c0dc6cf62a0ef1b5c6eabd1b67ba69866adf16a"), true, "Juniper/NetScreen (Netscreen-7)", "", ""},
	{hx("92d27a9ecb31d99246986d3453d0c3d57a222a61"), true, "Juniper/NetScreen (Netscreen-8)", "", ""},
	{hx("9b096d9ac3275a7d6fe8b91c583111b09efed1a0"), true, "Juniper/NetScreen (Netscreen-9)", "", ""},
	{hx("bf03746108d746c904f1f3547de24f78479fed12"), true, "Juniper/NetScreen (Netscreen-10)", "", ""},
	{hx("c2e80500f4cc5fbf5daaeed3bb59abaeee56c652"), true, "Juniper/NetScreen (Netscreen-11)", "", ""},
	{hx("c8660a62b03b1b6130bf781608d32a6a8d0fb89f"), true, "Juniper/NetScreen (Netscreen-12)", "", ""},
	{hx("f885da40b1e7a9abd17655ec5bbec0f21f0ed52e"), true, "Juniper/NetScreen (Netscreen-13)", "", ""},
	{hx("2a2bcac19b8e91b426107807e02e7249569d6fd3"), true, "Juniper/NetScreen (Netscreen-14)", "", ""},
	{hx("166f932d55eb64d8e4df4fd37e2313f0d0fd8451"), true, "Juniper/NetScreen (Netscreen-15)", "", ""},
	{hx("a35bfd05ca1ac0b3d2f24e9e82bfcbff9c9e52b5"), true, "Juniper/NetScreen (Netscreen-16)", "", ""},
	// Fortinet (Wireshark; the FortiGate ID is followed by release and build).
	{hx("8299031757a36082c6a621de"), true, "Fortinet FortiGate", "", ""},
	{hx("4c53427b6d465d1b337bb755a37a7fef"), false, "Fortinet FortiClient Connect license", "forticlient connect license", ""},
	{hx("b4f01ca951e9da8d0bafbbd34ad3044e"), false, "Fortinet Endpoint Control", "Fortinet Endpoint Control", ""},
	// SonicWall, SafeNet, WatchGuard (ike-scan, libreswan, Wireshark). ike-scan calls da8e9378… "Safenet or Watchguard", libreswan calls da8e937880010000 "Sonicwall 2".
	{hx("404bf439522ca3f6"), true, "SonicWall", "", ""},
	{hx("da8e9378"), true, "SafeNet/WatchGuard/SonicWall", "", ""},
	{hx("47bbe7c993f1fc13b4e6d0db565c68e5"), true, "SafeNet SoftRemote", "", ""},
	// Zyxel (Wireshark, strongSwan isakmp_vendor.c, libreswan, ike-scan).
	{hx("625027749d5ab97f5616c1602765cf480a3b7d0b"), false, "Zyxel ZyWALL", "", ""},
	{hx("b858d1addd08c1e8adafea150608aa4497aa6cc8"), false, "Zyxel ZyWALL Router", "", ""},
	{hx("f758f22668750f03b08df6ebe1d0"), false, "Zyxel ZyWALL USG 100", "", ""},
	// KAME/racoon and IPsec-Tools (Wireshark, libreswan, ike-scan).
	{hx("7003cbc1097dbe9c2600ba6983bc8b35"), false, "KAME/racoon", "KAME/racoon", ""},
	{hx("20a3622c1cea7ce37bee3ca484425276"), false, "IPsec-Tools", "IPSec-Tools", ""},
	// strongSwan: MD5("strongSwan") (strongSwan isakmp_vendor.c / ike_vendor.c) and the versioned MD5s listed by libreswan vendorid.c.
	{hx("882fe56d6fd20dbc2251613b2ebe5beb"), false, "strongSwan", "strongSwan", ""},
	{hx("2ce9c946a4c879bf11b50b76cc5692cb"), false, "strongSwan 4.0.0", "strongSwan 4.0.0", ""},
	{hx("9dbbafcf1db0dd595ae065294003ad3e"), false, "strongSwan 4.0.1", "strongSwan 4.0.1", ""},
	{hx("77e8eea6f556a499de3ffe7f7f95661c"), false, "strongSwan 4.0.2", "strongSwan 4.0.2", ""},
	{hx("b181b18e114fc209b3c6e26c3a80718e"), false, "strongSwan 4.0.3", "strongSwan 4.0.3", ""},
	{hx("1ef283f83549b5ff9608b6d634f84d75"), false, "strongSwan 4.0.4", "strongSwan 4.0.4", ""},
	{hx("dd180d21e5ce655a768ba32211dd8ad9"), false, "strongSwan 4.0.5", "strongSwan 4.0.5", ""},
	{hx("4c90136946577b51919d8d9a6b8e4a9f"), false, "strongSwan 4.0.6", "strongSwan 4.0.6", ""},
	{hx("ab0746221cc8fd0d5238f73a9b3da557"), false, "strongSwan 4.0.7", "strongSwan 4.0.7", ""},
	{hx("4794cef6843422980d1a3d06af41c5cd"), false, "strongSwan 4.1.0", "strongSwan 4.1.0", ""},
	{hx("d3f1c488c368175d5f40a8f5ca5f5e12"), false, "strongSwan 4.1.1", "strongSwan 4.1.1", ""},
	{hx("15a1ace7ee52fddfef04f928db2dd134"), false, "strongSwan 4.1.2", "strongSwan 4.1.2", ""},
	{hx("5849ab6d8beabd6e4d09e5a3b88c089a"), false, "strongSwan 4.1.3", "strongSwan 4.1.3", ""},
	{hx("312f9cb1a6b90e19de7528c904ac3087"), false, "strongSwan 4.1.4", "strongSwan 4.1.4", ""},
	{hx("bf0fbf7306ebb7827042d893539886e2"), false, "strongSwan 4.1.5", "strongSwan 4.1.5", ""},
	{hx("d19683368af4b0edc21ccde982b1d1b0"), false, "strongSwan 4.1.6", "strongSwan 4.1.6", ""},
	{hx("ea840aa4dfc9712d6c32b5a16eb329a3"), false, "strongSwan 4.1.7", "strongSwan 4.1.7", ""},
	{hx("66a2045507c119da78a4666259cdea48"), false, "strongSwan 4.1.8", "strongSwan 4.1.8", ""},
	{hx("78fdd287def01a3f074b5369eab4fd1c"), false, "strongSwan 4.1.9", "strongSwan 4.1.9", ""},
	{hx("bf3a89ae5bef8e72d44dac8bb88d7d5f"), false, "strongSwan 4.1.10", "strongSwan 4.1.10", ""},
	{hx("b7bd9f2f978e3259a7aa9f7a1396ad6c"), false, "strongSwan 4.1.11", "strongSwan 4.1.11", ""},
	{hx("9f68901325a972894335302a9531ab9f"), false, "strongSwan 4.2.0", "strongSwan 4.2.0", ""},
	{hx("bab253f4cb10a8108a7c927c56c87886"), false, "strongSwan 4.2.1", "strongSwan 4.2.1", ""},
	{hx("2a517d0d23c37d08bce7c292a0217b39"), false, "strongSwan 4.2.2", "strongSwan 4.2.2", ""},
	{hx("2d1f406118fbd5d28474791ffa00488a"), false, "strongSwan 4.2.3", "strongSwan 4.2.3", ""},
	{hx("32f0e9b9c06dfe8c9ad5599a636971a1"), false, "strongSwan 2.8.0", "strongSwan 2.8.0", ""},
	{hx("e37f2d5ba89a62cd202ee27dac06c8a8"), false, "strongSwan 2.8.1", "strongSwan 2.8.1", ""},
	{hx("299932277b7dfe382ce23465333a7d23"), false, "strongSwan 2.8.2", "strongSwan 2.8.2", ""},
	{hx("fb4641ad0eeb2a34491d15f4eff51063"), false, "strongSwan 2.8.3", "strongSwan 2.8.3", ""},
	{hx("76c72bfd398424dd001b86d0012fe061"), false, "strongSwan 2.8.4", "strongSwan 2.8.4", ""},
	{hx("4c7efa31b39e510432a317570d97bbb9"), false, "strongSwan 2.8.5", "strongSwan 2.8.5", ""},
	{hx("fe3f49706e26a9fb36a87bfce9ea36ce"), false, "strongSwan 2.8.6", "strongSwan 2.8.6", ""},
	{hx("3a0d4e7ca4e492ed4dfe476d1ac6018b"), false, "strongSwan 2.8.7", "strongSwan 2.8.7", ""},
	{hx("8c4a3bcb729b11f703d22a5b39640ca8"), false, "strongSwan 2.8.8", "strongSwan 2.8.8", ""},
	{hx("07fa128e4754f9447b1dd46374eef360"), false, "strongSwan 2.7.0", "strongSwan 2.7.0", ""},
	{hx("8134878582121785ba65ea345d6ba724"), false, "strongSwan 2.7.1", "strongSwan 2.7.1", ""},
	{hx("a194e2aaddd0bafb95253dd96dc733eb"), false, "strongSwan 2.7.2", "strongSwan 2.7.2", ""},
	{hx("7f50cc4ebf04c2d9da73abfd69b77aa2"), false, "strongSwan 2.7.3", "strongSwan 2.7.3", ""},
	{hx("3f3266499ffdbd85950e702298062844"), false, "strongSwan 2.6.0", "strongSwan 2.6.0", ""},
	{hx("66afbc12bbfe6ce108b1f69f4bc917b7"), false, "strongSwan 2.6.1", "strongSwan 2.6.1", ""},
	{hx("5b1cd6fe7d050eda6c93871c107db3d2"), false, "strongSwan 2.6.2", "strongSwan 2.6.2", ""},
	{hx("b2860e7837f711bef3d0eeb106872ded"), false, "strongSwan 2.6.3", "strongSwan 2.6.3", ""},
	{hx("b927f95219a0fe3600dba3c1182ae55f"), false, "strongSwan 2.6.4", "strongSwan 2.6.4", ""},
	{hx("9eb3d907ed7ada4e3cbcacb917abc8e4"), false, "strongSwan 2.5.0", "strongSwan 2.5.0", ""},
	{hx("9a4a4648f60f8eda7cfcbfe271ee5b7d"), false, "strongSwan 2.5.1", "strongSwan 2.5.1", ""},
	{hx("861ce5eb72164b190e9e629a31cf4901"), false, "strongSwan 2.5.2", "strongSwan 2.5.2", ""},
	{hx("df5b1f0f1d5679d9f8512b16c55a6065"), false, "strongSwan 2.5.3", "strongSwan 2.5.3", ""},
	{hx("7a6bf5b7df89642a75a78ef7d657c1c0"), false, "strongSwan 2.5.4", "strongSwan 2.5.4", ""},
	{hx("3f267ed621ada7ee6c7d8893ccb0b14b"), false, "strongSwan 2.5.5", "strongSwan 2.5.5", ""},
	{hx("3c5eba3d8564928e32ae43c3d9924dee"), false, "strongSwan 2.5.6", "strongSwan 2.5.6", ""},
	{hx("1f4442296b83d7e33a8b45209ba0e590"), false, "strongSwan 2.5.7", "strongSwan 2.5.7", ""},
	{hx("e829c88149bab3c0cee85da60e18ae9b"), false, "strongSwan 2.4.0", "strongSwan 2.4.0", ""},
	{hx("75b0653cb281eb26d31ede38c8e1e228"), false, "strongSwan 2.4.1", "strongSwan 2.4.1", ""},
	{hx("e7a3fd0c6d771a8f1b8a86a4169c9ea4"), false, "strongSwan 2.4.2", "strongSwan 2.4.2", ""},
	{hx("982b7a063a33c143a8eadc88249f6bcc"), false, "strongSwan 2.4.3", "strongSwan 2.4.3", ""},
	{hx("485a70361b4433b31dea1c6be0df243e"), false, "strongSwan 2.4.4", "strongSwan 2.4.4", ""},
	{hx("b8f92b2fa2d3fe5fe158344bda1cc6ae"), false, "strongSwan 2.3.0", "strongSwan 2.3.0", ""},
	{hx("f697c1afcc2ec8ddcdf99dc7af03a67f"), false, "strongSwan 2.3.1", "strongSwan 2.3.1", ""},
	{hx("42a4834c92ab9a7777063afa254bcb69"), false, "strongSwan 2.3.2", "strongSwan 2.3.2", ""},
	{hx("85b6cbec480d5c8cd9882c825ac2c244"), false, "strongSwan 2.2.0", "strongSwan 2.2.0", ""},
	{hx("d9118b1e9de5efced9cc9d883f2168ff"), false, "strongSwan 2.2.1", "strongSwan 2.2.1", ""},
	{hx("99dc7cc823376b3b33d04357896ae07b"), false, "strongSwan 2.2.2", "strongSwan 2.2.2", ""},
	// FreeS/WAN, Openswan and libreswan. "OE" plus 10 bytes of MD5 with bit 7 cleared and bit 6 set (libreswan VID_FSWAN_HASH; ike-scan lists the "Linux FreeS/WAN 2.0x" ones); libreswan substrings OE, OEN, OE-Libreswan-, OSW.
	{"OE", true, "Openswan", "", ""},
	{"OEN", true, "libreswan 3.0-3.5", "", ""},
	{"OE-Libreswan-", true, "libreswan", "", ""},
	{"OSW", true, "Openswan (Xelerance)", "", ""},
	{hx("4f45486b7d44784d42676b5d"), false, "Linux FreeS/WAN 2.00", "", "Linux FreeS/WAN 2.00"},
	{hx("4f457c4f547e6e615b426e56"), false, "Linux FreeS/WAN 2.01", "", "Linux FreeS/WAN 2.01"},
	{hx("4f456c6b44696d7f6b4c4e60"), false, "Linux FreeS/WAN 2.02", "", "Linux FreeS/WAN 2.02"},
	{hx("4f45566671474962734e6264"), false, "Linux FreeS/WAN 2.03", "", "Linux FreeS/WAN 2.03"},
	{hx("4f45704f736579505c6e5f6d"), false, "Linux FreeS/WAN 2.04", "", "Linux FreeS/WAN 2.04"},
	{hx("4f457271785f4c7e496f4d54"), false, "Linux FreeS/WAN 2.05", "", "Linux FreeS/WAN 2.05"},
	{hx("4f457e4c466e5d427c5c6b52"), false, "Linux FreeS/WAN 2.06", "", "Linux FreeS/WAN 2.06"},
	{hx("4f4544765b576b4045417447"), false, "FreeS/WAN 2.00 (PLUTO_SENDS_VENDORID)", "", "Linux FreeS/WAN 2.00 PLUTO_SENDS_VENDORID"},
	{hx("4f45774e4a4352716e45486f"), false, "FreeS/WAN 2.00 (X.509-1.3.1)", "", "Linux FreeS/WAN 2.00 X.509-1.3.1 PLUTO_SENDS_VENDORID"},
	{hx("4f45575d6a5343424674796e"), false, "FreeS/WAN 2.00 (X.509-1.3.1 + LDAP)", "", "Linux FreeS/WAN 2.00 X.509-1.3.1 LDAP PLUTO_SENDS_VENDORID"},
	{hx("4f4548724b6e5e68557c604f"), false, "Openswan 2.2.0", "", "Openswan 2.2.0"},
	{hx("4f4572696f5c77557f746249"), false, "Openswan 2.3.0", "", "Openswan 2.3.0"},
	// SSH Communications Security: MD5 of the product string (Wireshark, libreswan, ike-scan).
	{hx("fbf47614984031fa8e3bb6198089b223"), false, "SSH IPSEC Express 1.1.0", "Ssh Communications Security IPSEC Express version 1.1.0", ""},
	{hx("1952dc91ac20f646fb01cf42a33aee30"), false, "SSH IPSEC Express 1.1.1", "Ssh Communications Security IPSEC Express version 1.1.1", ""},
	{hx("e8bffa643e5c8f2cd10fda7370b6ebe5"), false, "SSH IPSEC Express 1.1.2", "Ssh Communications Security IPSEC Express version 1.1.2", ""},
	{hx("c1111b2dee8cbc3d620573ec57aab9cb"), false, "SSH IPSEC Express 1.2.1", "Ssh Communications Security IPSEC Express version 1.2.1", ""},
	{hx("09ec27bfbc09c75823cfecbffe565a2e"), false, "SSH IPSEC Express 1.2.2", "Ssh Communications Security IPSEC Express version 1.2.2", ""},
	{hx("7f21a596e4e318f0b2f4944c2384cb84"), false, "SSH IPSEC Express 2.0.0", "SSH Communications Security IPSEC Express version 2.0.0", ""},
	{hx("2836d1fd2807bc9e5ae30786320451ec"), false, "SSH IPSEC Express 2.1.0", "SSH Communications Security IPSEC Express version 2.1.0", ""},
	{hx("a68de756a9c5229bae66498040951ad5"), false, "SSH IPSEC Express 2.1.1", "SSH Communications Security IPSEC Express version 2.1.1", ""},
	{hx("3f2372867e237c1cd8250a75559cae20"), false, "SSH IPSEC Express 2.1.2", "SSH Communications Security IPSEC Express version 2.1.2", ""},
	{hx("0e58d5774df602007d0b02443660f7eb"), false, "SSH IPSEC Express 3.0.0", "SSH Communications Security IPSEC Express version 3.0.0", ""},
	{hx("f5ce31ebc210f44350cf71265b57380f"), false, "SSH IPSEC Express 3.0.1", "SSH Communications Security IPSEC Express version 3.0.1", ""},
	{hx("f64260af2e2742daddd56987068a99a0"), false, "SSH IPSEC Express 4.0.0", "SSH Communications Security IPSEC Express version 4.0.0", ""},
	{hx("7a54d3bdb3b1e6d923892064be2d981c"), false, "SSH IPSEC Express 4.0.1", "SSH Communications Security IPSEC Express version 4.0.1", ""},
	{hx("9aa1f3b43472a45d5f506aeb260cf214"), false, "SSH IPSEC Express 4.1.0", "SSH Communications Security IPSEC Express version 4.1.0", ""},
	{hx("89f7b760d86b012acf263382394d962f"), false, "SSH IPSEC Express 4.1.1", "SSH Communications Security IPSEC Express version 4.1.1", ""},
	{hx("6880c7d026099114e486c55430e7abee"), false, "SSH IPSEC Express 4.2.0", "SSH Communications Security IPSEC Express version 4.2.0", ""},
	{hx("b037a21aceccb5570f602546f97bde8c"), false, "SSH IPSEC Express 5.0", "SSH Communications Security IPSEC Express version 5.0", ""},
	{hx("2b2dad97c4d140930053287f996850b0"), false, "SSH IPSEC Express 5.0.0", "SSH Communications Security IPSEC Express version 5.0.0", ""},
	{hx("45e17f3abe93944cb202910c59ef806b"), false, "SSH IPSEC Express 5.1.0", "SSH Communications Security IPSEC Express version 5.1.0", ""},
	{hx("5925859f7377ed7816d2fb81c01fa551"), false, "SSH IPSEC Express 5.1.1", "SSH Communications Security IPSEC Express version 5.1.1", ""},
	{hx("054182a07c7ae206f9d2cf9d2432c482"), false, "SSH Sentinel", "SSH Sentinel", ""},
	{hx("b91623e693ca18a54c6a2778552305e8"), false, "SSH Sentinel 1.1", "SSH Sentinel 1.1", ""},
	{hx("5430888de01a31a6fa8f60224e449958"), false, "SSH Sentinel 1.2", "SSH Sentinel 1.2", ""},
	{hx("7ee5cb85f71ce259c94a5c731ee4e752"), false, "SSH Sentinel 1.3", "SSH Sentinel 1.3", ""},
	{hx("63d9a1a7009491b5a0a6fdeb2a8284f0"), false, "SSH Sentinel 1.4", "SSH Sentinel 1.4", ""},
	{hx("eb4b0d96276b4e220ad16221a7b2a5e6"), false, "SSH Sentinel 1.4.1", "SSH Sentinel 1.4.1", ""},
	{hx("37eba0c4136184e7daf8562a77060b4a"), false, "SSH QuickSec 0.9.0", "SSH Communications Security QuickSec 0.9.0", ""},
	{hx("5d72925e55948a9661a7fc48fdec7ff9"), false, "SSH QuickSec 1.1.0", "SSH Communications Security QuickSec 1.1.0", ""},
	{hx("777fbf4c5af6d1cdd4b895a05bf82594"), false, "SSH QuickSec 1.1.1", "SSH Communications Security QuickSec 1.1.1", ""},
	{hx("2cdf08e712ede8a5978761267cd19b91"), false, "SSH QuickSec 1.1.2", "SSH Communications Security QuickSec 1.1.2", ""},
	{hx("59e454a8c2cf02a34959121f1890bc87"), false, "SSH QuickSec 1.1.3", "SSH Communications Security QuickSec 1.1.3", ""},
	// Other drafts and implementations (Wireshark, libreswan, ike-scan).
	{hx("ba290499c24e84e53a1d83a05e5f00c9"), false, "IKE Challenge/Response", "IKE Challenge/Response for Authenticated Cryptographic Keys", ""},
	{hx("0d33611a5d521b5e3c9c03d2fc107e12"), false, "IKE Challenge/Response\\n", "IKE Challenge/Response for Authenticated Cryptographic Keys\n", ""},
	{hx("ad3251042cdc4652c9e0734ce5de4c7d"), false, "IKE Challenge/Response (Revised)", "IKE Challenge/Response for Authenticated Cryptographic Keys (Revised)", ""},
	{hx("13f11823f966fa91900f024ba66a86ba"), false, "IKE Challenge/Response (Revised)\\n", "IKE Challenge/Response for Authenticated Cryptographic Keys (Revised)\n", ""},
	{hx("325df29a2319f2dd"), false, "draft-ietf-ipsec-antireplay-00", "", ""},
	{hx("8db7a41811221660"), false, "draft-ietf-ipsec-heartbeats-00", "", ""},
	{"HeartBeat_Notify", true, "Heartbeat Notify", "", ""},
	{hx("2d7922c6b301d9b0e1342739e9cfbbd5"), false, "DWR: Delete with reason", "", ""},
	{hx("9aa1f3b43472a45d5f506aeb26c0f214"), false, "CyberGuard", "", ""},
	{hx("f14b94b7bff1fef02773b8c49feded26"), false, "Shrew Soft", "", ""},
	{hx("101fb0b35c5a4f4c08b919f1cb9777b0"), false, "NCP client", "", ""},
	{hx("8404adf9cda05760b2ca292e4bff537b"), false, "Sidewinder", "", ""},
	{hx("ca3e2b854ba8030017dc1023a4fde2041f9f7463"), false, "Aruba Networks Remote AP", "", ""},
	{hx("3c8e70bdf9c7d74add53e4100915dc2e4bb51274"), false, "Aruba Networks Controller", "", ""},
	{hx("88f0e3149b3fa48b05aa7f685f0b766be186ccb8"), false, "Aruba Networks VIA Client", "", ""},
	{"VIA Auth Profile : ", true, "Aruba Networks VIA Auth Profile", "", ""},
	{"TIMESTEP", true, "Timestep", "", ""},
	{"OpenPGP", true, "OpenPGP", "", ""},
	{"Opportunistic IPsec", false, "Opportunistic IPsec", "", ""},
	{"IKEv2", false, "CAN-IKEv2 (obsolete)", "", ""},
	{hx("08db45e6cb01f80bb576e9a78c0f54e1300b8881"), true, "ELVIS-PLUS Zastava", "", ""},
	{"OpenIKED", true, "OpenIKED", "", ""},
	{"LVG9.2.245:BRICK:9.2.245", false, "Lucent VPN Gateway 9", "", ""},
	{"LVC7.1.2:XP", false, "Lucent VPN Client 7", "", ""},
	{hx("424e4553000000"), true, "Nortel Contivity", "", ""},
	{"Mac OSX 10.x", true, "Mac OS X 10.x", "", ""},
}

// vendorIDIndex maps the raw bytes of every entry to its index in vendorIDs;
// vendorIDLens holds the distinct entry lengths, longest first.
var vendorIDIndex, vendorIDLens = indexVendorIDs(vendorIDs)

func indexVendorIDs(tab []vendorID) (map[string]int, []int) {
	idx := make(map[string]int, len(tab))
	seen := map[int]bool{}
	var lens []int
	for i, e := range tab {
		idx[e.vid] = i
		if !seen[len(e.vid)] {
			seen[len(e.vid)] = true
			lens = append(lens, len(e.vid))
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(lens)))
	return idx, lens
}

// vendorIDName names the contents of a Vendor ID payload; "" when unknown.
// An exact entry matches only a VID of the same length, a prefix entry any
// VID that starts with it; the longest match wins.
func vendorIDName(vid []byte) string {
	for _, n := range vendorIDLens {
		if n > len(vid) {
			continue
		}
		i, ok := vendorIDIndex[string(vid[:n])]
		if !ok {
			continue
		}
		if e := vendorIDs[i]; e.prefix || n == len(vid) {
			return e.name
		}
	}
	return ""
}
