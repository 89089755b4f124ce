package analysisview

import (
	"fmt"
	"slices"

	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
	"github.com/ipsecpcap/ipsecpcap/diagnose"
)

// The ladder of an IKE SA, decided once for every view: the order of its
// messages, their labels ("MM5", "IKE_AUTH response") and the marks on
// each (the failure point, an error the peers got past, a rekey, the
// findings that cite it). The text, the TUI and the reports draw it; none
// decides again what failed or what a message is called.

// Step is one message of an IKE SA's ladder.
type Step struct {
	Exchange *correlate.Exchange
	ExIndex  int // in the IKE SA's Exchanges
	Message  *correlate.Message
	N        int // 1-based within the exchange
	// Label names the message in full ("MM5", "QM1", "IKE_AUTH
	// request"), Short in a narrow column ("MM5", "AUTH req").
	Label, Short string
	// Note says what the exchange did, on its first step ("child SA #2
	// rekeys #1", "rekeys the IKE SA into #3", "delete"), else "".
	Note string
	// Errors are the error notifies the message carries in clear (or
	// decrypted).
	Errors []string
	// Failure marks the failure point: the message holding the frame where
	// the IKE SA or a child SA failed (the refusal, or the request left
	// unanswered), or the first frame a failure finding cites. Recovered
	// marks an error notify that is not a failure: the peers got past it
	// (INVALID_KE_PAYLOAD and a retry, a cookie).
	Failure, Recovered bool
	// Rekey marks a message of a rekey exchange.
	Rekey bool
	// Codes are the error and warning findings that cite the message
	// (evidence), in the order of the findings; Lost is set when a PATH_LOSS finding cites it.
	Codes []string
	Lost  bool
}

// Content is what a step's arrow carries after its label, as every view
// writes it: the payloads, the encrypted size, how often it was sent and
// the error notifies ("[ E{IDr…} ] 160B ×2 TS_UNACCEPTABLE").
func (s Step) Content() string {
	m := s.Message
	c := m.Summary
	if m.Encrypted {
		c += fmt.Sprintf(" %dB", m.Length)
	}
	if m.Sent > 1 {
		c += fmt.Sprintf(" ×%d", m.Sent)
	}
	for _, e := range s.Errors {
		c += " " + e
	}
	return c
}

// Ladder lists an IKE SA's messages in order of their first transmission
// (frame order; time order over several captures, whose frame numbers do
// not compare), with their labels and marks.
func Ladder(a *correlate.Analysis, sa *correlate.IKESA, fs []diagnose.Finding) []Step {
	failFrames := FailureFrames(a, sa, fs)
	cites := map[int][]string{}
	lost := map[int]bool{}
	for _, f := range fs {
		if f.IKESA != sa.ID && f.Code != diagnose.PathLoss {
			continue
		}
		for _, fr := range f.Frames {
			if f.Code == diagnose.PathLoss {
				lost[fr] = true
			}
			if f.IKESA == sa.ID && f.Severity != diagnose.Info && !slices.Contains(cites[fr], f.Code) {
				cites[fr] = append(cites[fr], f.Code)
			}
		}
	}
	var steps []Step
	for xi, ex := range sa.Exchanges {
		note := ExchangeNote(a, sa, xi)
		rekey := isRekey(sa, xi)
		for n, m := range ex.Messages {
			s := Step{Exchange: ex, ExIndex: xi, Message: m, N: n + 1,
				Label: ex.Label(n+1, m.Response), Short: ex.ShortLabel(n+1, m.Response), Rekey: rekey}
			if n == 0 {
				s.Note = note
			}
			for _, nt := range m.Notifies {
				if nt.Error {
					s.Errors = append(s.Errors, nt.Name)
				}
			}
			for _, fr := range messageFrames(m) {
				s.Failure = s.Failure || failFrames[fr]
				s.Lost = s.Lost || lost[fr]
				for _, c := range cites[fr] {
					if !slices.Contains(s.Codes, c) {
						s.Codes = append(s.Codes, c)
					}
				}
			}
			s.Recovered = len(s.Errors) > 0 && !s.Failure
			steps = append(steps, s)
		}
	}
	multi := len(a.Captures) > 1
	slices.SortStableFunc(steps, func(x, y Step) int {
		if multi {
			return x.Message.Times[0].Compare(y.Message.Times[0])
		}
		return x.Message.Frames[0] - y.Message.Frames[0]
	})
	return steps
}

// messageFrames are a message's frames and the frames of its sightings at
// other capture points.
func messageFrames(m *correlate.Message) []int {
	if len(m.Seen) == 0 {
		return m.Frames
	}
	out := slices.Clone(m.Frames)
	for _, s := range m.Seen {
		out = append(out, s.Frame)
	}
	return out
}

// FailureFrames are the frames that mark an IKE SA's failure point: the
// frame of its failure, of its failed child SAs, and the first frame of
// each error finding about it.
func FailureFrames(a *correlate.Analysis, sa *correlate.IKESA, fs []diagnose.Finding) map[int]bool {
	out := map[int]bool{}
	if f := sa.Failure; f != nil && f.Frame != 0 {
		out[f.Frame] = true
	}
	for _, c := range sa.Children {
		if c.State == correlate.StateFailed && c.Frame != 0 {
			out[c.Frame] = true
		}
	}
	for _, f := range fs {
		if f.Severity == diagnose.Error && f.IKESA == sa.ID && len(f.Frames) > 0 {
			out[f.Frame] = true
		}
	}
	return out
}

