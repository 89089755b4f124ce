// Package report turns an analysis into something an engineer attaches to a
// ticket: Markdown with Mermaid sequence diagrams, one self-contained HTML
// file with inline SVG ladder diagrams, 100-column text, or the analysis JSON
// document — each with the chain of custody of the capture, optionally
// limited to some tunnels (IKE SAs), with an evidence slice of the capture
// and with the IP addresses redacted.
//
// It formats what pipeline, correlate and diagnose produced; the only packets
// it reads are the ones it copies into a slice.
package report

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/diagnose"
	"github.com/ipsecpcap/ipsecpcap/pipeline"
	"github.com/ipsecpcap/ipsecpcap/view/analysisview"
)

// Formats.
const (
	FormatMarkdown = "md"
	FormatHTML     = "html"
	FormatText     = "text"
	FormatJSON     = "json"
)

// Formats lists the accepted formats.
var Formats = []string{FormatMarkdown, FormatHTML, FormatText, FormatJSON}

// Options configure a report.
type Options struct {
	// Tunnel selects IKE SAs (see Select); empty selects all.
	Tunnel string
	// Redact replaces every IP address consistently.
	Redact bool
	// KeyFiles are the key files used; only their base names are reported.
	KeyFiles []string
	// Version is the tool's version.
	Version string
	// Now is the analysis time (injected so that golden files are stable).
	Now time.Time
}

// Custody is the chain of custody of the capture behind a report.
type Custody struct {
	Name    string `json:"name"`
	Size    int64  `json:"size"`
	SHA256  string `json:"sha256"`
	Packets int    `json:"packets"`
	// FirstTime and LastTime are the first and last IPsec packet's times.
	FirstTime    string   `json:"first_time,omitempty"`
	LastTime     string   `json:"last_time,omitempty"`
	ReadError    string   `json:"read_error,omitempty"`
	Tool         string   `json:"tool"`
	ToolVersion  string   `json:"tool_version"`
	AnalysisTime string   `json:"analysis_time"`
	KeyFiles     []string `json:"key_files"`
	Redacted     bool     `json:"redacted"`
	// Selection is the --tunnel selector and the IKE SAs it selected.
	Selection string `json:"selection,omitempty"`
	Selected  []int  `json:"selected_ike_sas,omitempty"`
	// Captures lists every capture of a run over several (absent for one):
	// Name, Size and Packets above are then their names joined with " + ",
	// their total size and their total frames, and SHA256 is empty.
	Captures []CaptureCustody `json:"captures,omitempty"`
	// Logs are the gateway logs read (--log) and how they aligned.
	Logs []LogCustody `json:"logs,omitempty"`
	// Point, Grouping and Files describe a capture point read from
	// several files (a rotated capture): each file's own size and digest.
	Point    string                 `json:"point,omitempty"`
	Grouping string                 `json:"grouping,omitempty"`
	Files    []analysisview.FileDoc `json:"files,omitempty"`
}

// CaptureCustody is one capture of a run over several capture points.
type CaptureCustody struct {
	Capture   int    `json:"capture"` // frame IDs: capture × 2^40 + frame
	Name      string `json:"name"`
	Size      int64  `json:"size"`
	SHA256    string `json:"sha256"`
	Packets   int    `json:"packets"`
	ReadError string `json:"read_error,omitempty"`
	Drops     uint64 `json:"drops,omitempty"`
	// FirstTime and LastTime are its first and last IPsec packet's times
	// on its own clock.
	FirstTime string `json:"first_time,omitempty"`
	LastTime  string `json:"last_time,omitempty"`
	// OffsetSeconds is its clock minus the first capture's, estimated from
	// OffsetSamples packets seen at both (0 samples: unknown);
	// PathDelaySeconds is the one-way delay between the two points.
	OffsetSeconds    float64 `json:"offset_seconds"`
	OffsetSamples    int     `json:"offset_samples"`
	PathDelaySeconds float64 `json:"path_delay_seconds,omitempty"`
	// Point, Grouping and Files as in Custody.
	Point    string                 `json:"point,omitempty"`
	Grouping string                 `json:"grouping,omitempty"`
	Files    []analysisview.FileDoc `json:"files,omitempty"`
}

// Slice describes an evidence slice written next to the report.
type Slice struct {
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	// Frames are the original frame numbers: slice frame i+1 is Frames[i]
	// (frame IDs in a run over several captures).
	Frames []int `json:"original_frames"`
	// Capture and Source name the capture the slice was cut from, in a
	// run over several (one slice per capture).
	Capture int    `json:"capture,omitempty"`
	Source  string `json:"source,omitempty"`
	// EndMarker is the original frame of the capture's last IPsec packet,
	// kept (though it may belong to another tunnel) so that the slice ends
	// when the capture did: unanswered requests are told from ones cut off
	// by the end of the capture by the time that follows them.
	EndMarker int `json:"end_marker,omitempty"`
}

