package report

import (
	"io"

	"github.com/ipsecpcap/ipsecpcap/view/analysisview"
)

// jsonReport is the analysis document of `ipsecpcap analyze --json`
// (docs/analysis-schema.md), limited to the selected tunnels, with the chain
// of custody and the evidence slice added as new top-level fields.
type jsonReport struct {
	analysisview.Document
	Custody Custody `json:"custody"`
	Slice   *Slice  `json:"slice,omitempty"`
	// Slices are the slices of a run over several captures, one per
	// capture.
	Slices []*Slice `json:"slices,omitempty"`
}

func (r *Report) writeJSON(w io.Writer) error {
	d := jsonReport{Document: r.document(), Custody: r.Custody, Slice: r.Slice, Slices: r.Slices}
	if d.Custody.KeyFiles == nil {
		d.Custody.KeyFiles = []string{}
	}
	// WriteJSON takes a Document; encode the wrapper the same way.
	return writeIndented(w, d)
}
