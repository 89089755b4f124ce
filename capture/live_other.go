//go:build !linux && !libpcap

package capture

import (
	"errors"
	"runtime"
)

// LiveBackend names how live captures are taken in this build.
const LiveBackend = "none"

func openLive(iface string, opt LiveOptions) (liveImpl, error) {
	return nil, errors.New("live capture on " + runtime.GOOS + " needs the libpcap build: go build -tags libpcap ./cmd/ipsecpcap (cgo and libpcap)")
}
