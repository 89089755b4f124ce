package isakmp

import "time"

// Bounds for putting the fragments of an IKEv1 message (CiscoFragment)
// back together, wherever it is done (package decrypt, to decrypt the
// whole message; package correlate, to make one message of them), so that
// both give up on the same sets: fragments and bytes per message, messages
// being put back together at once, and how long an incomplete one is kept.
const (
	MaxV1FragmentSets        = 256
	MaxV1FragmentsPerMessage = 64
	MaxV1FragmentBytes       = 1 << 16
	V1FragmentTimeout        = 60 * time.Second
)
