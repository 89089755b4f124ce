package report

import (
	"fmt"
	"html/template"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/diagnose"
	"github.com/ipsecpcap/ipsecpcap/view/analysisview"
)

// The HTML report is one self-contained file: inline CSS, inline SVG, no
// script, no external reference, everything escaped by html/template.

type htmlData struct {
	Title     string
	Verdict   string
	Failed    bool
	Findings  []diagnose.Finding
	Tunnels   []htmlTunnel
	Lifelines []svgLifeline
	ESP       []htmlESP
	Slice     *Slice
	SliceMap  []string
	EndMarker string
	Custody   [][2]string
	// Slices are the slices of a run over several captures.
	Slices []htmlSlice
}

type htmlSlice struct {
	*Slice
	From      string // "capture 2, gw2.pcap"
	Map       []string
	EndMarker string
}

type htmlTunnel struct {
	Title   string
	SPIs    string
	State   string
	Failed  bool
	Chosen  string
	Filter  string
	Ladder  ladder
	Rows    []exchangeRow
	ICMP    []string
	Frames  string
	Finding string
}

type htmlESP struct {
	SPI, Dir, Frames, Filter, IKESA string
	Packets, Bytes                  uint64
	MaxSeq                          uint32
	Lost, Replays                   uint64
}

// ladder is an SVG sequence diagram of one IKE SA.
type ladder struct {
	W, H                     int
	XI, XR                   int
	LineTop                  int
	LineBottom               int
	Initiator                string
	Responder                string
	Arrows                   []ladderArrow
	Notes                    []ladderNote
	BoxW, BoxLeftI, BoxLeftR int
}

type ladderArrow struct {
	Y, X1, X2, LabelX int
	Head              string // polygon points
	Left              string // time and frame
	Frames            string // every transmission, for the tooltip
	Label             string
	Payloads          string
	Failed            bool
	Lost              bool // an unanswered request: dashed
	ESP               bool // an ESP flow: dashed, blue
	// Logged says which gateway logs recorded the message ("" without
	// logs), under the arrow.
	Logged string
}

type ladderNote struct {
	X, Y, W, H, TextX, TextY int
	Lines                    []string // the note wrapped to fit the box
	// Log: a gateway log line stating a cause or a notify (amber; red
	// like the failure when it states the failure's code).
	Log bool
}

// noteChars is how many characters of the 11 px monospace note fit in its
// box between the two lifelines.
const noteChars = 96

