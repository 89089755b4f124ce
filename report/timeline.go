package report

import (
	"fmt"
	"strings"

	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/diagnose"
	"github.com/ipsecpcap/ipsecpcap/view/analysisview"
)

// step is one message of a tunnel's ladder as every report draws it: the
// ladder's step (label, marks, what it carries), with its time since the
// first IPsec packet and where it was seen over several captures.
type step struct {
	analysisview.Step
	Rel float64
	// Seen says where the message was seen in a run over several
	// captures ("seen at 1, NOT at 2"), else "".
	Seen string
}

// fromInit reports whether the initiator sent the message.
func (s step) fromInit() bool { return s.Message.Dir == correlate.FromInitiator }

// arrow is the arrow's text: "IKE_AUTH response · MID 1 [ E{IDr…} ] 240B".
func (s step) arrow() string {
	l := fmt.Sprintf("%s · MID %d %s", s.Label, s.Exchange.MessageID, s.Content())
	if s.Recovered {
		l += " (recovered)"
	}
	if len(s.Codes) > 0 {
		l += " — evidence for " + strings.Join(s.Codes, ", ")
	}
	return l
}

// capFrames writes at most n frames, then how many more: "5, 7, 9, …+61".
func capFrames(frames []int, n int) string {
	if len(frames) <= n {
		return frameRanges(frames)
	}
	return fmt.Sprintf("%s, …+%d", frameRanges(frames[:n]), len(frames)-n)
}

// steps lists an IKE SA's messages as the ladder orders and marks them.
func (r *Report) steps(sa *correlate.IKESA) []step {
	t0 := r.t0()
	var out []step
	for _, st := range analysisview.Ladder(r.Analysis, sa, r.Findings) {
		out = append(out, step{Step: st, Rel: t0.rel(st.Message.Times[0]), Seen: analysisview.SeenText(sa, st.Message)})
	}
	return out
}

// sightingFrames are every frame of a message at every capture point, in
// order (its own frames in a single-capture run).
func sightingFrames(m *correlate.Message) []int {
	if len(m.Seen) == 0 {
		return m.Frames
	}
	var fr []int
	for _, s := range m.Seen {
		fr = append(fr, s.Frame)
	}
	return fr
}

// failureText says where an IKE SA stopped, or "".
func failureText(sa *correlate.IKESA) string {
	fl := sa.Failure
	if fl == nil {
		return ""
	}
	ex := sa.Exchanges[fl.Exchange]
	s := fmt.Sprintf("failed at %s message %d (frame %s): %s", ex.Name(), fl.Message, decode.FrameLabel(fl.Frame), strings.ReplaceAll(string(fl.Kind), "_", " "))
	if fl.Notify != nil {
		s += " " + fl.Notify.Name
	}
	return s
}

// saFinding is the most severe finding about an IKE SA, or nil.
func (r *Report) saFinding(id int) *diagnose.Finding {
	for i := range r.Findings {
		if r.Findings[i].IKESA == id && r.Findings[i].Severity == diagnose.Error {
			return &r.Findings[i]
		}
	}
	return nil
}

// saTitle names an IKE SA: "IKE SA #1 · IKEv2 · 198.18.1.1 → 198.18.1.2".
func saTitle(sa *correlate.IKESA) string {
	v := fmt.Sprintf("IKEv%d", sa.Version)
	if sa.Version == 1 && sa.Mode() != "" {
		v += " " + sa.Mode() + " mode"
	}
	return fmt.Sprintf("IKE SA #%d · %s · %s → %s", sa.ID, v, sa.Initiator.Addr(), sa.Responder.Addr())
}

// saState is the state line of an IKE SA.
func saState(sa *correlate.IKESA) string {
	s := string(sa.State)
	if f := failureText(sa); f != "" {
		s = f
	} else if sa.EstablishedFrame != 0 {
		s += fmt.Sprintf(" (frame %s)", decode.FrameLabel(sa.EstablishedFrame))
	}
	if sa.Continues != 0 {
		s += fmt.Sprintf("; retry of IKE SA #%d", sa.Continues)
	}
	if sa.ContinuedBy != 0 {
		s += fmt.Sprintf("; retried as IKE SA #%d", sa.ContinuedBy)
	}
	return s
}

