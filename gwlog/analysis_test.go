package gwlog

import (
	"errors"
	"io"

	"github.com/ipsecpcap/ipsecpcap/capture"
	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/decode"
)

// analyzed is what the tests need of an analysis of a capture.
type analyzed struct{ Analysis *correlate.Analysis }

// analyzeCapture correlates a capture without keys (package pipeline
// cannot be used here: it imports this package).
func analyzeCapture(path string) (*analyzed, error) {
	f, err := capture.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dec := decode.NewDecoder(decode.Config{})
	cor := correlate.New(correlate.Config{})
	for {
		rec, err := f.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if p, _ := dec.Decode(rec); p != nil {
			cor.Add(p)
		}
	}
	return &analyzed{cor.Snapshot()}, nil
}
