// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT

//go:build linux

package cspchan

import (
	"context"
	"syscall"
)

// Leases, paced channels and reply channels (SPEC 9, 11, 12).
//
// The module does not implement them yet (docs/patterns-plan.md):
// <linux/cspchan.h> defines neither their feature bits nor their ioctls.
// These methods are the API they will have. Until the module announces a
// feature in CSPCHAN_IOC_FEATURES (ReadFeatures) and this package knows
// its ABI, each fails with an error matching ErrNotSupported and
// syscall.ENOTSUP, and does nothing: a lease is not acknowledged by
// pretending, and a rate is not imitated in user space.

// Ack acknowledges the lease of a received message (SPEC 9): the message
// is done with and will not be delivered again.
func (c *Chan) Ack(lease uint64) error { return c.notSupported("ack") }

// Nack ends the lease of a received message by returning the message to
// the head of the channel at once (SPEC 9).
func (c *Chan) Nack(lease uint64) error { return c.notSupported("nack") }

// SetRate paces the channel: at most rate messages per second leave it,
// in bursts of at most burst (SPEC 11); rate 0 removes the limit.
func (c *Chan) SetRate(rate, burst int) error { return c.notSupported("setrate") }

// Call sends req with a fresh reply channel attached and waits for the
// reply, or until ctx is done (SPEC 12).
func (c *Chan) Call(ctx context.Context, req []byte) ([]byte, error) {
	return nil, c.notSupported("call")
}

func (c *Chan) notSupported(op string) error {
	return wrap(op, c.name, syscall.EOPNOTSUPP)
}
