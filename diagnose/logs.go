package diagnose

import (
	"fmt"
	"strings"

	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/decode"
)

// The gateways' own logs know what the wire hides: the responder that
// refused a child SA writes why ("no matching CHILD_SA config found"),
// while the wire shows at most a notify, often encrypted, sometimes the
// wrong one. Package gwlog turns the lines into events with a cause; here
// they confirm or correct the findings drawn from the packets.

// logConfirmable are the failure codes a log line may confirm or refine.
var logConfirmable = map[string]bool{
	P1NoResponse: true, P1ProposalMismatch: true, P1DHGroupMismatch: true, P1AuthFailed: true, P1Rejected: true,
	P2NoResponse: true, P2ProposalMismatch: true, P2PFSMismatch: true, P2TSMismatch: true, P2Rejected: true,
}

// basisRank orders how a line knows its cause: a daemon's own failed
// check outranks a notify from its peer, which outranks a timeout.
func basisRank(b string) int {
	switch b {
	case "local check":
		return 0
	case "peer notify":
		return 1
	case "timeout":
		return 2
	}
	return 3
}

// logCause is the strongest cause the logs state for an IKE SA, or nil.
func logCause(a *correlate.Analysis, sa int) *correlate.LogEvent {
	var best *correlate.LogEvent
	for _, i := range a.LogsOf(sa) {
		e := &a.Logs[i]
		if e.Cause == "" {
			continue
		}
		if best == nil || basisRank(e.Basis) < basisRank(best.Basis) {
			best = e
		}
	}
	return best
}

// logRef names a log line as evidence: "charon-responder.log:212 (responder): text".
func logRef(e *correlate.LogEvent) string {
	side := ""
	if e.Side != "" {
		side = " (" + e.Side + ")"
	}
	return fmt.Sprintf("%s:%d%s: %s", e.Log, e.Line, side, e.Text)
}

// applyLogs confirms, refines or adds failure findings from the logs'
// stated causes and reports notifies that contradict them.
func applyLogs(a *correlate.Analysis, fs []Finding) []Finding {
	if len(a.Logs) == 0 {
		return fs
	}
	for _, sa := range a.IKESAs {
		cause := logCause(a, sa.ID)
		if cause == nil {
			continue
		}
		confirmed := false
		for i := range fs {
			f := &fs[i]
			if f.IKESA != sa.ID || !logConfirmable[f.Code] {
				continue
			}
			if f.Code == cause.Cause {
				f.Certainty = Certain
				f.Logs = append(f.Logs, logRef(cause))
				f.Causes = loggedFirst(f.Causes, cause.Reason)
				confirmed = true
				continue
			}
			if cause.Basis == "timeout" || f.Severity != Error {
				continue // a timeout explains less than the wire does
			}
			was := f.Code
			f.Code, f.Certainty = cause.Cause, Certain
			f.Summary += fmt.Sprintf("; the %s's log states the cause: %s", sideOr(cause.Side, "gateway"), cause.Reason)
			f.Causes = append([]Cause{{cause.Reason, fmt.Sprintf("stated by the gateway's own log (%s), where the wire alone gave %s", cause.Basis, was)}}, f.Causes...)
			f.Remedy, f.Commands = "", nil // the new code's
			f.Logs = append(f.Logs, logRef(cause))
			confirmed = true
		}
		if !confirmed && (sa.State != correlate.StateEstablished || strings.HasPrefix(cause.Cause, "P2_")) && cause.Basis != "timeout" {
			f := Finding{Code: cause.Cause, Severity: Error, Certainty: Certain, IKESA: sa.ID,
				Summary: fmt.Sprintf("%s ↔ %s: the %s's log states the cause: %s", sa.Initiator.Addr(), sa.Responder.Addr(), sideOr(cause.Side, "gateway"), cause.Reason),
				Causes:  []Cause{{cause.Reason, "stated by the gateway's own log (" + cause.Basis + ")"}},
				Logs:    []string{logRef(cause)}}
			if cause.Frame != 0 {
				f.Frames = []int{cause.Frame}
			}
			fs = append(fs, f)
		}
		if m, ok := misleadingNotify(a, sa, cause); ok {
			fs = append(fs, m)
		}
	}
	return fs
}

func sideOr(side, otherwise string) string {
	if side == "" {
		return otherwise
	}
	return side
}

