package pipeline

import (
	"time"

	"github.com/ipsecpcap/ipsecpcap/capture"
	"github.com/ipsecpcap/ipsecpcap/decode"
)

// Scan reads a capture once more with the run's loop (read, decode, and
// decrypt when opt says so) and passes each IPsec packet, with the record
// it came from, to fn instead of correlating it: a second pass once an
// analysis has said what to look for (report --slice). Frames are numbered
// as capture k of a run over several numbers them (decode.FrameID; 0: the
// only capture). The packet and the record are valid during the call only.
// Scan stops at the first error fn returns, and returns it; the captures'
// read errors are the analysis's business and end the scan quietly, as
// they ended the run.
func Scan(p Point, k int, opt Options, fn func(p *decode.Packet, rec *capture.Record) error) error {
	opt.NoDigest, opt.Packet, opt.KeepFrames = true, nil, false
	r := &Run{}
	s, err := openPoint(p, opt, func(*source, *capture.Record, time.Duration) {})
	if err != nil {
		return err
	}
	r.init([]*source{s}, opt)
	s.index = k
	r.scan = fn
	defer r.Close()
	return r.RunToEnd()
}
