// Package profile holds a benchmark of the whole analysis (pipeline.Analyze,
// what `ipsecpcap analyze` runs) on a generated capture, for CPU and
// allocation profiles of the hot path:
//
//	BENCH_FILE=/tmp/x.pcap go test ./bench/profile -run '^$' -bench Analyze \
//	    -benchmem -cpuprofile cpu.out -memprofile mem.out
//	go tool pprof -top cpu.out
//
// Without BENCH_FILE it generates a 50 MB capture in a temporary directory.
package profile
