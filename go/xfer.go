// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT

//go:build linux

package cspchan

import (
	"context"
	"errors"
	"os"
	"syscall"
	"time"
	"unsafe"
)

// Sending and receiving: one non-blocking attempt, then, if the channel
// is full (empty), a wait in the handle's readiness queue (poller.go) or,
// for a send on an unbuffered channel, in the kernel (park.go).

// Message is one received message with its metadata (SPEC 3.9).
type Message struct {
	Data   []byte // the payload
	Seq    uint64 // per-channel sequence number, in the order sends completed
	PID    int    // the sender's process id, in the receiver's pid namespace
	SentNs int64  // CLOCK_MONOTONIC time of the send, in nanoseconds

	// Lease is the message's lease on a lease channel (Attr.Lease), for
	// Ack or Nack on the handle that received it; 0 on other channels
	// and from Select, whose receives take the handle's implicit lease.
	Lease uint64
	// Deliveries counts the deliveries of this message, this one
	// included: 1 the first time, more after it came back (SPEC 9).
	Deliveries int

	// Reply is the reply channel the message carried (SendMsg, Call;
	// SPEC 12): a new send-only handle, which the receiver answers on
	// and then closes. Closing it without an answer tells the caller at
	// once that none will come. nil when the message carried none, from
	// Select, and without FeatReply.
	Reply *Chan
}

// Age returns how long ago the message was sent: the time it spent
// queued, and since received.
func (m Message) Age() time.Duration { return time.Duration(monotonicNs() - m.SentNs) }

// monotonicNs reads CLOCK_MONOTONIC, the clock of Message.SentNs.
func monotonicNs() int64 {
	var ts syscall.Timespec
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 1 /* CLOCK_MONOTONIC */, uintptr(unsafe.Pointer(&ts)), 0)
	return ts.Nano()
}

// Send sends msg, waiting while the channel is full (on an unbuffered
// channel: until a receiver has taken it), or until ctx is done. msg must
// hold 1 to MsgSize bytes. On a channel that is shut down Send fails with
// an error matching ErrShutdown (syscall.EPIPE). The message is sent whole
// or not at all; when ctx ends the wait, nothing was sent.
func (c *Chan) Send(ctx context.Context, msg []byte) error {
	escapes(msg)
	if err := ctx.Err(); err != nil {
		return wrap("send", c.name, err)
	}
	err := c.trySend(msg)
	if err == syscall.EAGAIN {
		if c.capacity == 0 {
			err = c.parkSend(ctx, msg)
		} else {
			err = c.sendq.wait(ctx, c, func() error { return c.trySend(msg) })
		}
	}
	return wrap("send", c.name, err)
}

// trySend is one non-blocking send: write(2) on the non-blocking handle.
func (c *Chan) trySend(msg []byte) error {
	if !c.acquire() {
		return os.ErrClosed
	}
	defer c.release()
	for {
		_, err := syscall.Write(c.fd, msg)
		if err != syscall.EINTR {
			return err
		}
	}
}

// sendWith is Send's shape for the sends with more than a payload (SendMsg,
// Relay): try, one non-blocking attempt, then a wait for room in the
// poller while the channel is full, or until ctx is done.
func (c *Chan) sendWith(ctx context.Context, op string, msg []byte, try func() error) error {
	escapes(msg)
	if err := ctx.Err(); err != nil {
		return wrap(op, c.name, err)
	}
	err := try()
	if err == syscall.EAGAIN {
		err = c.sendq.wait(ctx, c, try)
	}
	return wrap(op, c.name, err)
}

// sendXfer is one non-blocking CSPCHAN_IOC_SEND of msg, x holding the
// flags and the fields besides buf and len; the caller holds c.
func (c *Chan) sendXfer(msg []byte, x kXfer) error {
	if uint64(len(msg)) > 1<<32-1 {
		return syscall.EMSGSIZE
	}
	x.len = uint32(len(msg))
	for {
		if len(msg) > 0 {
			x.buf = uint64(uintptr(unsafe.Pointer(&msg[0])))
		}
		_, e := ioctl(c.fd, iocSend, unsafe.Pointer(&x))
		if e == syscall.EINTR {
			continue
		}
		if e != 0 {
			return e
		}
		return nil
	}
}

