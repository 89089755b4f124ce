package correlate

// ESPSubset returns the flows of a that keep accepts, in their order, and
// a function mapping a list of indexes into a.ESP (as PeerPair.ESP and
// Child.ESP hold them) to indexes into the subset, without the flows left
// out: what a view of part of an analysis (one capture point, some
// tunnels) needs to stay consistent.
func (a *Analysis) ESPSubset(keep func(*ESPFlow) bool) ([]*ESPFlow, func([]int) []int) {
	var flows []*ESPFlow
	index := map[int]int{}
	for i, f := range a.ESP {
		if keep(f) {
			index[i] = len(flows)
			flows = append(flows, f)
		}
	}
	return flows, func(in []int) []int {
		var out []int
		for _, i := range in {
			if j, ok := index[i]; ok {
				out = append(out, j)
			}
		}
		return out
	}
}
