package decode

import (
	"cmp"
	"fmt"
	"slices"
)

// What a capture held instead of IPsec: when a capture has no IKE and no
// ESP at all (a capture filter, the wrong interface, IKE on another port),
// the frames it did hold tell the engineer why. Frames without IPsec are
// tallied by what they carried, at the deepest layer read.

// Traffic is a kind of frame without IPsec and how many there were.
type Traffic struct {
	// Layer is "ethertype", "ip" (an IP protocol number), "udp" or "tcp"
	// (the lower of the two ports, most often the service's).
	Layer  string
	Value  int
	Frames int
}

// String is how the hint names it: "UDP port 53", "IP protocol 47",
// "EtherType 0x0806".
func (t Traffic) String() string {
	switch t.Layer {
	case "udp":
		return fmt.Sprintf("UDP port %d", t.Value)
	case "tcp":
		return fmt.Sprintf("TCP port %d", t.Value)
	case "ip":
		if t.Value == 51 {
			return "AH (IP protocol 51)"
		}
		return fmt.Sprintf("IP protocol %d", t.Value)
	case "ethertype":
		return fmt.Sprintf("EtherType 0x%04x", t.Value)
	}
	return "other"
}

// trafficKey packs a layer and a value; what a frame carried is noted in
// its frame context as it is read, and counted only if it held no IPsec.
type trafficKey uint32

const (
	layerEther trafficKey = iota + 1
	layerIP
	layerUDP
	layerTCP
)

func traffic(layer trafficKey, v int) trafficKey { return layer<<24 | trafficKey(v&0xffffff) }

// maxTrafficKinds bounds the tally: past it, kinds are counted as "other".
const maxTrafficKinds = 256

// tally counts a frame without IPsec.
func (d *Decoder) tally(k trafficKey) {
	if d.traffic == nil {
		d.traffic = map[trafficKey]int{}
	}
	if _, ok := d.traffic[k]; !ok && len(d.traffic) >= maxTrafficKinds {
		k = 0
	}
	d.traffic[k]++
}

// Traffic is the frames without IPsec by what they carried, most first.
func (d *Decoder) Traffic() []Traffic {
	var out []Traffic
	for k, n := range d.traffic {
		t := Traffic{Value: int(k & 0xffffff), Frames: n}
		switch k >> 24 {
		case layerEther:
			t.Layer = "ethertype"
		case layerIP:
			t.Layer = "ip"
		case layerUDP:
			t.Layer = "udp"
		case layerTCP:
			t.Layer = "tcp"
		default:
			t.Layer, t.Value = "other", 0
		}
		out = append(out, t)
	}
	SortTraffic(out)
	return out
}

// HasAH reports whether a tally counts AH: IPsec, though neither IKE nor
// ESP.
func HasAH(ts []Traffic) bool {
	for _, t := range ts {
		if t.Layer == "ip" && t.Value == 51 {
			return true
		}
	}
	return false
}

// SortTraffic orders a tally most frames first (then by name, for stable
// output).
func SortTraffic(ts []Traffic) {
	slices.SortFunc(ts, func(a, b Traffic) int {
		if c := cmp.Compare(b.Frames, a.Frames); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Layer, b.Layer); c != 0 {
			return c
		}
		return cmp.Compare(a.Value, b.Value)
	})
}

// MergeTraffic adds tallies of several decoders.
func MergeTraffic(tallies ...[]Traffic) []Traffic {
	type key struct {
		layer string
		value int
	}
	sum := map[key]int{}
	for _, ts := range tallies {
		for _, t := range ts {
			sum[key{t.Layer, t.Value}] += t.Frames
		}
	}
	out := make([]Traffic, 0, len(sum))
	for k, n := range sum {
		out = append(out, Traffic{Layer: k.layer, Value: k.value, Frames: n})
	}
	SortTraffic(out)
	return out
}
