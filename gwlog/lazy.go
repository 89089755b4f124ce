package gwlog

import (
	"regexp"
	"sync"
)

// lazyRegexp compiles expr the first time it is used. The readers have
// dozens of expressions; compiled when the package is loaded they cost
// every run of the tool a few milliseconds, with or without a log.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
