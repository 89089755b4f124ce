package capture

// SetSpanWindow makes Span read n bytes of a file's end, for the tests of
// the tail search on small files; it returns a func that restores it.
func SetSpanWindow(n int64) (restore func()) {
	old := spanWindow
	spanWindow = n
	return func() { spanWindow = old }
}

// ReorderCopies is how many records r copied into its buffers.
func ReorderCopies(r *Reorder) int { return r.copies }

// ReorderHeld is how many records and buffer bytes r holds.
func ReorderHeld(r *Reorder) (int, int64) { return len(r.held), r.heldSize }
