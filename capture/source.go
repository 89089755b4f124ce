package capture

// Source yields records one at a time: a capture file (*File) or a live
// interface. Next returns io.EOF at the end, an error Resumable reports for
// a bad stretch read past, or another error where reading broke off. The
// returned Record is valid until the next call.
type Source interface {
	Next() (*Record, error)
	Close() error
}

// DropCounter is implemented by sources that know how many packets were
// lost before they reached the capture (pcapng interface statistics, the
// kernel's counters on a live socket).
type DropCounter interface {
	Drops() uint64
}

var _ interface {
	Source
	DropCounter
} = (*File)(nil)
