package gwlog

// Cause returns the strongest cause the log states for an IKE SA (ikesa 0:
// for any): a failed local check before a refusal notified by the peer
// before a timeout, the earliest line among equals. A daemon's own check is
// the root cause; the peer's notify and the timeout are what the other side
// saw of it.
func (a Alignment) Cause(ikesa int) (Aligned, bool) {
	best := -1
	for i, e := range a.Events {
		if e.Event.Cause == "" || e.Event.Basis == BasisNone || (ikesa != 0 && e.IKESA != ikesa) {
			continue
		}
		if best < 0 || e.Event.Basis < a.Events[best].Event.Basis {
			best = i
		}
	}
	if best < 0 {
		return Aligned{}, false
	}
	return a.Events[best], true
}
