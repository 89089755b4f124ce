//go:build !linux

package capture_test

import "errors"

func limitAddressSpace(extra uint64) error {
	return errors.New("address space limits are only set on Linux")
}
