// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT

//go:build linux

package cspchan

import (
	"syscall"
	"unsafe"
)

// Leases, paced channels and reply channels (SPEC 9, 11, 12).
//
// Leases are in the module when it announces FeatLease, paced channels
// when it announces FeatPace, reply channels (reply.go) when it announces
// FeatReply. Until the module announces a feature in CSPCHAN_IOC_FEATURES
// (ReadFeatures), each method fails with an error matching
// ErrNotSupported and syscall.ENOTSUP, and does nothing: a lease is not
// acknowledged by pretending, and a rate is not imitated in user space.

// Ack acknowledges the lease of a message received on a lease channel
// (Message.Lease; SPEC 9): the message is done with and will not be
// delivered again. c must be the handle that received it. A lease that
// has ended (acknowledged, given back, revoked after Attr.LeaseMs) fails
// with syscall.ESTALE, one never issued with syscall.EINVAL, a live lease
// of another handle with syscall.EPERM; each changes nothing. Without
// FeatLease, Ack fails with ErrNotSupported.
func (c *Chan) Ack(lease uint64) error { return c.endLease("ack", iocAck, lease) }

// Nack ends the lease of a message received on a lease channel by
// returning the message to the head of the channel at once, for another
// delivery (SPEC 9). Its errors are those of Ack.
func (c *Chan) Nack(lease uint64) error { return c.endLease("nack", iocNack, lease) }

func (c *Chan) endLease(op string, req uintptr, lease uint64) error {
	if !hasFeature(FeatLease) {
		return c.notSupported(op)
	}
	if !c.acquire() {
		return errClosed(op, c.name)
	}
	defer c.release()
	k := kLeaseReq{lease: lease}
	for {
		// EINTR: interrupted waiting for the channel's lock, nothing done.
		_, e := ioctl(c.fd, req, unsafe.Pointer(&k))
		if e == syscall.EINTR {
			continue
		}
		if e != 0 {
			return wrap(op, c.name, e)
		}
		return nil
	}
}

// SetDeadLetter names the channel that takes the messages of the lease
// channel c given up after Attr.MaxDeliveries deliveries (SPEC 9): dlq
// must be a send-capable handle of another channel; nil clears it. The
// channel remembers dlq's channel by its ID (Stat.DeadLetter), so dlq may
// be closed afterwards. Without FeatLease it fails with ErrNotSupported.
func (c *Chan) SetDeadLetter(dlq *Chan) error {
	const op = "setdeadletter"
	if !hasFeature(FeatLease) {
		return c.notSupported(op)
	}
	if !c.acquire() {
		return errClosed(op, c.name)
	}
	defer c.release()
	k := kDeadLetterReq{fd: -1}
	if dlq != nil {
		if !dlq.acquire() {
			return errClosed(op, dlq.name)
		}
		defer dlq.release()
		k.fd = int32(dlq.fd)
	}
	_, e := ioctl(c.fd, iocSetDLQ, unsafe.Pointer(&k))
	if e != 0 {
		return wrap(op, c.name, e)
	}
	return nil
}

// SetRate paces the channel: at most rate messages per second leave it,
// summed over all its receivers in every process, in bursts of at most
// burst (0 means 1; SPEC 11). rate 0 removes the limit. It takes effect at
// once: the token bucket is refilled to burst, and receivers waiting for a
// token are served at the new rate. An unbuffered channel cannot be
// paced (syscall.EINVAL). Without FeatPace it fails with ErrNotSupported.
func (c *Chan) SetRate(rate, burst uint32) error {
	const op = "setrate"
	if !hasFeature(FeatPace) {
		return c.notSupported(op)
	}
	if !c.acquire() {
		return errClosed(op, c.name)
	}
	defer c.release()
	k := kRateReq{rate: rate, burst: burst}
	for {
		// EINTR: interrupted waiting for the channel's lock, nothing done.
		_, e := ioctl(c.fd, iocSetRate, unsafe.Pointer(&k))
		if e == syscall.EINTR {
			continue
		}
		if e != 0 {
			return wrap(op, c.name, e)
		}
		return nil
	}
}

func (c *Chan) notSupported(op string) error {
	return wrap(op, c.name, syscall.EOPNOTSUPP)
}
