package analysisview

import (
	"strings"

	"github.com/ipsecpcap/ipsecpcap/pipeline"
)

// InputOf describes a run's captures for the views: one, or several as
// Points with their totals.
func InputOf(res *pipeline.Result) Input {
	one := func(ri pipeline.Input) Input {
		in := Input{Name: ri.Name, Size: ri.Size, SHA256: ri.SHA256, Packets: ri.Packets, Drops: ri.Drops, Point: ri.Point}
		if len(ri.Files) > 0 || len(res.Inputs) > 1 {
			in.Grouping = ri.Grouping // one file alone needs no reason
		}
		if ri.ReadError != nil {
			in.ReadError = ri.ReadError.Error()
		}
		for _, f := range ri.Files {
			fd := FileDoc{Name: f.Name, Size: f.Size, SHA256: f.SHA256, Packets: f.Packets, FirstFrame: f.FirstFrame, LastFrame: f.LastFrame}
			if f.ReadError != nil {
				fd.ReadError = f.ReadError.Error()
			}
			in.Files = append(in.Files, fd)
		}
		return in
	}
	in := one(res.Input)
	if len(res.Inputs) > 1 {
		var names []string
		in.Packets, in.Size, in.Drops = 0, 0, 0
		for _, ri := range res.Inputs {
			p := one(ri)
			in.Points = append(in.Points, p)
			names = append(names, ri.Name)
			in.Packets += ri.Packets
			in.Size += ri.Size
			in.Drops += ri.Drops
		}
		in.Name, in.SHA256, in.ReadError = strings.Join(names, " + "), "", ""
		in.Point, in.Grouping, in.Files = "", "", nil
	}
	return in
}
