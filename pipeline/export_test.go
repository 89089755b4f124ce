package pipeline

// AnalyzeIn is Analyze read in ranges ranges (0: sequentially), with how
// the run read (Run.parallel): for the tests of package pipeline_test,
// which compare the documents of package analysisview (which imports this
// one).
func AnalyzeIn(name string, opt Options, ranges int) (*Result, string, error) {
	r, err := Start(name, opt)
	if err != nil {
		return nil, "", err
	}
	defer r.Close()
	r.ranges, r.noParallel = ranges, ranges == 0
	if err := r.RunToEnd(); err != nil {
		return nil, r.parallel, err
	}
	return r.Final(), r.parallel, nil
}

// SetESPHead sets the head ESP range summaries keep, and returns a function
// that restores it.
func SetESPHead(n int) func() {
	old := espHead
	espHead = n
	return func() { espHead = old }
}

// SetRangeBudget sets what ranges may keep for the merge besides 2 MiB per
// range, and returns a function that restores it.
func SetRangeBudget(n int64) func() {
	old := rangeBudget
	rangeBudget = n
	return func() { rangeBudget = old }
}
