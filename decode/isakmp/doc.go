// Package isakmp decodes ISAKMP messages: IKEv1 (RFC 2408, 2409, 2407) and
// IKEv2 (RFC 7296 and the IANA registries) from the bytes of one UDP payload.
//
// It owns the wire format only: the fixed header, the generic payload chain and
// every payload body, with names from the registries. It never prints and never
// looks at anything below UDP. Every length is checked against what remains; a
// malformed payload becomes an Error with its byte offset inside the message and
// decoding continues with what can still be trusted, so one bad payload never
// hides the rest of a message.
//
// Encrypted content (the IKEv1 E flag, the IKEv2 SK and SKF payloads) is kept as
// opaque bytes with its length and the type of the first inner payload, which is
// in clear; decryption belongs elsewhere.
package isakmp
