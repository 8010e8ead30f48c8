// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT

//go:build linux

package cspchan

import (
	"context"
	"errors"
	"io"
	"os"
	"syscall"
)

// Reply channels (SPEC 12): a channel created with Attr.Reply travels
// inside a message of another channel. SendMsg attaches one to a message;
// the receiver's Recv returns a new send-only handle of it in
// Message.Reply. Call is request and response in one call.

// SendMsg sends msg as Send does, with the reply channel reply attached
// (nil attaches nothing, and SendMsg is Send). The receiver's Recv gets a
// send-only handle of reply in Message.Reply and answers on it.
//
// reply must be a channel created with Attr.Reply (else syscall.EINVAL),
// and c must not be one (a reply channel's messages carry none). Without
// FeatReply SendMsg with a reply channel fails with ErrNotSupported.
//
// On an unbuffered channel the message can only be handed to a receiver
// that waits in the kernel (a C program's receive, say), not to a Go Recv,
// which waits in the poller: between Go programs, use a buffered request
// channel.
func (c *Chan) SendMsg(ctx context.Context, msg []byte, reply *Chan) error {
	const op = "sendmsg"
	if reply == nil {
		return c.Send(ctx, msg)
	}
	if !hasFeature(FeatReply) {
		return c.notSupported(op)
	}
	return c.sendWith(ctx, op, msg, func() error { return c.trySendMsg(msg, reply) })
}

// trySendMsg is one non-blocking CSPCHAN_IOC_SEND of msg carrying reply.
func (c *Chan) trySendMsg(msg []byte, reply *Chan) error {
	if !c.acquire() {
		return os.ErrClosed
	}
	defer c.release()
	if !reply.acquire() {
		return os.ErrClosed
	}
	defer reply.release()
	return c.sendXfer(msg, kXfer{flags: xferAttach, fd: int32(reply.fd)})
}

// adoptReply wraps a reply channel's handle that a receive installed
// (send-only, close-on-exec, an open file description of its own) as a
// Chan: non-blocking, as every handle of this package. nil if that fails;
// the descriptor is then closed, which lets the reply channel go.
func adoptReply(fd int) *Chan {
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return nil
	}
	r, err := newChan(fd, "", "recv")
	if err != nil {
		return nil
	}
	return r
}

// Call sends req on c with a fresh reply channel attached and waits for
// the reply, ctx covering both the send (a full channel) and the wait for
// the reply (SPEC 12). The reply may be up to MsgSize bytes, c's own
// message size; CallInto takes a buffer instead.
//
// A request dropped without a reply (its server closed Message.Reply
// without answering, or died, or received it with Select) fails at once
// with an error matching syscall.ECONNRESET. When ctx ends first, the
// error matches ctx's (ErrTimeout for a deadline); a request still queued
// then stays queued, and its server's reply fails with ErrShutdown.
// Without FeatReply Call fails with ErrNotSupported.
func (c *Chan) Call(ctx context.Context, req []byte) ([]byte, error) {
	buf := make([]byte, c.msgSize)
	n, err := c.CallInto(ctx, req, buf)
	if err != nil {
		return nil, err
	}
	return buf[:n:n], nil
}

// CallInto is Call with the reply stored in buf, whose length bounds the
// reply (a longer one fails on the server's side with syscall.EMSGSIZE);
// it returns the reply's length.
func (c *Chan) CallInto(ctx context.Context, req, buf []byte) (int, error) {
	const op = "call"
	if !hasFeature(FeatReply) {
		return 0, c.notSupported(op)
	}
	if len(buf) == 0 {
		return 0, wrap(op, c.name, syscall.EINVAL)
	}
	size := len(buf)
	if f, err := ReadFeatures(); err == nil && f.MaxMsgSize > 0 && size > f.MaxMsgSize {
		size = f.MaxMsgSize
	}
	r, err := Create("", Attr{Capacity: 1, MsgSize: size, Reply: true})
	if err != nil {
		return 0, rewrap(op, c.name, err)
	}
	// Closing the last receive-capable handle shuts the reply channel
	// down: a late reply fails with EPIPE.
	defer r.Close()
	if err := c.SendMsg(ctx, req, r); err != nil {
		return 0, rewrap(op, c.name, err)
	}
	m, err := r.RecvInto(ctx, buf)
	if errors.Is(err, io.EOF) {
		// Every reference to the reply channel is gone: no reply.
		return 0, wrap(op, c.name, syscall.ECONNRESET)
	}
	if err != nil {
		return 0, rewrap(op, c.name, err)
	}
	return len(m.Data), nil
}

// rewrap reports err, which an inner operation returned, as op's on name.
func rewrap(op, name string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		err = e.Err
	}
	return wrap(op, name, err)
}