// Report is an analysis ready to be written in any format.
type Report struct {
	Custody  Custody
	Input    analysisview.Input
	Analysis *correlate.Analysis // limited to the selected tunnels
	Findings []diagnose.Finding  // idem
	Slice    *Slice
	// Slices are the slices of a run over several captures, one per
	// capture that holds packets of the tunnels.
	Slices    []*Slice
	endMarker int
	version   string
	red       *redactor
}

// New builds a report from a pipeline result.
func New(res *pipeline.Result, opt Options) (*Report, error) {
	a := res.Analysis
	in := analysisview.InputOf(res)
	r := &Report{Input: in, Analysis: a, Findings: res.Findings, version: opt.Version}
	c := Custody{Name: in.Name, Size: in.Size, SHA256: in.SHA256, Packets: in.Packets, ReadError: in.ReadError,
		Tool: "ipsecpcap", ToolVersion: opt.Version, AnalysisTime: opt.Now.UTC().Format(time.RFC3339), KeyFiles: []string{}, Redacted: opt.Redact}
	if !a.FirstTime.IsZero() {
		c.FirstTime, c.LastTime = a.FirstTime.UTC().Format(time.RFC3339Nano), a.LastTime.UTC().Format(time.RFC3339Nano)
	}
	c.Point, c.Grouping, c.Files = in.Point, in.Grouping, in.Files
	c.Captures = capturesCustody(res, in)
	c.Logs = analysisview.LogDocs(a)
	for _, k := range opt.KeyFiles {
		c.KeyFiles = append(c.KeyFiles, filepath.Base(k))
	}
	r.Input.KeyFiles = c.KeyFiles // input.key_files of the analysis document
	if opt.Tunnel != "" {
		ids, err := Select(a, opt.Tunnel)
		if err != nil {
			return nil, err
		}
		c.Selection, c.Selected = opt.Tunnel, ids
		r.Analysis, r.Findings = restrict(a, res.Findings, ids)
	}
	r.Custody = c
	if opt.Redact {
		// Seed the placeholders from the whole document so that every format
		// maps the same address to the same placeholder.
		var seed bytes.Buffer
		analysisview.WriteJSON(&seed, r.document())
		r.red = newRedactor()
		r.red.seed(seed.Bytes())
	}
	return r, nil
}

// capturesCustody lists the captures of a run over several, nil for one.
func capturesCustody(res *pipeline.Result, in analysisview.Input) []CaptureCustody {
	if len(res.Inputs) < 2 {
		return nil
	}
	a := res.Analysis
	var out []CaptureCustody
	for i, ri := range res.Inputs {
		cc := CaptureCustody{Capture: i + 1, Name: ri.Name, Size: ri.Size, SHA256: ri.SHA256, Packets: ri.Packets, Drops: ri.Drops}
		if i < len(in.Points) {
			p := in.Points[i]
			cc.Point, cc.Grouping, cc.Files = p.Point, p.Grouping, p.Files
		}
		if ri.ReadError != nil {
			cc.ReadError = ri.ReadError.Error()
		}
		if i < len(a.Captures) {
			k := a.Captures[i]
			cc.OffsetSeconds, cc.OffsetSamples, cc.PathDelaySeconds = k.Offset.Seconds(), k.Samples, k.PathDelay.Seconds()
			if !k.First.IsZero() {
				// Back on the capture's own clock, as its file has them.
				cc.FirstTime = k.First.Add(k.Offset).UTC().Format(time.RFC3339Nano)
				cc.LastTime = k.Last.Add(k.Offset).UTC().Format(time.RFC3339Nano)
			}
		}
		out = append(out, cc)
	}
	return out
}

// multi reports whether the report covers several captures.
func (r *Report) multi() bool { return len(r.Custody.Captures) > 1 }

// title names the capture(s): "gw1.pcap + gw2.pcap" for several.
func (r *Report) title() string {
	if !r.multi() {
		return filepath.Base(r.Custody.Name)
	}
	var names []string
	for _, c := range r.Custody.Captures {
		names = append(names, filepath.Base(c.Name))
	}
	return strings.Join(names, " + ")
}

// slices are the evidence slices written: one, or one per capture.
func (r *Report) slices() []*Slice {
	if r.Slice != nil {
		return []*Slice{r.Slice}
	}
	return r.Slices
}

