// Package analysisview presents an analysis: the text summary of
// `ipsecpcap analyze` and its JSON document.
//
// It owns how the story of a capture reads — failure point first, then per
// peer pair the IKE SAs with their phase-1/phase-2 timelines and the ESP
// flows — and the JSON schema (docs/analysis-schema.md). It formats what
// correlate and diagnose produced and parses nothing.
package analysisview

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/diagnose"
)

// Input describes the analysed file, for the report header.
type Input struct {
	Name      string
	Size      int64
	SHA256    string
	Packets   int // frames read
	ReadError string
	// KeyFiles are the key files used (names only: keys never appear).
	KeyFiles []string
	// Drops is what the capturing interface reported as dropped.
	Drops uint64
	// Points are the captures of a multi-capture run, in capture order
	// (nil for one capture).
	Points []Input
	// Point is the name given to the capture point (--point), Grouping
	// why its files were taken as one point, Files those files when there
	// are several.
	Point    string
	Grouping string
	Files    []FileDoc
}

// WriteText writes the text summary.
func WriteText(w io.Writer, in Input, a *correlate.Analysis, fs []diagnose.Finding) {
	t0 := a.FirstTime
	fmt.Fprintf(w, "%s: %d frames, %d IKE, %d ESP", in.Name, in.Packets, a.IKEPackets, a.ESPPackets)
	if !t0.IsZero() {
		fmt.Fprintf(w, ", %s – %s (%s)", t0.UTC().Format("2006-01-02 15:04:05.000"), a.LastTime.UTC().Format("15:04:05.000"), a.LastTime.Sub(t0).Round(time.Millisecond))
	}
	fmt.Fprintln(w)
	writeFiles(w, in, "  ")
	writePoints(w, in, a)
	writeLogFiles(w, a)
	if len(in.KeyFiles) > 0 {
		fmt.Fprintf(w, "keys: %s\n", strings.Join(in.KeyFiles, ", "))
	}
	if in.ReadError != "" {
		fmt.Fprintf(w, "warning: %s; the analysis covers the frames before it\n", in.ReadError)
	}
	fmt.Fprintln(w)
	writeVerdict(w, a, fs)
	if len(fs) > 0 {
		fmt.Fprintln(w, "Findings")
		for _, f := range fs {
			fmt.Fprintf(w, "  %-7s %-21s %-8s %-14s %s\n", f.Severity, f.Code, f.Certainty, FrameList(f.Frames, 4), f.Summary)
		}
		fmt.Fprintln(w)
	}
	writeLifelines(w, Lifelines(a, fs))
	order := IKESAOrder(a, fs)
	for _, pp := range PeerOrder(a, order) {
		writePeer(w, a, pp, t0, fs, order)
	}
}

// writeVerdict puts the failure point first, as an engineer asks for it
// (or, for a capture without IPsec, what it held instead and why).
func writeVerdict(w io.Writer, a *correlate.Analysis, fs []diagnose.Finding) {
	top := VerdictFinding(a, fs)
	if top == nil {
		fmt.Fprintln(w, "No failure found.")
		fmt.Fprintln(w)
		return
	}
	if top.Code == diagnose.NoIPsecCode {
		fmt.Fprintln(w, "NO IPSEC  the capture holds no IKE and no ESP: it cannot tell how the tunnel is doing")
	} else {
		fmt.Fprintf(w, "FAILURE  %s (%s), frame %s\n", top.Code, top.Certainty, FrameList(top.Frames, 6))
	}
	fmt.Fprintf(w, "  %s\n", top.Summary)
	if len(top.Causes) > 0 {
		fmt.Fprintln(w, "  Probable causes, most likely first:")
		for i, c := range top.Causes {
			fmt.Fprintf(w, "    %d. %s — %s\n", i+1, c.Cause, c.Why)
		}
	}
	for _, l := range top.Logs {
		fmt.Fprintf(w, "  Gateway log: %s\n", l)
	}
	for _, l := range ComparisonLines(top.Comparison) {
		fmt.Fprintf(w, "  %s\n", l)
	}
	if top.Remedy != "" {
		fmt.Fprintf(w, "  Remedy: %s\n", top.Remedy)
	}
	for _, c := range top.Commands {
		fmt.Fprintf(w, "    %-12s %s\n", c.Platform+":", c.Command)
	}
	fmt.Fprintln(w)
}

