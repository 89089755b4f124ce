package events

import (
	"time"

	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/diagnose"
)

// All returns every event of an analysis in time order: what `analyze
// --events` writes for a capture file. now stands in for the time of
// events that have none (a capture without IPsec).
func All(a *correlate.Analysis, fs []diagnose.Finding, src Source, now time.Time) []Event {
	ks := derive(a, fs, src, now, nil)
	out := make([]Event, len(ks))
	for i := range ks {
		out[i] = ks[i].ev
	}
	return out
}

// Stream gives each event of a live capture once, across the snapshots of
// its analysis: each finding once (by code and first frame, as `live
// --json` prints findings), each tunnel state change once (by the change,
// the peers and the frame that shows it).
type Stream struct {
	src      Source
	findings map[string]bool
	changes  map[string]time.Time // by key: the change's time
}

// forgetAfter is how long a state change the snapshots no longer show is
// remembered: a snapshot taken mid-exchange may read a change one way and
// the next one differently and then the first way again (a CREATE_CHILD_SA
// is a child SA rekey until the IKE SA it made is seen), which must not
// give the change twice; older ones are forgotten, so that a long
// capture's rekeys do not pile up in memory once the analysis has folded
// them.
const forgetAfter = 10 * time.Minute

// NewStream starts a stream.
func NewStream(src Source) *Stream {
	return &Stream{src: src, findings: map[string]bool{}, changes: map[string]time.Time{}}
}

// Next returns the events of a snapshot not given before, in time order.
// The findings given are remembered for the run (there are as many as the
// analysis's capped SAs allow).
func (s *Stream) Next(a *correlate.Analysis, fs []diagnose.Finding, now time.Time) []Event {
	current := make(map[string]bool, len(s.changes))
	ks := derive(a, fs, s.src, now, func(key string, kind int) bool {
		if kind == 1 {
			return !s.findings[key]
		}
		current[key] = true
		_, seen := s.changes[key]
		return !seen
	})
	out := make([]Event, 0, len(ks))
	for _, k := range ks {
		if k.kind == 1 {
			s.findings[k.key] = true
		} else {
			s.changes[k.key] = k.at
		}
		out = append(out, k.ev)
	}
	for key, at := range s.changes {
		if !current[key] && a.LastTime.Sub(at) > forgetAfter {
			delete(s.changes, key)
		}
	}
	return out
}
