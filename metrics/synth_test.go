package metrics

import (
	"net/netip"
	"time"

	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
	"github.com/ipsecpcap/ipsecpcap/diagnose"
)

// synthAnalysis builds an analysis of n IKEv2 tunnels, each with one IKE
// SA (one retransmitted request), one child SA and ESP both ways, between
// peers in 198.18.0.0/15: what a sensor on a big concentrator's mirror port
// holds. Every tenth tunnel is down and every hundredth failed with a
// finding; every tunnel has rekeyed once.
func synthAnalysis(n int) (*correlate.Analysis, []diagnose.Finding) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	a := &correlate.Analysis{FirstTime: t0, LastTime: t0.Add(time.Hour)}
	var fs []diagnose.Finding
	frame := 1
	for i := 0; i < n; i++ {
		ip := func(net byte) netip.Addr { return netip.AddrFrom4([4]byte{198, net, byte(i >> 8), byte(i)}) }
		ini, res := netip.AddrPortFrom(ip(18), 500), netip.AddrPortFrom(ip(19), 500)
		id := i + 1
		msg := func(resp bool) *correlate.Message {
			m := &correlate.Message{Frames: []int{frame}, Times: []time.Time{t0}, Sent: 1, Response: resp, Src: ini, Dst: res}
			frame++
			return m
		}
		req := msg(false)
		req.Frames, req.Times, req.Sent = append(req.Frames, frame), append(req.Times, t0.Add(time.Second)), 2
		frame++
		sa := &correlate.IKESA{ID: id, Version: 2, InitiatorSPI: isakmp.SPI{1, byte(i >> 8), byte(i)}, ResponderSPI: isakmp.SPI{2, byte(i)},
			Initiator: ini, Responder: res, State: correlate.StateEstablished, First: t0, Last: t0.Add(time.Hour),
			Exchanges: []*correlate.Exchange{{Type: 34, Phase: 1, Messages: []*correlate.Message{req, msg(true)}}},
			Tunnels:   []int{id}}
		sa.Children = []correlate.Child{
			{ID: 2*id - 1, Kind: correlate.ChildInitial, State: correlate.StateRekeyed, Tunnel: id, ReplacedBy: 2 * id},
			{ID: 2 * id, Kind: correlate.ChildRekey, State: correlate.StateEstablished, Tunnel: id, Replaces: 2*id - 1, ESP: []int{2 * i, 2*i + 1}},
		}
		a.IKESAs = append(a.IKESAs, sa)
		for d, pair := range [][2]netip.AddrPort{{ini, res}, {res, ini}} {
			a.ESP = append(a.ESP, &correlate.ESPFlow{SPI: uint32(4*i + d + 1), Src: pair[0], Dst: pair[1], Packets: 1000 + uint64(d),
				Bytes: 100000, Lost: uint64(d), Replays: 0, First: t0, Last: t0.Add(time.Duration(i) * time.Millisecond), FirstFrame: frame, LastFrame: frame + 1, IKESA: id})
			frame += 2
		}
		a.Peers = append(a.Peers, &correlate.PeerPair{A: ini.Addr(), B: res.Addr(), IKESAs: []int{id}, ESP: []int{2 * i, 2*i + 1}})
		t := &correlate.Tunnel{ID: id, A: ini.Addr(), B: res.Addr(), IKESAs: []int{id}, Children: []int{2*id - 1, 2 * id},
			ESP: []int{2 * i, 2*i + 1}, State: correlate.TunnelUp}
		switch {
		case i%100 == 99:
			t.State = correlate.TunnelFailed
			fs = append(fs, diagnose.Finding{Code: diagnose.P1AuthFailed, Severity: diagnose.Error, Certainty: diagnose.Certain, IKESA: id, Tunnel: id, Frames: []int{frame - 3}})
		case i%10 == 9:
			t.State = correlate.TunnelDown
		}
		a.Tunnels = append(a.Tunnels, t)
	}
	a.IKEPackets, a.ESPPackets = frame/2, frame/2
	return a, fs
}
