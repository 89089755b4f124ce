package correlate

import (
	"time"

	"github.com/ipsecpcap/ipsecpcap/decode"
)

// IKE is correlated in capture time even when a file's records are not in
// time order (captures merged by hand, multi-queue capture cards): the IKE
// messages and the ICMP errors that quote them wait in a short window and
// are taken in time order. IKE is rare, so the window costs nothing; ESP
// is taken at once (its rules read the flows at snapshot time, in any
// order). A record later than the window is taken when it comes.

// reorderWindow is how long, in capture time, an IKE message waits for
// earlier ones; maxPending bounds how many wait (an IKE flood).
const (
	reorderWindow = 2 * time.Second
	maxPending    = 4096
)

// hold puts an IKE message or ICMP error in the window and takes those
// whose time has come.
func (c *Correlator) hold(p *decode.Packet) {
	i := len(c.pending)
	c.pending = append(c.pending, p)
	for i > 0 && before(p, c.pending[i-1]) {
		c.pending[i] = c.pending[i-1]
		i--
	}
	c.pending[i] = p
	c.release(c.a.LastTime.Add(-reorderWindow))
}

// before orders packets by time, then frame.
func before(p, q *decode.Packet) bool {
	if !p.Time.Equal(q.Time) {
		return p.Time.Before(q.Time)
	}
	return p.Frame < q.Frame
}

// release takes the waiting packets up to time until (all of them for a
// zero time), and the oldest beyond maxPending.
func (c *Correlator) release(until time.Time) {
	n := 0
	for n < len(c.pending) {
		p := c.pending[n]
		if !until.IsZero() && p.Time.After(until) && len(c.pending)-n <= maxPending {
			break
		}
		c.pending[n] = nil
		n++
		if p.Kind == decode.KindIKE {
			c.addIKE(p)
		} else {
			c.addICMP(p)
		}
	}
	if n > 0 {
		c.pending = append(c.pending[:0], c.pending[n:]...)
	}
}

// flush takes every waiting packet: a snapshot shows all that was added.
func (c *Correlator) flush() { c.release(time.Time{}) }
