// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT

//go:build linux

package cspchan

import (
	"context"
	"errors"
	"io"
	"os"
)

// Adapters between channels and Go channels, so that code written for Go
// channels (for m := range jobs { results <- f(m) }) keeps its shape when
// its goroutines become processes.

// Messages returns a Go channel that delivers what c receives, so that a
// consumer can range over it. The Go channel is closed at end of stream,
// when ctx is done, or when a receive fails (Err then reports why).
//
// The adapter goroutine receives a message before a consumer is ready for
// it, so it holds at most one message at a time; that message is lost if
// ctx ends before a consumer takes it, or if the process dies, as a
// message a worker has received is (SPEC 3). On a lease channel it is not
// lost: the consumer acknowledges each message with Ack(m.Lease) when it
// is done with it, the adapter gives back (Nack) the one a consumer never
// took, and a dead process's messages go back to the channel. A consumer
// that stops ranging early cancels ctx, or the adapter waits for it
// forever.
func (c *Chan) Messages(ctx context.Context) <-chan Message {
	out := make(chan Message)
	go func() {
		defer close(out)
		for {
			m, err := c.Recv(ctx)
			if err != nil {
				if ctx.Err() == nil && !errors.Is(err, io.EOF) && !errors.Is(err, os.ErrClosed) {
					c.setErr(err)
				}
				return
			}
			select {
			case out <- m:
			case <-ctx.Done():
				if m.Lease != 0 {
					c.Nack(m.Lease)
				}
				return
			}
		}
	}()
	return out
}

// Sink returns a Go channel whose messages are sent on c, in order. The
// sender hands each slice over and must not modify it afterwards, as with
// any Go channel of slices.
//
// Closing the Go channel is Go's close: once what it holds is sent, the
// channel is shut down, so receivers drain it and see end of stream. A
// channel created with AutoClose is left alone instead: the kernel shuts it
// down when its last send-capable handle is released, which is how several
// producer processes close one channel together (the WaitGroup-then-close
// of the pipeline pattern, done by the kernel).
//
// Close waits for every Sink of the handle to finish: its Go channel closed
// and its messages sent, or its ctx done. After a send fails (Err reports
// why) or ctx ends, the adapter discards what it is given until the Go
// channel is closed, so senders never block forever.
func (c *Chan) Sink(ctx context.Context) chan<- []byte {
	in := make(chan []byte)
	c.sinks.Add(1)
	go func() {
		done := false
		finish := func() {
			if !done {
				done = true
				c.sinks.Done()
			}
		}
		defer finish()
		for {
			select {
			case msg, ok := <-in:
				if !ok {
					c.sinkClosed()
					return
				}
				if err := c.Send(ctx, msg); err != nil {
					if ctx.Err() == nil {
						c.setErr(err)
					}
					finish()
					discard(in)
					return
				}
			case <-ctx.Done():
				finish()
				discard(in)
				return
			}
		}
	}()
	return in
}

// sinkClosed is Go's close on a Sink: shut the channel down, unless the
// kernel does it when the producers have gone (AutoClose).
func (c *Chan) sinkClosed() {
	if c.autoClose {
		return
	}
	if err := c.Shutdown(); err != nil && !errors.Is(err, ErrShutdown) {
		c.setErr(err)
	}
}

func discard(in <-chan []byte) {
	for range in {
	}
}