// parkSend sends on an unbuffered channel whose receivers are not parked
// in the kernel (a Go receiver never is: it waits in the poller). The
// sender must then wait in the kernel, as an offer that EPOLLIN reports to
// receivers: a one-case CSPCHAN_IOC_SELECT, which ignores the handle's
// O_NONBLOCK, on a locked thread that ctx's end interrupts.
func (c *Chan) parkSend(ctx context.Context, msg []byte) error {
	sel := newSelection(1)
	sel.cases[0] = Case{Dir: SelectSend, Chan: c, Msg: msg}
	sel.chans = append(sel.chans, c)
	_, err := sel.park(ctx)
	if err == nil && sel.result < 0 {
		err = syscall.Errno(-sel.result)
	}
	return err
}

// Recv receives the next message and its metadata, waiting while the
// channel is empty, or until ctx is done. Once the channel is shut down and
// drained, Recv fails with an error matching both ErrShutdown and io.EOF
// (end of stream). When ctx ends the wait, nothing was received.
//
// On a lease channel the message stays leased to this handle until Ack
// (or Nack) with m.Lease, and comes back to the channel if the handle is
// closed first; end of stream then waits until nothing is leased.
func (c *Chan) Recv(ctx context.Context) (Message, error) {
	bp := c.bufs.Get().(*[]byte)
	m, err := c.RecvInto(ctx, *bp)
	if err == nil {
		m.Data = append([]byte(nil), m.Data...)
	}
	c.bufs.Put(bp)
	return m, err
}

// RecvInto is Recv into buf, which the returned Message's Data then
// aliases; it does not allocate. A buf shorter than the next message fails
// with syscall.EMSGSIZE and leaves the message in the channel.
func (c *Chan) RecvInto(ctx context.Context, buf []byte) (Message, error) {
	escapes(buf)
	var m Message
	if err := ctx.Err(); err != nil {
		return m, wrap("recv", c.name, err)
	}
	err := c.tryRecv(buf, &m)
	if err == syscall.EAGAIN {
		m, err = c.recvWait(ctx, buf)
	}
	if err == errEndOfStream {
		return m, errEOF("recv", c.name)
	}
	return m, wrap("recv", c.name, err)
}

// recvWait is RecvInto's slow path, apart so that the fast path does not
// allocate.
func (c *Chan) recvWait(ctx context.Context, buf []byte) (Message, error) {
	var m Message
	err := c.recvq.wait(ctx, c, func() error { return c.tryRecv(buf, &m) })
	return m, err
}

// errEndOfStream is tryRecv's report of a receive that returned 0.
var errEndOfStream = errors.New("cspchan: end of stream")

// tryRecv is one non-blocking CSPCHAN_IOC_RECV into buf, which fills m.
func (c *Chan) tryRecv(buf []byte, m *Message) error {
	if !c.acquire() {
		return os.ErrClosed
	}
	defer c.release()
	var x kXfer
	x.len = clampLen(len(buf))
	if c.lease {
		x.flags = xferLease
	}
	if hasFeature(FeatReply) {
		x.flags |= xferFD
	}
	for {
		if len(buf) > 0 {
			x.buf = uint64(uintptr(unsafe.Pointer(&buf[0])))
		}
		n, e := ioctl(c.fd, iocRecv, unsafe.Pointer(&x))
		switch {
		case e == syscall.EINTR:
			continue
		case e != 0:
			return e
		case n == 0:
			return errEndOfStream
		}
		*m = Message{Data: buf[:n], Seq: x.seq, PID: int(x.pid), SentNs: int64(x.sentNs),
			Lease: x.lease, Deliveries: int(x.deliveries)}
		if m.Deliveries == 0 { // a module older than leases
			m.Deliveries = 1
		}
		if x.flags&xferFD != 0 && x.fd >= 0 {
			m.Reply = adoptReply(int(x.fd))
		}
		return nil
	}
}

// clampLen converts a buffer length to the ABI's: no message is longer
// than 1<<32-1 bytes, so a larger buffer is as good as one of that size.
func clampLen(n int) uint32 {
	if uint64(n) > 1<<32-1 {
		return 1<<32 - 1
	}
	return uint32(n)
}

// alwaysFalse is never set: escapes' store never runs, but the compiler
// cannot know that.
var (
	alwaysFalse bool
	escapeSink  []byte
)

// escapes makes b's backing array escape to the heap in every caller, so
// that an address taken from it for a system call (a uint64 field of an
// ABI structure, which nothing adjusts when a stack moves) stays valid.
func escapes(b []byte) {
	if alwaysFalse {
		escapeSink = b
	}
}
