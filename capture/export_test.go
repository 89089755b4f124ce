package capture

// SetSpanWindow makes Span read n bytes of a file's end, for the tests of
// the tail search on small files; it returns a func that restores it.
func SetSpanWindow(n int64) (restore func()) {
	old := spanWindow
	spanWindow = n
	return func() { spanWindow = old }
}