// ComparisonLines renders a failure's comparison, both sides one under
// the other: "Compared, phase-1 proposals:", "  initiator 198.18.1.1
// offered: ...", then where they differ and what a fuller comparison needs.
func ComparisonLines(c *diagnose.Comparison) []string {
	if c == nil {
		return nil
	}
	lines := []string{"Compared, " + c.Subject + ":"}
	for _, s := range c.Sides {
		l := "  " + s.Who + " " + s.Role
		if len(s.Values) > 0 {
			l += ": " + strings.Join(s.Marked(), " | ")
		}
		lines = append(lines, l)
	}
	if c.Differs != "" {
		lines = append(lines, "  differs: "+c.Differs)
	}
	if c.Needs != "" {
		lines = append(lines, "  needs: "+c.Needs)
	}
	return lines
}

// VerdictFinding is the finding a verdict shows: the first error, or the
// NO_IPSEC finding of a capture without IPsec; nil for a healthy one.
func VerdictFinding(a *correlate.Analysis, fs []diagnose.Finding) *diagnose.Finding {
	code := ""
	if diagnose.Verdict(a, fs) == diagnose.VerdictNoIPsec {
		code = diagnose.NoIPsecCode
	}
	for i := range fs {
		if code != "" && fs[i].Code == code || code == "" && fs[i].Severity == diagnose.Error {
			return &fs[i]
		}
	}
	return nil
}

func writePeer(w io.Writer, a *correlate.Analysis, pp *correlate.PeerPair, t0 time.Time, fs []diagnose.Finding, order []*correlate.IKESA) {
	fmt.Fprintf(w, "Peers %s ↔ %s", pp.A, pp.B)
	if pp.NATKeepalives > 0 {
		fmt.Fprintf(w, "  (%d NAT keepalives)", pp.NATKeepalives)
	}
	fmt.Fprintln(w)
	for _, sa := range order {
		if slices.Contains(pp.IKESAs, sa.ID) {
			writeIKESA(w, a, sa, t0, fs)
		}
	}
	if len(pp.ESP) > 0 {
		fmt.Fprintln(w, "  ESP")
		for _, i := range pp.ESP {
			f := a.ESP[i]
			fmt.Fprintf(w, "    SPI 0x%08x %s → %s  frames %s–%s  %d packets  %d bytes  seq ≤%d",
				f.SPI, f.Src.Addr(), f.Dst.Addr(), decode.FrameLabel(f.FirstFrame), decode.FrameLabel(f.LastFrame), f.Packets, f.Bytes, f.MaxSeq)
			if f.Lost > 0 {
				fmt.Fprintf(w, "  %d lost", f.Lost)
			}
			if f.Replays > 0 {
				fmt.Fprintf(w, "  %d repeated", f.Replays)
			}
			if f.UDPEncapsulated {
				fmt.Fprint(w, "  UDP-encap")
			}
			if f.Capture != 0 {
				fmt.Fprintf(w, "  at %s", a.PointName(f.Capture))
			}
			if f.IKESA != 0 {
				fmt.Fprintf(w, "  (IKE SA #%d)", f.IKESA)
			} else {
				fmt.Fprint(w, "  (no SA negotiated in this capture)")
			}
			fmt.Fprintln(w)
		}
	}
	fmt.Fprintln(w)
}