// Failed reports whether a finding of severity error is in the report.
func (r *Report) Failed() bool {
	for _, f := range r.Findings {
		if f.Severity == diagnose.Error {
			return true
		}
	}
	return false
}

// Write writes the report in a format (md, html, text, json).
func (r *Report) Write(w io.Writer, format string) error {
	var b bytes.Buffer
	var err error
	switch format {
	case FormatMarkdown:
		r.writeMarkdown(&b)
	case FormatText:
		r.writeText(&b)
	case FormatHTML:
		err = r.writeHTML(&b)
	case FormatJSON:
		err = r.writeJSON(&b)
	default:
		return fmt.Errorf("unknown format %q (want one of %s)", format, strings.Join(Formats, ", "))
	}
	if err != nil {
		return err
	}
	out := b.Bytes()
	if r.red != nil && format != FormatText { // the text writer redacts as it wraps
		out = r.red.apply(out)
	}
	_, err = w.Write(out)
	return err
}

// Select returns the IDs of the IKE SAs a selector names: a comma-separated
// list of IKE SA IDs ("2" or "#2"), peer addresses (either gateway), IKE SPIs
// (16 hex digits, initiator's or responder's) or ESP SPIs (8 hex digits, with
// or without 0x: the IKE SA the flow is linked to).
func Select(a *correlate.Analysis, sel string) ([]int, error) {
	set := map[int]bool{}
	for item := range strings.SplitSeq(sel, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		matched := false
		if addr, err := netip.ParseAddr(item); err == nil {
			for _, sa := range a.IKESAs {
				if sa.Initiator.Addr() == addr || sa.Responder.Addr() == addr {
					set[sa.ID], matched = true, true
				}
				// The addresses other capture points saw (inside a NAT).
				for _, pt := range sa.Points {
					if pt.Initiator.Addr() == addr || pt.Responder.Addr() == addr {
						set[sa.ID], matched = true, true
					}
				}
			}
		} else if id, err := strconv.Atoi(strings.TrimPrefix(item, "#")); err == nil && len(item) < 8 {
			if a.IKESAByID(id) != nil {
				set[id], matched = true, true
			}
		} else {
			hex := strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(item, "0x"), "0X"))
			for _, sa := range a.IKESAs {
				if sa.InitiatorSPI.String() == hex || sa.ResponderSPI.String() == hex && !sa.ResponderSPI.IsZero() {
					set[sa.ID], matched = true, true
				}
			}
			if v, err := strconv.ParseUint(hex, 16, 32); err == nil && len(hex) <= 8 {
				for _, f := range a.ESP {
					if f.SPI == uint32(v) && f.IKESA != 0 {
						set[f.IKESA], matched = true, true
					}
				}
			}
		}
		if !matched {
			return nil, fmt.Errorf("--tunnel %q: no IKE SA matches (give an IKE SA number, a peer address, an IKE SPI or an ESP SPI)", item)
		}
	}
	if len(set) == 0 {
		return nil, fmt.Errorf("--tunnel %q selects nothing", sel)
	}
	ids := make([]int, 0, len(set))
	for id := range set {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, nil
}

// restrict limits an analysis and its findings to some IKE SAs: their peer
// pairs, their ESP flows, their findings and the capture-wide findings whose
// evidence is in their frames.
func restrict(a *correlate.Analysis, fs []diagnose.Finding, ids []int) (*correlate.Analysis, []diagnose.Finding) {
	keep := map[int]bool{}
	for _, id := range ids {
		keep[id] = true
	}
	out := &correlate.Analysis{FirstTime: a.FirstTime, LastTime: a.LastTime, Captures: a.Captures, CaptureDrops: a.CaptureDrops}
	var remap func([]int) []int
	out.ESP, remap = a.ESPSubset(func(f *correlate.ESPFlow) bool { return keep[f.IKESA] })
	for _, f := range out.ESP {
		out.ESPPackets += int(f.Packets)
	}
	frames := map[int]bool{}
	for _, sa := range a.IKESAs {
		if !keep[sa.ID] {
			continue
		}
		c := *sa
		c.Children = nil
		for _, ch := range sa.Children {
			ch.ESP = remap(ch.ESP)
			c.Children = append(c.Children, ch)
		}
		out.IKESAs = append(out.IKESAs, &c)
		for _, ex := range sa.Exchanges {
			for _, m := range ex.Messages {
				out.IKEPackets += m.Sent
				for _, f := range m.Frames {
					frames[f] = true
				}
				for _, s := range m.Seen {
					frames[s.Frame] = true
				}
			}
		}
		out.ICMPErrors += len(sa.ICMPErrors)
		for _, e := range sa.ICMPErrors {
			frames[e.Frame] = true
		}
	}
	for _, f := range out.ESP {
		for fr := f.FirstFrame; fr <= f.LastFrame && fr-f.FirstFrame < 1<<16; fr++ {
			frames[fr] = true
		}
	}
	for _, pp := range a.Peers {
		var sas []int
		for _, id := range pp.IKESAs {
			if keep[id] {
				sas = append(sas, id)
			}
		}
		if len(sas) == 0 {
			continue
		}
		c := *pp
		c.IKESAs, c.ESP = sas, remap(pp.ESP)
		out.Peers = append(out.Peers, &c)
		out.Keepalives += pp.NATKeepalives
	}
	for _, t := range a.Tunnels {
		if slices.ContainsFunc(t.IKESAs, func(id int) bool { return keep[id] }) {
			c := *t
			c.ESP = remap(t.ESP)
			out.Tunnels = append(out.Tunnels, &c)
		}
	}
	out.LogFiles = a.LogFiles
	for _, e := range a.Logs {
		if keep[e.IKESA] || e.IKESA == 0 && e.Cause != "" && frames[e.Frame] {
			out.Logs = append(out.Logs, e)
		}
	}
	var outF []diagnose.Finding
	for _, f := range fs {
		if f.IKESA != 0 && keep[f.IKESA] || f.IKESA == 0 && f.Frame != 0 && frames[f.Frame] {
			outF = append(outF, f)
		}
	}
	return out, outF
}

