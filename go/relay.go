// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT

//go:build linux

package cspchan

import (
	"context"
	"os"
)

// Relay channels: a channel created with Attr.Relay lets a sender supply
// each message's sequence number, pid and send time (CSPCHAN_XFER_ORIGIN),
// as a bridge does when it forwards messages that come from another
// channel, or from a channel on another machine, and keeps their origin.

// Relay sends msg as Send does, carrying origin's Seq, PID and SentNs
// instead of the kernel's stamp: every receiver sees them exactly as given
// (the pid untranslated, in any pid namespace), through leases,
// redelivery and dead letters too. A relayed message does not advance the
// channel's own sequence numbers: a later Send on the channel gets the
// seq it would have got without it. origin's other fields (Data, Lease,
// Deliveries, Reply) are ignored; PID is passed as the ABI's 32 bits, so
// that a Message received anywhere relays unchanged.
//
// c must be a channel created with Attr.Relay: on any other Relay fails
// with syscall.EINVAL and nothing is sent. Without FeatRelay it fails
// with ErrNotSupported. When ctx ends the wait for room, nothing was sent.
//
// On an unbuffered channel the message can only be handed to a receiver
// that waits in the kernel (a C program's receive, say), not to a Go Recv,
// which waits in the poller: the kernel's one-case select, which Send
// waits in there, always stamps its message. Between Go programs, give a
// relay channel a capacity.
func (c *Chan) Relay(ctx context.Context, msg []byte, origin Message) error {
	const op = "relay"
	if !hasFeature(FeatRelay) {
		return c.notSupported(op)
	}
	return c.sendWith(ctx, op, msg, func() error { return c.tryRelay(msg, &origin) })
}

// tryRelay is one non-blocking CSPCHAN_IOC_SEND of msg with origin's seq,
// sent_ns and pid (CSPCHAN_XFER_ORIGIN).
func (c *Chan) tryRelay(msg []byte, origin *Message) error {
	if !c.acquire() {
		return os.ErrClosed
	}
	defer c.release()
	return c.sendXfer(msg, kXfer{
		flags:  xferOrigin,
		seq:    origin.Seq,
		sentNs: uint64(origin.SentNs),
		pid:    uint32(origin.PID),
	})
}