func writeIKESA(w io.Writer, a *correlate.Analysis, sa *correlate.IKESA, t0 time.Time, fs []diagnose.Finding) {
	state := string(sa.State)
	if sa.Failure != nil {
		state = "failed at " + FailurePoint(sa)
	}
	version := fmt.Sprintf("IKEv%d", sa.Version)
	if sa.Version == 1 && sa.Mode() != "" {
		version += " " + sa.Mode() + " mode"
	}
	if sa.Continues != 0 {
		state += fmt.Sprintf(" (retry of #%d)", sa.Continues)
	}
	fmt.Fprintf(w, "  IKE SA #%d  %s  %s/%s  initiator %s  %s\n", sa.ID, version, sa.InitiatorSPI, sa.ResponderSPI, sa.Initiator.Addr(), state)
	writeSAPoints(w, a, sa)
	if len(sa.Phase1Chosen) > 0 {
		fmt.Fprintf(w, "    phase 1 proposal chosen: %s\n", strings.Join(sa.Phase1Chosen, ", "))
	}
	steps := Ladder(a, sa, fs)
	lastOf := map[int]int{} // the last step of each exchange
	for i, st := range steps {
		lastOf[st.ExIndex] = i
	}
	lastEx := -1
	for i, st := range steps {
		ex, m := st.Exchange, st.Message
		if st.ExIndex != lastEx {
			label := map[int]string{0: "", 1: "phase 1  ", 2: "phase 2  "}[ex.Phase]
			fmt.Fprintf(w, "    %s%s", label, ex.Name())
			if ex.Phase != 1 {
				fmt.Fprintf(w, " (MID %d)", ex.MessageID)
			}
			if ex.Attempt > 0 {
				fmt.Fprintf(w, ", attempt %d", ex.Attempt+1)
			}
			if st.Note != "" {
				fmt.Fprintf(w, " · %s", st.Note)
			}
			fmt.Fprintln(w)
			lastEx = st.ExIndex
		}
		mark := "  "
		if st.Failure {
			mark = "✗ "
		} else if st.Recovered {
			mark = "! "
		}
		fmt.Fprintf(w, "    %s%+9.3fs  #%-5s %s  %s %s", mark, m.Times[0].Sub(t0).Seconds(), decode.FrameLabel(m.Frames[0]), m.Dir, st.Label, m.Summary)
		if m.Encrypted {
			fmt.Fprintf(w, " %dB", m.Length)
		}
		if m.Decrypted {
			fmt.Fprintf(w, " → decrypted %s", m.Inner)
		} else if m.DecryptFailure != "" {
			fmt.Fprintf(w, " (not decrypted: %s)", m.DecryptFailure)
		}
		if m.Sent > 1 {
			fmt.Fprintf(w, "  ×%d (frames %s)", m.Sent, FrameList(m.Frames, 8))
		}
		if len(sa.Points) > 1 {
			fmt.Fprintf(w, "  %s", SeenText(sa, m))
		}
		for _, e := range st.Errors {
			fmt.Fprintf(w, "  %s", e)
		}
		fmt.Fprintln(w)
		for _, x := range append(append([]string(nil), m.IDs...), m.TS...) {
			fmt.Fprintf(w, "%23s%s\n", "", x)
		}
		if l := loggedAs(a, sa, m); l != "" {
			fmt.Fprintf(w, "%23s%s\n", "", l)
		}
		if lastOf[st.ExIndex] == i {
			for _, l := range causeLines(a, sa, ex) {
				fmt.Fprintf(w, "%23s%s\n", "", l)
			}
		}
	}
	for _, e := range sa.ICMPErrors {
		fmt.Fprintf(w, "      ICMP %s from %s (frame %s)\n", e.Description, e.From, decode.FrameLabel(e.Frame))
	}
}

// FrameList writes frame numbers as "5,7,9,…+3": at most most of them.
func FrameList(frames []int, most int) string {
	if len(frames) == 0 {
		return "-"
	}
	var parts []string
	for i, f := range frames {
		if i == most {
			parts = append(parts, fmt.Sprintf("…+%d", len(frames)-most))
			break
		}
		parts = append(parts, decode.FrameLabel(f))
	}
	return strings.Join(parts, ",")
}
