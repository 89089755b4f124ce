// Package gwlog turns gateway logs into typed events and aligns them to the
// frames of a capture.
//
// It reads strongSwan charon logs (the file logger with or without a time
// format, and charon or charon-systemd lines in syslog or journald form, at
// any log level), libreswan pluto logs, and H3C/Comware "debugging ike all" /
// "debugging ipsec all" output, detecting the format line by line. Each line
// that says something about the negotiation becomes an Event: a packet sent
// or received with its addresses and size, the message charon generated or
// parsed (exchange, message ID, payloads, notifies), the notifies sent or
// received, the IKE SA it concerns, and — when the daemon states why
// something failed — a Cause, one of package diagnose's finding codes. A
// responder's "no matching CHILD_SA config found" is the certain answer that
// the wire, encrypted, only lets diagnose infer.
//
// Align matches the packet events to the frames they describe (direction,
// addresses, size, exchange, message ID and time) and estimates the log's
// clock offset from the matches instead of assuming the clocks agree, so
// every event, causes included, lands on an IKE SA and a frame.
//
// What it owns and what it does not: it parses and aligns; it never prints,
// and it never holds key material. Level-4 charon logs dump secrets (SK_ei,
// the shared DH secret, nonces, the PSK-derived SKEYIDs) as a header line
// "<label> => N bytes @ 0x…" followed by hex-dump lines: such lines are
// withheld before any parsing and only counted (Log.Withheld), so no Event
// field can carry key bytes. Reading the keys from such logs is package
// keys' job. Foreign or malformed lines are skipped and counted, never an
// error; memory per line is bounded, so a log of any size streams.
package gwlog