// timeBase is the origin of relative times: the capture's first IPsec
// packet, as in analyze's output.
type timeBase time.Time

func (t timeBase) rel(x time.Time) float64 { return x.Sub(time.Time(t)).Seconds() }

func (r *Report) t0() timeBase { return timeBase(r.Analysis.FirstTime) }

// document is the analysis JSON document of what the report covers.
func (r *Report) document() analysisview.Document {
	return analysisview.BuildDocument(r.Input, r.version, r.Analysis, r.Findings)
}

// failing returns the finding the verdict shows (the first error, or
// NO_IPSEC), nil when healthy.
func (r *Report) failing() *diagnose.Finding {
	return analysisview.VerdictFinding(r.Analysis, r.Findings)
}

// verdictHead is the verdict's first words: FAILURE and the code, or NO
// IPSEC for a capture without IKE and ESP.
func verdictHead(top *diagnose.Finding) (head string, failed bool) {
	if top.Code == diagnose.NoIPsecCode {
		return "NO IPSEC", false
	}
	return "FAILURE", true
}

// custodyRows are the chain-of-custody lines, label and value.
func (r *Report) custodyRows() [][2]string {
	c := r.Custody
	rows := [][2]string{
		{"Input file", c.Name},
		{"Size", fmt.Sprintf("%d bytes", c.Size)},
		{"SHA-256", c.SHA256},
		{"Packets", strconv.Itoa(c.Packets)},
		{"First IPsec packet", orDash(c.FirstTime)},
		{"Last IPsec packet", orDash(c.LastTime)},
		{"Tool", c.Tool + " " + c.ToolVersion},
		{"Analysis time", c.AnalysisTime},
		{"Key files", orDash(strings.Join(c.KeyFiles, ", "))},
	}
	rows = append(rows, logRows(c.Logs)...)
	if len(c.Files) > 0 {
		rows[0][0], rows[2][1] = "Capture point", "per file, above"
		rows = append(rows[:1], append(fileRows("", c.Point, c.Grouping, c.Files), rows[1:]...)...)
	}
	if r.multi() {
		head := [][2]string{
			{"Input files", fmt.Sprintf("%d captures, analysed as one run", len(c.Captures))},
			{"Frames", "written capture:frame (2:14 is frame 14 of capture 2)"},
			{"Times", "on capture 1's clock"},
		}
		for _, cc := range c.Captures {
			head = append(head, captureRows(cc)...)
		}
		head = append(head, [2]string{"Packets", fmt.Sprintf("%d in all", c.Packets)})
		rows = append(head, rows[4:]...)
	}
	if c.ReadError != "" {
		rows = append(rows, [2]string{"Read error", c.ReadError + " (the analysis covers the frames before it)"})
	}
	if c.Selection != "" {
		rows = append(rows, [2]string{"Tunnels selected", fmt.Sprintf("%s → IKE SA %s", c.Selection, joinInts(c.Selected, ", ", "#"))})
	}
	if c.Redacted {
		rows = append(rows, [2]string{"Redaction", "IP addresses replaced (same address → same placeholder, /24 kept together)"})
	}
	return rows
}

