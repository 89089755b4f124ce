package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// frameList is decode --frame: frames as the tool prints them, "17",
// "20-25", and with several files "2:17" (frame 17 of the second file) or
// "2:20-25"; a frame without a file is that frame of every file.
type frameList struct {
	ranges []frameRange
}

type frameRange struct {
	file   int // 1-based; 0: every file
	lo, hi int
}

func (l *frameList) String() string {
	var parts []string
	for _, r := range l.ranges {
		s := strconv.Itoa(r.lo)
		if r.hi != r.lo {
			s += "-" + strconv.Itoa(r.hi)
		}
		if r.file != 0 {
			s = strconv.Itoa(r.file) + ":" + s
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ",")
}

// Set adds a comma-separated list (the flag may be repeated).
func (l *frameList) Set(v string) error {
	for _, item := range strings.Split(v, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		var r frameRange
		if k, rest, ok := strings.Cut(item, ":"); ok {
			n, err := strconv.Atoi(k)
			if err != nil || n < 1 {
				return fmt.Errorf("%q: the file number before ':' counts from 1", item)
			}
			r.file, item = n, rest
		}
		lo, hi, isRange := strings.Cut(item, "-")
		var err error
		if r.lo, err = frameNumber(lo); err != nil {
			return err
		}
		r.hi = r.lo
		if isRange {
			if r.hi, err = frameNumber(hi); err != nil {
				return err
			}
			if r.hi < r.lo {
				return fmt.Errorf("%q: the range ends before it starts", lo+"-"+hi)
			}
		}
		l.ranges = append(l.ranges, r)
	}
	if len(l.ranges) == 0 {
		return errors.New("want frame numbers, e.g. 17,20-25 (with several files 2:17)")
	}
	return nil
}

func frameNumber(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%q is not a frame number (they count from 1)", s)
	}
	return n, nil
}

// check reports a file number beyond the files given.
func (l *frameList) check(files int) error {
	for _, r := range l.ranges {
		if r.file > files {
			return fmt.Errorf("--frame %d:%d: file %d of %d given", r.file, r.lo, r.file, files)
		}
	}
	return nil
}

// has reports whether frame n of file k (1-based) is in the list.
func (l *frameList) has(k, n int) bool {
	for _, r := range l.ranges {
		if (r.file == 0 || r.file == k) && n >= r.lo && n <= r.hi {
			return true
		}
	}
	return false
}

// last is the last frame of file k in the list, 0 when none.
func (l *frameList) last(k int) int {
	last := 0
	for _, r := range l.ranges {
		if r.file == 0 || r.file == k {
			last = max(last, r.hi)
		}
	}
	return last
}