// exchangeFilter is the Wireshark display filter of one exchange. When
// another exchange of the IKE SA has the same message ID (an IKEv2 request
// retried with new content), the frame range tells them apart.
func exchangeFilter(sa *correlate.IKESA, ex *correlate.Exchange) string {
	f := fmt.Sprintf("isakmp.ispi == %s && isakmp.messageid == 0x%08x", sa.InitiatorSPI, ex.MessageID)
	for _, other := range sa.Exchanges {
		if other != ex && other.MessageID == ex.MessageID {
			// Frame numbers as Wireshark counts them in the file: in a run
			// over several captures, those of the capture of the frames.
			_, first := decode.SplitFrame(ex.First())
			_, last := decode.SplitFrame(ex.Last())
			return f + fmt.Sprintf(" && frame.number >= %d && frame.number <= %d", first, last)
		}
	}
	return f
}

// saFilter is the Wireshark display filter of a whole IKE SA.
func saFilter(sa *correlate.IKESA) string {
	return fmt.Sprintf("isakmp.ispi == %s", sa.InitiatorSPI)
}

// espFilter is the Wireshark display filter of an ESP flow.
func espFilter(f *correlate.ESPFlow) string {
	return fmt.Sprintf("esp.spi == 0x%08x", f.SPI)
}

// exchangeRow is one line of a tunnel's timeline table.
type exchangeRow struct {
	Rel      string
	Frames   string
	Phase    string
	Exchange string
	MID      string
	Messages string
	Filter   string
	Failed   bool
}

func (r *Report) exchangeRows(sa *correlate.IKESA) []exchangeRow {
	t0 := r.t0()
	// An exchange failed where the ladder marks one of its messages: the
	// failure point, or a message lost on the path. The ladder decides;
	// the table only shows it.
	failedEx := map[int]bool{}
	for _, s := range analysisview.Ladder(r.Analysis, sa, r.Findings) {
		if s.Failure || s.Lost {
			failedEx[s.ExIndex] = true
		}
	}
	var rows []exchangeRow
	for i, ex := range sa.Exchanges {
		var fr []int
		var msgs []string
		for n, m := range ex.Messages {
			fr = append(fr, sightingFrames(m)...)
			d := "I→R"
			if m.Dir == correlate.FromResponder {
				d = "R→I"
			}
			t := fmt.Sprintf("%d. %s %s", n+1, d, m.Summary)
			if m.Sent > 1 {
				t += fmt.Sprintf(" ×%d", m.Sent)
			}
			for _, nt := range m.Notifies {
				if nt.Error {
					t += " " + nt.Name
				}
			}
			if s := analysisview.SeenText(sa, m); s != "" {
				t += " (" + s + ")"
			}
			msgs = append(msgs, t)
		}
		sortInts(fr)
		phase := map[int]string{0: "-", 1: "1", 2: "2"}[ex.Phase]
		name := ex.Name()
		if ex.Attempt > 0 {
			name += fmt.Sprintf(" (attempt %d)", ex.Attempt+1)
		}
		rows = append(rows, exchangeRow{Rel: fmt.Sprintf("%+.3f s", t0.rel(ex.Messages[0].Times[0])), Frames: frameRanges(fr),
			Phase: phase, Exchange: name, MID: fmt.Sprint(ex.MessageID), Messages: strings.Join(msgs, "; "),
			Filter: exchangeFilter(sa, ex), Failed: failedEx[i]})
	}
	return rows
}

func sortInts(v []int) {
	for i := 1; i < len(v); i++ {
		for j := i; j > 0 && v[j] < v[j-1]; j-- {
			v[j], v[j-1] = v[j-1], v[j]
		}
	}
}

// saFlows are the ESP flows linked to an IKE SA, with their direction
// relative to its initiator.
func (r *Report) saFlows(sa *correlate.IKESA) (flows []*correlate.ESPFlow, fromInit []bool) {
	for _, f := range r.Analysis.ESP {
		if f.IKESA == sa.ID {
			flows = append(flows, f)
			fromInit = append(fromInit, f.Src.Addr() == sa.Initiator.Addr())
		}
	}
	return flows, fromInit
}

// flowLabel is an ESP flow's arrow text.
func flowLabel(f *correlate.ESPFlow) string {
	s := fmt.Sprintf("ESP SPI 0x%08x, %d packets, seq ≤%d", f.SPI, f.Packets, f.MaxSeq)
	if f.Lost > 0 {
		s += fmt.Sprintf(", %d lost", f.Lost)
	}
	if f.Replays > 0 {
		s += fmt.Sprintf(", %d repeated", f.Replays)
	}
	if f.Capture != 0 {
		s += fmt.Sprintf(", at capture %d", f.Capture)
	}
	return s + fmt.Sprintf(" (frames %s)", frameSpan(f.FirstFrame, f.LastFrame))
}