// isRekey reports whether exchange i of an IKE SA rekeys it or one of its
// child SAs.
func isRekey(sa *correlate.IKESA, i int) bool {
	if i == sa.RekeyedAt && sa.ReplacedBy != 0 {
		return true
	}
	for j := range sa.Children {
		if c := &sa.Children[j]; c.Exchange == i && c.Kind == correlate.ChildRekey {
			return true
		}
	}
	return false
}

// ExchangeNote says what exchange i of an IKE SA did: the child SA it
// negotiated or rekeyed, the IKE SA rekey, a delete; "" otherwise.
func ExchangeNote(a *correlate.Analysis, sa *correlate.IKESA, i int) string {
	for j := range sa.Children {
		c := &sa.Children[j]
		if c.Exchange != i {
			continue
		}
		s := fmt.Sprintf("child SA #%d %s", c.ID, c.Kind)
		if c.Kind == correlate.ChildRekey {
			s = fmt.Sprintf("child SA #%d rekeys #%d", c.ID, c.Replaces)
		}
		if c.Collision {
			s += " (collision)"
		}
		if c.Failure != nil {
			s += ", refused"
		}
		return s
	}
	if i == sa.RekeyedAt {
		if next := a.IKESAByID(sa.ReplacedBy); next != nil {
			return fmt.Sprintf("rekeys the IKE SA into #%d", next.ID)
		}
		return "rekeys the IKE SA"
	}
	ex := sa.Exchanges[i]
	for _, m := range ex.Messages {
		if len(m.Deletes) > 0 || !m.Decrypted && !m.Response && m.FirstInner == isakmp.PayloadV2Delete && ex.Type == isakmp.ExchangeInformational {
			return "delete"
		}
	}
	return ""
}

// FailurePoint names where an IKE SA failed, "MM5 (frame 6)
// NO_PROPOSAL_CHOSEN" or "IKE_AUTH response (frame 4) TS_UNACCEPTABLE";
// "" when it did not.
func FailurePoint(sa *correlate.IKESA) string {
	f := sa.Failure
	if f == nil {
		return ""
	}
	where := "?"
	if f.Exchange >= 0 && f.Exchange < len(sa.Exchanges) {
		ex := sa.Exchanges[f.Exchange]
		response := f.Message >= 2 // IKEv2 numbers the response 2
		if f.Message >= 1 && f.Message <= len(ex.Messages) {
			response = ex.Messages[f.Message-1].Response
		}
		where = ex.Label(f.Message, response)
	}
	s := fmt.Sprintf("%s (frame %s)", where, decode.FrameLabel(f.Frame))
	if f.Notify != nil {
		s += " " + f.Notify.Name
	}
	return s
}

// TunnelOrder is the order every view lists tunnels in: the order analyze
// gives their findings (errors first, the failure point first among them),
// so the first tunnel is the failure analyze names, not a failed attempt
// the peers got past; tunnels with no finding after, in the analysis's
// order.
func TunnelOrder(a *correlate.Analysis, fs []diagnose.Finding) []*correlate.Tunnel {
	rank := make(map[*correlate.Tunnel]int, len(a.Tunnels))
	for _, t := range a.Tunnels {
		rank[t] = len(fs)
		for i, f := range fs {
			if f.Tunnel == t.ID || f.IKESA != 0 && slices.Contains(t.IKESAs, f.IKESA) {
				rank[t] = i
				break
			}
		}
	}
	out := slices.Clone(a.Tunnels)
	slices.SortStableFunc(out, func(x, y *correlate.Tunnel) int { return rank[x] - rank[y] })
	return out
}

// IKESAOrder is the order views that list IKE SAs one by one use: those of
// each tunnel in TunnelOrder, then any in no tunnel, each once.
func IKESAOrder(a *correlate.Analysis, fs []diagnose.Finding) []*correlate.IKESA {
	out := make([]*correlate.IKESA, 0, len(a.IKESAs))
	seen := make(map[int]bool, len(a.IKESAs))
	for _, t := range TunnelOrder(a, fs) {
		for _, id := range t.IKESAs {
			if sa := a.IKESAByID(id); sa != nil && !seen[id] {
				seen[id] = true
				out = append(out, sa)
			}
		}
	}
	for _, sa := range a.IKESAs {
		if !seen[sa.ID] {
			out = append(out, sa)
		}
	}
	return out
}

// PeerOrder is the order of the peer pairs in views that list them: by
// the first of their IKE SAs in order (IKESAOrder), pairs without one
// last, as the analysis has them.
func PeerOrder(a *correlate.Analysis, order []*correlate.IKESA) []*correlate.PeerPair {
	pos := make(map[int]int, len(order))
	for i, sa := range order {
		pos[sa.ID] = i
	}
	rank := make(map[*correlate.PeerPair]int, len(a.Peers))
	for _, pp := range a.Peers {
		rank[pp] = len(order)
		for _, id := range pp.IKESAs {
			if p, ok := pos[id]; ok && p < rank[pp] {
				rank[pp] = p
			}
		}
	}
	out := slices.Clone(a.Peers)
	slices.SortStableFunc(out, func(x, y *correlate.PeerPair) int { return rank[x] - rank[y] })
	return out
}