// wrapWords breaks text into lines of at most n characters at spaces.
func wrapWords(text string, n int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		switch {
		case line == "":
			line = w
		case len([]rune(line))+1+len([]rune(w)) <= n:
			line += " " + w
		default:
			lines = append(lines, line)
			line = w
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

const (
	ladderW     = 960
	ladderXI    = 250
	ladderXR    = 840
	ladderRow   = 46
	ladderTop   = 64
	ladderBoxW  = 200
	ladderNoteH = 26
)

func (r *Report) buildLadder(sa *correlate.IKESA) ladder {
	l := ladder{W: ladderW, XI: ladderXI, XR: ladderXR, LineTop: 40, BoxW: ladderBoxW,
		BoxLeftI: ladderXI - ladderBoxW/2, BoxLeftR: ladderXR - ladderBoxW/2,
		Initiator: sa.Initiator.Addr().String() + " (initiator)", Responder: sa.Responder.Addr().String() + " (responder)"}
	y := ladderTop
	top := r.saFinding(sa.ID)
	noted := false
	note := func(text string, log bool) {
		y += 9 // below the arrowhead
		lines := wrapWords(text, noteChars)
		h := ladderNoteH + 15*(len(lines)-1)
		l.Notes = append(l.Notes, ladderNote{X: ladderXI - 40, Y: y, W: ladderXR - ladderXI + 80, H: h,
			TextX: (ladderXI + ladderXR) / 2, TextY: y + 17, Lines: lines, Log: log})
		y += h + 12
	}
	addNote := func() {
		if !noted {
			note(failNote(sa, top), false)
		}
		noted = true
	}
	steps := r.steps(sa)
	logged, after := r.stepLogs(sa, steps)
	for i, s := range steps {
		y += ladderRow
		a := ladderArrow{Y: y, X1: ladderXI, X2: ladderXR, LabelX: (ladderXI + ladderXR) / 2, Failed: s.Failure || s.Lost,
			Left: fmt.Sprintf("%+.3fs  frame %s", s.Rel, decode.FrameLabel(s.Message.Frames[0]))}
		if s.Message.Sent > 1 {
			a.Left += fmt.Sprintf(" (×%d)", s.Message.Sent)
		}
		if !s.fromInit() {
			a.X1, a.X2 = ladderXR, ladderXI
		}
		dir := 1
		if a.X2 < a.X1 {
			dir = -1
		}
		a.Head = fmt.Sprintf("%d,%d %d,%d %d,%d", a.X2, y, a.X2-10*dir, y-5, a.X2-10*dir, y+5)
		a.Frames = "frames " + frameRanges(s.Message.Frames)
		a.Label = fmt.Sprintf("%s · MID %d", s.Label, s.Exchange.MessageID)
		if s.Message.Sent > 1 {
			a.Label += fmt.Sprintf(" · sent ×%d", s.Message.Sent)
		}
		if len(s.Errors) > 0 {
			a.Label += " · " + strings.Join(s.Errors, ", ")
		}
		if s.Seen != "" {
			a.Label += " · " + s.Seen
		}
		a.Payloads = s.Message.Summary
		if s.Message.Encrypted {
			a.Payloads += fmt.Sprintf(" %dB", s.Message.Length)
		}
		a.Frames += ": " + a.Payloads
		if rs := []rune(a.Payloads); len(rs) > 100 {
			a.Payloads = string(rs[:99]) + "…"
		}
		a.Lost = s.Failure && sa.Failure != nil && sa.Failure.Kind == correlate.FailNoResponse || s.Lost
		a.Logged = logged[i]
		if a.Logged != "" {
			y += 8 // room for the line under the arrow
		}
		l.Arrows = append(l.Arrows, a)
		if s.Failure {
			addNote()
		}
		for _, ll := range after[i] {
			y += 4
			note(ll.String(), !ll.Fail)
		}
	}
	flows, fromInit := r.saFlows(sa)
	for i, f := range flows {
		y += ladderRow - 12
		a := ladderArrow{Y: y, X1: ladderXI, X2: ladderXR, LabelX: (ladderXI + ladderXR) / 2, ESP: true,
			Left: fmt.Sprintf("%+.3fs  frame %s", r.t0().rel(f.First), decode.FrameLabel(f.FirstFrame)), Label: flowLabel(f)}
		if !fromInit[i] {
			a.X1, a.X2 = ladderXR, ladderXI
		}
		dir := 1
		if a.X2 < a.X1 {
			dir = -1
		}
		a.Head = fmt.Sprintf("%d,%d %d,%d %d,%d", a.X2, y, a.X2-10*dir, y-5, a.X2-10*dir, y+5)
		a.Frames = "ESP frames " + frameSpan(f.FirstFrame, f.LastFrame)
		l.Arrows = append(l.Arrows, a)
	}
	if !noted && (sa.Failure != nil || top != nil) {
		addNote()
	}
	l.LineBottom = y + 20
	l.H = y + 30
	return l
}

func (r *Report) writeHTML(w io.Writer) error {
	d := htmlData{Title: "IPsec capture report: " + r.title(), Findings: r.Findings, Slice: r.Slice, Custody: r.custodyRows()}
	if top := r.failing(); top != nil {
		head, failed := verdictHead(top)
		d.Failed = true
		if failed {
			d.Verdict = fmt.Sprintf("%s — %s (%s), frame %s. %s", head, top.Code, top.Certainty, frameRanges(top.Frames), top.Summary)
		} else {
			d.Verdict = fmt.Sprintf("%s — %s. %s", head, top.Code, top.Summary)
		}
	} else {
		d.Verdict = "No failure found."
	}
	for _, s := range r.Slices {
		hs := htmlSlice{Slice: s, From: fmt.Sprintf("capture %d, %s", s.Capture, filepath.Base(s.Source)), Map: sliceMap(s.Frames)}
		if s.EndMarker != 0 {
			hs.EndMarker = endMarkerText(s)
		}
		d.Slices = append(d.Slices, hs)
	}
	if r.Slice != nil {
		d.SliceMap = sliceMap(r.Slice.Frames)
		if r.Slice.EndMarker != 0 {
			d.EndMarker = endMarkerText(r.Slice)
		}
	}
	d.Lifelines = r.svgLifelines()
	for _, sa := range analysisview.IKESAOrder(r.Analysis, r.Findings) {
		t := htmlTunnel{Title: saTitle(sa), SPIs: sa.InitiatorSPI.String() + " / " + sa.ResponderSPI.String(), State: saState(sa),
			Failed: sa.Failure != nil, Chosen: strings.Join(sa.Phase1Chosen, ", "), Filter: saFilter(sa), Ladder: r.buildLadder(sa),
			Rows: r.exchangeRows(sa), Frames: frameSpan(sa.FirstFrame, sa.LastFrame)}
		for _, e := range sa.ICMPErrors {
			t.ICMP = append(t.ICMP, fmt.Sprintf("ICMP %s from %s (frame %s)", e.Description, e.From, decode.FrameLabel(e.Frame)))
		}
		d.Tunnels = append(d.Tunnels, t)
	}
	for _, f := range r.Analysis.ESP {
		e := htmlESP{SPI: fmt.Sprintf("%08x", f.SPI), Dir: fmt.Sprintf("%s → %s", f.Src, f.Dst), Frames: frameSpan(f.FirstFrame, f.LastFrame),
			Filter: espFilter(f), IKESA: "-", Packets: f.Packets, Bytes: f.Bytes, MaxSeq: f.MaxSeq, Lost: f.Lost, Replays: f.Replays}
		if f.IKESA != 0 {
			e.IKESA = fmt.Sprintf("#%d", f.IKESA)
		}
		d.ESP = append(d.ESP, e)
	}
	return htmlTemplate.Execute(w, d)
}

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"frames":  frameRanges,
	"inc":     func(i int) int { return i + 1 },
	"differs": func(d []int, i int) bool { return slices.Contains(d, i) },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #1b1f23; margin: 24px auto; max-width: 1000px; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 12px; }
h2 { font-size: 18px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; margin-top: 28px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 12px; }
.verdict { padding: 10px 14px; border-radius: 6px; font-weight: 600; }
.verdict.fail { background: #ffebe9; border: 1px solid #ff8182; }
.verdict.ok { background: #dafbe1; border: 1px solid #4ac26b; }
.finding { border: 1px solid #d0d7de; border-left: 5px solid #8c959f; border-radius: 4px; padding: 6px 12px; margin: 10px 0; }
.finding.error { border-left-color: #cf222e; }
.finding.warning { border-left-color: #bf8700; }
.finding.info { border-left-color: #0969da; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; }
th, td { border: 1px solid #d0d7de; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
tr.failed td { background: #ffebe9; }
td.num { text-align: right; white-space: nowrap; }
svg { max-width: 100%; height: auto; }
svg text { font-family: ui-monospace, Menlo, Consolas, "Liberation Mono", monospace; }
.tunnel, .finding, svg { page-break-inside: avoid; break-inside: avoid; }
@media print {
  body { margin: 0; max-width: none; font-size: 11px; }
  h2 { page-break-after: avoid; break-after: avoid; }
  .verdict, tr.failed td, .finding { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p class="verdict {{if .Failed}}fail{{else}}ok{{end}}">{{.Verdict}}</p>

<h2>Findings</h2>
{{if not .Findings}}<p>None.</p>{{end}}
{{range $i, $f := .Findings}}<div class="finding {{$f.Severity}}">
<h3>{{inc $i}}. <code>{{$f.Code}}</code> — {{$f.Severity}}, {{$f.Certainty}}, frame {{frames $f.Frames}}{{if $f.IKESA}}, IKE SA #{{$f.IKESA}}{{end}}</h3>
<p>{{$f.Summary}}</p>
{{if $f.Causes}}<p>Probable causes, most likely first:</p>
<ol>{{range $f.Causes}}<li><strong>{{.Cause}}</strong> — {{.Why}}</li>{{end}}</ol>{{end}}
{{range $f.Logs}}<p><strong>Gateway log:</strong> <code>{{.}}</code></p>{{end}}
{{with $f.Comparison}}<p>Compared, {{.Subject}}:</p>
<table class="comparison">{{range .Sides}}<tr><th>{{.Who}}</th><td>{{.Role}}</td><td>{{$d := .Differ}}{{range $i, $v := .Values}}{{if $i}}<br>{{end}}{{if differs $d $i}}<mark title="differs">≠ <code>{{$v}}</code></mark>{{else}}<code>{{$v}}</code>{{end}}{{end}}</td></tr>{{end}}</table>
{{if .Differs}}<p>Differs: {{.Differs}}</p>{{end}}{{if .Needs}}<p>Needs: {{.Needs}}</p>{{end}}
{{end}}{{if $f.Remedy}}<p><strong>Remedy:</strong> {{$f.Remedy}}</p>{{end}}
{{if $f.Commands}}<table><tr><th>Platform</th><th>Command</th></tr>
{{range $f.Commands}}<tr><td>{{.Platform}}</td><td><code>{{.Command}}</code></td></tr>
{{end}}</table>{{end}}
</div>
{{end}}
{{if .Lifelines}}<h2>Tunnel lifelines</h2>
{{range .Lifelines}}<div class="tunnel">
<h3>{{.Title}}</h3>
<p>{{.Status}}</p>
<svg width="{{.W}}" height="{{.H}}" viewBox="0 0 {{.W}} {{.H}}" role="img" aria-label="tunnel lifeline">
<rect x="0" y="0" width="{{.W}}" height="{{.H}}" fill="#ffffff"/>
{{range .Bars}}<g class="sa{{if .Failed}} failed{{end}}">
<text x="4" y="{{.TextY}}" font-size="11">{{.Label}}</text>
{{if .Milestone}}<circle cx="{{.CX}}" cy="{{.TextY}}" r="5" fill="{{if .Failed}}#cf222e{{else}}#8c959f{{end}}"/>
{{else}}<rect x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="16" rx="2" fill="{{.Color}}"/>
{{end}}<text x="690" y="{{.TextY}}" font-size="10" fill="#57606a">{{.Note}}</text>
</g>
{{end}}<line x1="120" y1="{{.AxisY}}" x2="680" y2="{{.AxisY}}" stroke="#8c959f"/>
<text x="120" y="{{.AxisY}}" dy="13" font-size="9" fill="#57606a">capture start</text>
<text x="680" y="{{.AxisY}}" dy="13" font-size="9" fill="#57606a" text-anchor="end">capture end</text>
</svg>
</div>
{{end}}{{end}}
<h2>Tunnels</h2>
{{if not .Tunnels}}<p>No IKE SA in the capture.</p>{{end}}
{{range .Tunnels}}<div class="tunnel">
<h3>{{.Title}}</h3>
<p>SPIs <code>{{.SPIs}}</code> · frames {{.Frames}} · state: {{.State}}{{if .Chosen}}<br>Phase 1 proposal chosen: <code>{{.Chosen}}</code>{{end}}<br>Wireshark: <code>{{.Filter}}</code></p>
{{with .Ladder}}<svg width="{{.W}}" height="{{.H}}" viewBox="0 0 {{.W}} {{.H}}" role="img" aria-label="ladder diagram">
<rect x="0" y="0" width="{{.W}}" height="{{.H}}" fill="#ffffff"/>
<rect x="{{.BoxLeftI}}" y="8" width="{{.BoxW}}" height="28" rx="4" fill="#eaeef2" stroke="#57606a"/>
<text x="{{.XI}}" y="27" font-size="12" text-anchor="middle">{{.Initiator}}</text>
<rect x="{{.BoxLeftR}}" y="8" width="{{.BoxW}}" height="28" rx="4" fill="#eaeef2" stroke="#57606a"/>
<text x="{{.XR}}" y="27" font-size="12" text-anchor="middle">{{.Responder}}</text>
<line x1="{{.XI}}" y1="{{.LineTop}}" x2="{{.XI}}" y2="{{.LineBottom}}" stroke="#8c959f" stroke-width="1.5"/>
<line x1="{{.XR}}" y1="{{.LineTop}}" x2="{{.XR}}" y2="{{.LineBottom}}" stroke="#8c959f" stroke-width="1.5"/>
{{range .Arrows}}<g class="msg{{if .Failed}} failed{{end}}">
<title>{{.Frames}}</title>
<text x="8" y="{{.Y}}" font-size="10" fill="#57606a">{{.Left}}</text>
<line x1="{{.X1}}" y1="{{.Y}}" x2="{{.X2}}" y2="{{.Y}}" stroke="{{if .Failed}}#cf222e{{else if .ESP}}#0969da{{else}}#24292f{{end}}" stroke-width="{{if .Failed}}2.5{{else}}1.5{{end}}"{{if or .Lost .ESP}} stroke-dasharray="6 4"{{end}}/>
<polygon points="{{.Head}}" fill="{{if .Failed}}#cf222e{{else if .ESP}}#0969da{{else}}#24292f{{end}}"/>
{{if .ESP}}<text x="{{.LabelX}}" y="{{.Y}}" dy="-5" font-size="10" text-anchor="middle" fill="#0969da">{{.Label}}</text>
{{else}}<text x="{{.LabelX}}" y="{{.Y}}" dy="-18" font-size="11" text-anchor="middle"{{if .Failed}} fill="#cf222e" font-weight="bold"{{end}}>{{.Label}}</text>
<text x="{{.LabelX}}" y="{{.Y}}" dy="-5" font-size="9.5" text-anchor="middle" fill="#57606a">{{.Payloads}}</text>
{{end}}{{if .Logged}}<text x="{{.LabelX}}" y="{{.Y}}" dy="13" font-size="9" text-anchor="middle" fill="#57606a" class="logged">{{.Logged}}</text>
{{end}}
</g>
{{end}}{{range .Notes}}<g class="note{{if .Log}} log{{end}}">
<rect x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}" rx="3" fill="{{if .Log}}#fff8c5{{else}}#ffebe9{{end}}" stroke="{{if .Log}}#bf8700{{else}}#cf222e{{end}}"/>
<text x="{{.TextX}}" y="{{.TextY}}" font-size="11" text-anchor="middle" fill="{{if .Log}}#633c01{{else}}#82071e{{end}}">{{$x := .TextX}}{{range $i, $l := .Lines}}<tspan x="{{$x}}"{{if $i}} dy="15"{{end}}>{{$l}}</tspan>{{end}}</text>
</g>
{{end}}</svg>{{end}}
<table><tr><th>Time</th><th>Frames</th><th>Phase</th><th>Exchange</th><th>MID</th><th>Messages</th><th>Wireshark filter</th></tr>
{{range .Rows}}<tr{{if .Failed}} class="failed"{{end}}><td class="num">{{.Rel}}</td><td>{{.Frames}}</td><td>{{.Phase}}</td><td>{{.Exchange}}{{if .Failed}} ✗{{end}}</td><td class="num">{{.MID}}</td><td class="mono">{{.Messages}}</td><td><code>{{.Filter}}</code></td></tr>
{{end}}</table>
{{range .ICMP}}<p>{{.}}</p>{{end}}
</div>
{{end}}
{{if .ESP}}<h2>ESP flows</h2>
<table><tr><th>SPI</th><th>From → to</th><th>Frames</th><th>Packets</th><th>Bytes</th><th>Max seq</th><th>Lost</th><th>Repeated</th><th>IKE SA</th><th>Wireshark filter</th></tr>
{{range .ESP}}<tr><td><code>{{.SPI}}</code></td><td>{{.Dir}}</td><td>{{.Frames}}</td><td class="num">{{.Packets}}</td><td class="num">{{.Bytes}}</td><td class="num">{{.MaxSeq}}</td><td class="num">{{.Lost}}</td><td class="num">{{.Replays}}</td><td>{{.IKESA}}</td><td><code>{{.Filter}}</code></td></tr>
{{end}}</table>{{end}}
{{with .Slice}}<h2>Evidence slice</h2>
<p><code>{{.File}}</code>: {{len .Frames}} packets, {{.Size}} bytes, SHA-256 <code>{{.SHA256}}</code>.</p>{{end}}
{{if .EndMarker}}<p>{{.EndMarker}}</p>{{end}}
{{if .SliceMap}}<table><tr><th>Slice frame → original frame</th></tr>
{{range .SliceMap}}<tr><td>{{.}}</td></tr>
{{end}}</table>{{end}}
{{if .Slices}}<h2>Evidence slices</h2>
<p>One per capture, each with the packets and times as that capture has them.</p>
{{range .Slices}}<h3><code>{{.File}}</code> ({{.From}})</h3>
<p>{{len .Frames}} packets, {{.Size}} bytes, SHA-256 <code>{{.SHA256}}</code>.</p>
{{if .EndMarker}}<p>{{.EndMarker}}</p>
{{end}}<table><tr><th>Slice frame → original frame</th></tr>
{{range .Map}}<tr><td>{{.}}</td></tr>
{{end}}</table>
{{end}}{{end}}<h2>Chain of custody</h2>
<table>
{{range .Custody}}<tr><th>{{index . 0}}</th><td>{{index . 1}}</td></tr>
{{end}}</table>
</body>
</html>
`))
