package capture

// reorderHeap is a min-heap of items by capture time, then frame number,
// then the order they were read in.
type reorderHeap []*reorderItem

func (h reorderHeap) less(i, j int) bool {
	a, b := h[i], h[j]
	if !a.rec.Time.Equal(b.rec.Time) {
		return a.rec.Time.Before(b.rec.Time)
	}
	if a.rec.Frame != b.rec.Frame {
		return a.rec.Frame < b.rec.Frame
	}
	return a.seq < b.seq
}

func (h *reorderHeap) push(it *reorderItem) {
	*h = append(*h, it)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if !s.less(i, p) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *reorderHeap) pop() *reorderItem {
	s := *h
	top := s[0]
	n := len(s) - 1
	s[0] = s[n]
	s[n] = nil
	s = s[:n]
	for i := 0; ; {
		l, m := 2*i+1, i
		if l < n && s.less(l, m) {
			m = l
		}
		if l+1 < n && s.less(l+1, m) {
			m = l + 1
		}
		if m == i {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}
