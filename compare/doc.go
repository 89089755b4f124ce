// Package compare holds tests that check ipsecpcap's decoding against tshark, field by field.
package compare
