package capture

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// ErrNoPacket is returned by a live Source's Next when it has nothing to
// return now: no packet arrived within its read timeout, or it pauses so
// that the run reading it can be snapshotted. Next may be called again.
var ErrNoPacket = errors.New("no packet yet")

// LiveOptions configure a capture on a network interface.
type LiveOptions struct {
	// IKEPorts and NATTPorts are added to 500 and 4500 in the kernel
	// filter (IPsecFilter).
	IKEPorts, NATTPorts []uint16
	// Expr replaces the built-in filter with a BPF filter expression
	// (tcpdump syntax); only the libpcap build compiles expressions.
	Expr string
	// Count stops the capture after this many packets (0: no limit).
	Count int
	// Duration stops the capture after this long (0: no limit).
	Duration time.Duration
	// NoPromiscuous leaves the interface's promiscuous mode alone.
	NoPromiscuous bool
}

// Live reads a network interface. Next returns the packets the kernel
// filter let through, numbered from 1, with the kernel's time stamps;
// ErrNoPacket when none arrived within a read timeout (a tenth of a
// second) or every tenth of a second under load, so a pipeline.Run reading
// it can be snapshotted; io.EOF once the context is cancelled (after the
// packets already queued), the duration is over or the count reached.
// Next, Drops and Close are not safe for concurrent use (a pipeline.Run
// serialises them); cancel the context to stop a capture from elsewhere.
type Live struct {
	Name string
	impl liveImpl

	ctx      context.Context
	opt      LiveOptions
	deadline time.Time // zero: none
	frames   int
	stopAt   time.Time // set once stopping: packets stamped after it are not returned
	stopBy   time.Time // wall-clock bound of draining what is queued
	yield    time.Time // when Next last gave the caller a pause
	rec      Record
	done     bool
}

// liveImpl is the capture backend: AF_PACKET (pcapgo) or libpcap.
type liveImpl interface {
	// read waits up to timeout for a packet; it returns nil data (and no
	// error) when none came.
	read(timeout time.Duration) (data []byte, ts time.Time, origLen int, err error)
	linkType() LinkType
	drops() uint64 // cumulative
	close() error
}

// Read timing of live sources.
const (
	liveReadTimeout = 100 * time.Millisecond
	liveYieldEvery  = 100 * time.Millisecond
	liveDrainMax    = 2 * time.Second
)

// OpenLive starts capturing on the interface. Without the capabilities it
// returns a *PermissionError.
func OpenLive(ctx context.Context, iface string, opt LiveOptions) (*Live, error) {
	impl, err := openLive(iface, opt)
	if err != nil {
		return nil, err
	}
	l := &Live{Name: iface, impl: impl, ctx: ctx, opt: opt, yield: time.Now()}
	if opt.Duration > 0 {
		l.deadline = time.Now().Add(opt.Duration)
	}
	return l, nil
}

// LinkType is the link type of the records (Ethernet, or raw IP on a
// tunnel interface).
func (l *Live) LinkType() LinkType { return l.impl.linkType() }

// Drops is how many packets the kernel dropped because the reader did not
// keep up (cumulative since the capture started).
func (l *Live) Drops() uint64 { return l.impl.drops() }

// Frames is how many packets Next returned.
func (l *Live) Frames() int { return l.frames }

// Next returns the next packet; see Live.
func (l *Live) Next() (*Record, error) {
	for {
		if l.done {
			return nil, io.EOF
		}
		now := time.Now()
		if l.opt.Count > 0 && l.frames >= l.opt.Count {
			l.done = true
			continue
		}
		if l.stopAt.IsZero() {
			switch {
			case l.ctx.Err() != nil:
				l.stopAt, l.stopBy = now, now.Add(liveDrainMax)
			case !l.deadline.IsZero() && !now.Before(l.deadline):
				l.stopAt, l.stopBy = l.deadline, now.Add(liveDrainMax)
			}
		}
		timeout := liveReadTimeout
		if !l.stopAt.IsZero() {
			// Stopping: what is queued in the socket, without waiting.
			if now.After(l.stopBy) {
				l.done = true
				continue
			}
			timeout = 0
		} else {
			if now.Sub(l.yield) >= liveYieldEvery {
				l.yield = now
				return nil, ErrNoPacket
			}
			if !l.deadline.IsZero() {
				timeout = min(timeout, max(l.deadline.Sub(now), 0))
			}
		}
		data, ts, orig, err := l.impl.read(timeout)
		if err != nil {
			l.done = true
			return nil, &Error{File: l.Name, Frame: l.frames + 1, Err: err}
		}
		if data == nil {
			if !l.stopAt.IsZero() {
				l.done = true
				continue
			}
			l.yield = time.Now()
			return nil, ErrNoPacket
		}
		if !l.stopAt.IsZero() && ts.After(l.stopAt) {
			continue // arrived after the stop
		}
		if !l.deadline.IsZero() && l.stopAt.IsZero() && ts.After(l.deadline) {
			l.stopAt, l.stopBy = l.deadline, now.Add(liveDrainMax)
			continue
		}
		l.frames++
		l.rec = Record{Frame: l.frames, Time: ts, LinkType: l.impl.linkType(), Data: data, OrigLen: orig}
		return &l.rec, nil
	}
}

// Close stops the capture and releases the socket.
func (l *Live) Close() error {
	l.done = true
	return l.impl.close()
}

var _ interface {
	Source
	DropCounter
} = (*Live)(nil)

// PermissionError is the error of a capture the process may not open.
type PermissionError struct {
	Iface string
	Err   error
}

func (e *PermissionError) Error() string {
	return fmt.Sprintf("capturing on %s needs CAP_NET_RAW: run as root or grant it (sudo setcap cap_net_raw,cap_net_admin=eip $(which ipsecpcap))", e.Iface)
}

func (e *PermissionError) Unwrap() error { return e.Err }