// notifyCategory is what an error notify claims went wrong.
func notifyCategory(name string, version int) string {
	switch strings.ToUpper(name) {
	case "NO_PROPOSAL_CHOSEN", "INVALID_KE_PAYLOAD", "BAD_PROPOSAL_SYNTAX", "INVALID_TRANSFORM_ID", "ATTRIBUTES_NOT_SUPPORTED":
		return "proposal"
	case "AUTHENTICATION_FAILED", "AUTH_FAILED", "INVALID_HASH_INFORMATION", "INVALID_SIGNATURE", "INVALID_CERTIFICATE", "CERT_UNAVAILABLE":
		return "authentication"
	case "TS_UNACCEPTABLE", "SINGLE_PAIR_REQUIRED":
		return "traffic selectors"
	case "INVALID_ID_INFORMATION":
		if version == 1 {
			return "traffic selectors" // Quick Mode IDs; phase-1 IDs fail as authentication
		}
		return "authentication"
	case "PAYLOAD_MALFORMED", "INVALID_PAYLOAD_TYPE", "INVALID_SYNTAX", "INVALID_MESSAGE_ID", "INVALID_FLAGS":
		return "malformed message"
	}
	return ""
}

// problemOf names a category as a sentence says it.
var problemOf = map[string]string{
	"proposal":          "a proposal mismatch",
	"authentication":    "an authentication failure",
	"traffic selectors": "a traffic selector mismatch",
	"malformed message": "a malformed message",
}

// codeCategory is what a finding code says went wrong.
func codeCategory(code string) string {
	switch code {
	case P1ProposalMismatch, P2ProposalMismatch, P2PFSMismatch, P1DHGroupMismatch:
		return "proposal"
	case P1AuthFailed:
		return "authentication"
	case P2TSMismatch:
		return "traffic selectors"
	}
	return ""
}

// misleadingNotify finds an error notify, on the wire or in the logs,
// that names another problem than the log's stated cause: engineers
// chase the notify, so the contradiction is worth its own finding.
func misleadingNotify(a *correlate.Analysis, sa *correlate.IKESA, cause *correlate.LogEvent) (Finding, bool) {
	want := codeCategory(cause.Cause)
	if want == "" || cause.Basis != "local check" {
		return Finding{}, false
	}
	for _, ex := range sa.Exchanges {
		for _, m := range ex.Messages {
			for _, n := range m.Notifies {
				if !n.Error {
					continue
				}
				if got := notifyCategory(n.Name, sa.Version); got != "" && got != want {
					return misleading(sa, cause, n.Name, got, want, fmt.Sprintf("frame %s", decode.FrameLabel(m.Frames[0])), m.Frames[0]), true
				}
			}
		}
	}
	for _, i := range a.LogsOf(sa.ID) {
		e := &a.Logs[i]
		for _, n := range e.Notifies {
			name := n[strings.IndexByte(n, ':')+1:]
			if got := notifyCategory(name, sa.Version); got != "" && got != want {
				return misleading(sa, cause, name, got, want, fmt.Sprintf("%s:%d", e.Log, e.Line), e.Frame), true
			}
		}
	}
	return Finding{}, false
}

func misleading(sa *correlate.IKESA, cause *correlate.LogEvent, notify, got, want, where string, frame int) Finding {
	f := Finding{Code: MisleadingNotify, Severity: Warning, Certainty: Certain, IKESA: sa.ID,
		Summary: fmt.Sprintf("%s ↔ %s: the notify %s (%s) suggests %s, but the %s's log states %s: %s",
			sa.Initiator.Addr(), sa.Responder.Addr(), notify, where, problemOf[got], sideOr(cause.Side, "gateway"), problemOf[want], cause.Reason),
		Causes: []Cause{{"the daemon reports this failure with the nearest notify it has", "the notify on the wire is not the root cause; the log line is"}},
		Logs:   []string{logRef(cause)}}
	if frame != 0 {
		f.Frames = []int{frame}
	}
	return f
}

// loggedFirst puts first the cause a log's stated reason picks among
// those the wire left open: an authentication failure the responder's log
// blames on the identity ("no matching peer config found") is an identity
// mismatch, not the pre-shared key the wire makes most likely.
func loggedFirst(causes []Cause, reason string) []Cause {
	if !strings.Contains(reason, "identity") {
		return causes
	}
	for i, c := range causes {
		if i > 0 && strings.Contains(c.Cause, "identity") {
			out := append([]Cause{c}, causes[:i]...)
			return append(out, causes[i+1:]...)
		}
	}
	return causes
}