// captureRows are one capture's chain-of-custody lines: name, size,
// digest, frames, IPsec span and clock.
func captureRows(cc CaptureCustody) [][2]string {
	p := fmt.Sprintf("Capture %d", cc.Capture)
	rows := [][2]string{
		{p, cc.Name},
		{p + " size", fmt.Sprintf("%d bytes", cc.Size)},
		{p + " SHA-256", orDash(cc.SHA256)},
		{p + " packets", strconv.Itoa(cc.Packets)},
	}
	rows = append(rows, fileRows(p+" ", cc.Point, cc.Grouping, cc.Files)...)
	if cc.FirstTime != "" {
		rows = append(rows, [2]string{p + " IPsec", fmt.Sprintf("%s – %s (its own clock)", cc.FirstTime, cc.LastTime)})
	}
	clock := "clock offset unknown (no packet seen at both)"
	switch {
	case cc.Capture == 1:
		clock = "the reference"
	case cc.OffsetSamples > 0:
		clock = fmt.Sprintf("%s against capture 1 (from %d packets seen at both", signedSeconds(cc.OffsetSeconds), cc.OffsetSamples)
		if cc.PathDelaySeconds > 0 {
			clock += fmt.Sprintf("; one-way delay %s", time.Duration(math.Round(cc.PathDelaySeconds*1e9)).Round(time.Microsecond))
		}
		clock += ")"
	}
	rows = append(rows, [2]string{p + " clock", clock})
	if cc.Drops > 0 {
		rows = append(rows, [2]string{p + " drops", fmt.Sprintf("%d packets dropped by the capturing interface", cc.Drops)})
	}
	if cc.ReadError != "" {
		rows = append(rows, [2]string{p + " read error", cc.ReadError + " (the analysis covers the frames before it)"})
	}
	return rows
}

// fileRows are the custody lines of a capture point read from several
// files: its name, why the files are one point, and each file's frames,
// size and digest.
func fileRows(prefix, point, grouping string, files []analysisview.FileDoc) [][2]string {
	if len(files) == 0 {
		if grouping != "" {
			return [][2]string{{prefix + "point", grouping}}
		}
		return nil
	}
	label := func(s string) string {
		if prefix == "" {
			return strings.ToUpper(s[:1]) + s[1:]
		}
		return prefix + s
	}
	var rows [][2]string
	if point != "" {
		rows = append(rows, [2]string{label("point"), point})
	}
	rows = append(rows, [2]string{label("files"), grouping})
	for i, f := range files {
		frames := "no frame"
		if f.Packets > 0 {
			frames = fmt.Sprintf("frames %d–%d", f.FirstFrame, f.LastFrame)
		}
		rows = append(rows, [2]string{label(fmt.Sprintf("file %d", i+1)), fmt.Sprintf("%s: %s, %d bytes, SHA-256 %s", f.Name, frames, f.Size, orDash(f.SHA256))})
	}
	return rows
}

// signedSeconds writes a clock offset with its sign: "+2.5s", "-4µs".
func signedSeconds(sec float64) string {
	d := time.Duration(math.Round(sec * 1e9)).Round(time.Microsecond)
	if d >= 0 {
		return "+" + d.String()
	}
	return d.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func joinInts(v []int, sep, prefix string) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = prefix + strconv.Itoa(x)
	}
	return strings.Join(s, sep)
}

// frameRanges writes frames compactly: "1–6, 9, 12–14".
func frameRanges(frames []int) string {
	var parts []string
	for i := 0; i < len(frames); {
		j := i
		for j+1 < len(frames) && frames[j+1] == frames[j]+1 {
			j++
		}
		if j == i {
			parts = append(parts, decode.FrameLabel(frames[i]))
		} else {
			parts = append(parts, frameSpan(frames[i], frames[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}

// frameSpan writes a range of frames: "5–9", "2:5–2:9" (frame IDs).
func frameSpan(first, last int) string {
	return decode.FrameLabel(first) + "–" + decode.FrameLabel(last)
}

// sliceMap is the slice-frame → original-frame mapping as runs:
// "1–6 → 3–8".
func sliceMap(frames []int) []string {
	var out []string
	for i := 0; i < len(frames); {
		j := i
		for j+1 < len(frames) && frames[j+1] == frames[j]+1 {
			j++
		}
		if j == i {
			out = append(out, fmt.Sprintf("%d → %s", i+1, decode.FrameLabel(frames[i])))
		} else {
			out = append(out, fmt.Sprintf("%d–%d → %s", i+1, j+1, frameSpan(frames[i], frames[j])))
		}
		i = j + 1
	}
	return out
}
