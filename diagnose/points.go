package diagnose

import (
	"fmt"

	"github.com/ipsecpcap/ipsecpcap/correlate"
)

// In a run over captures from several points each point has its own ESP
// flows. The ESP rules ask questions of one point's view ("does ESP come
// back?"), so they run once per point, on that point's flows with their
// times put on the first capture's clock; a finding that more than one
// point shows is reported once, from the lowest-numbered point. (The
// snapshot's times are all on the first capture's clock already.)
func espFindingsAtPoints(a *correlate.Analysis) []Finding {
	if len(a.Captures) < 2 {
		return espFindings(a)
	}
	var fs []Finding
	seen := map[string]bool{}
	for k := 1; k <= len(a.Captures); k++ {
		for _, f := range espFindings(espAt(a, k)) {
			key := fmt.Sprint(f.Code, f.IKESA)
			if f.IKESA == 0 || f.Code == ESPSeqGap || f.Code == ESPReplay {
				key += f.Summary
			}
			if seen[key] {
				continue
			}
			seen[key] = true
			f.Summary = fmt.Sprintf("at %s: %s", a.PointName(k), f.Summary)
			fs = append(fs, f)
		}
	}
	return fs
}

// espAt is the analysis as capture point k saw ESP: only its flows,
// linked to the same child SAs.
func espAt(a *correlate.Analysis, k int) *correlate.Analysis {
	view := *a
	var remap func([]int) []int
	view.ESP, remap = a.ESPSubset(func(f *correlate.ESPFlow) bool { return f.Capture == k })
	view.Peers = make([]*correlate.PeerPair, len(a.Peers))
	for i, pp := range a.Peers {
		cp := *pp
		cp.ESP = remap(pp.ESP)
		view.Peers[i] = &cp
	}
	view.IKESAs = make([]*correlate.IKESA, len(a.IKESAs))
	for i, sa := range a.IKESAs {
		cp := *sa
		cp.Children = make([]correlate.Child, len(sa.Children))
		for j, ch := range sa.Children {
			ch.ESP = remap(ch.ESP)
			cp.Children[j] = ch
		}
		view.IKESAs[i] = &cp
	}
	view.Tunnels = make([]*correlate.Tunnel, len(a.Tunnels))
	for i, t := range a.Tunnels {
		cp := *t
		cp.ESP = remap(t.ESP)
		view.Tunnels[i] = &cp
	}
	view.LastTime = a.Captures[k-1].Last
	return &view
}
