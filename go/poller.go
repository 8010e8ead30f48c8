// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT

//go:build linux

package cspchan

import (
	"context"
	"errors"
	"os"
	"sync"
	"syscall"
	"time"
)

// Waiting through the Go runtime's poller.
//
// A handle's descriptor is non-blocking and registered with the runtime's
// network poller (os.NewFile). A goroutine that finds the channel empty
// (or full) joins the handle's queue for that direction, in arrival order.
// The goroutine at the head of the queue waits as a net.Conn read does:
// inside RawConn.Read (or Write), whose callback makes the non-blocking
// attempt, so that the runtime parks it until the next readiness edge
// and runs it again on the thread that saw the edge. The goroutines behind
// it sleep on a Go channel until they reach the head. A head that leaves,
// having succeeded or given up, wakes the next one, which tries at once:
// edges that arrived together are not lost, and one message wakes one
// goroutine, not all of them.
//
// Giving up when ctx is done is a select on ctx.Done() behind the head,
// and for the head a read (write) deadline in the past, which ends its
// wait in the poller; that is the one thing the file's deadlines are used
// for, and only the head ever waits in the poller, so it affects nobody
// else (a late one is simply undone by the next head).
//
// A Select waits on several handles with one goroutine, so it cannot wait
// in each handle's poller itself. When it is at the head of a queue, a
// poller goroutine waits for that handle instead and wakes it at each
// edge.
//
// Nothing here holds a thread: the poller parks goroutines in the
// runtime's epoll loop.

// aLongTimeAgo is a deadline in the past: it ends a wait in the poller.
var aLongTimeAgo = time.Unix(1, 0)

// waiter is a goroutine waiting for a handle to become ready; a Select
// waits on several handles with one waiter.
type waiter struct {
	ready chan struct{} // capacity 1: a wake-up not yet seen
}

var waiterPool = sync.Pool{New: func() any { return &waiter{ready: make(chan struct{}, 1)} }}

func getWaiter() *waiter { return waiterPool.Get().(*waiter) }

// putWaiter recycles w, which is in no queue any more.
func putWaiter(w *waiter) {
	select {
	case <-w.ready:
	default:
	}
	waiterPool.Put(w)
}

func (w *waiter) wake() {
	select {
	case w.ready <- struct{}{}:
	default: // already pending
	}
}

// qnode links a waiter into one readiness queue.
type qnode struct {
	w          *waiter
	prev, next *qnode
	selecting  bool // a Select: the queue's poller goroutine waits for it
}

// readiness is one direction of a handle: its queue of waiting goroutines.
type readiness struct {
	mu         sync.Mutex
	head, tail *qnode
	polling    bool // a poller goroutine waits for a selecting head
	write      bool // waits for EPOLLOUT (sending) instead of EPOLLIN
}

// add queues n.
func (q *readiness) add(c *Chan, n *qnode) {
	q.mu.Lock()
	defer q.mu.Unlock()
	n.prev, n.next = q.tail, nil
	if q.tail != nil {
		q.tail.next = n
	} else {
		q.head = n
		q.headChanged(c)
	}
	q.tail = n
}

// remove takes n out of the queue. When n was its head, the next waiter
// is woken: n may have consumed a readiness meant for several, or left
// without using the one it was given.
func (q *readiness) remove(c *Chan, n *qnode) {
	q.mu.Lock()
	defer q.mu.Unlock()
	wasHead := q.head == n
	if n.prev != nil {
		n.prev.next = n.next
	} else {
		q.head = n.next
	}
	if n.next != nil {
		n.next.prev = n.prev
	} else {
		q.tail = n.prev
	}
	n.prev, n.next = nil, nil
	if wasHead && q.head != nil {
		q.head.w.wake()
		q.headChanged(c)
	}
}

// headChanged sees that the new head is waited for: by the poller
// goroutine when it selects, else by itself, once the poller goroutine,
// which would hold the file's read (write) lock, has left.
func (q *readiness) headChanged(c *Chan) {
	switch {
	case q.head.selecting && !q.polling:
		q.polling = true
		go q.poll(c)
	case !q.head.selecting && q.polling:
		c.setDeadline(q.write, aLongTimeAgo)
	}
}

func (q *readiness) isHead(n *qnode) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.head == n
}

// wakeAll wakes every waiting goroutine (the handle is closing).
func (q *readiness) wakeAll() {
	q.mu.Lock()
	for n := q.head; n != nil; n = n.next {
		n.w.wake()
	}
	q.mu.Unlock()
}

// wait calls try, which makes one non-blocking attempt, until it returns
// anything but EAGAIN, or until ctx is done. The caller's own attempt
// failed with EAGAIN.
func (q *readiness) wait(ctx context.Context, c *Chan, try func() error) error {
	w := getWaiter()
	n := qnode{w: w}
	q.add(c, &n)
	defer func() {
		q.remove(c, &n)
		putWaiter(w)
	}()
	for {
		if c.closed.Load() {
			return os.ErrClosed
		}
		if q.isHead(&n) {
			return q.await(ctx, c, try)
		}
		select {
		case <-w.ready:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// await is the head's wait: try, and after each readiness edge try again,
// in the poller, until try returns anything but EAGAIN or ctx is done.
func (q *readiness) await(ctx context.Context, c *Chan, try func() error) error {
	if ctx.Done() != nil {
		stop := make(chan struct{})
		defer close(stop)
		go q.interruptOnDone(ctx, c, stop)
	}
	for {
		var err error
		ioErr := c.rawIO(q.write, func(uintptr) bool {
			err = try()
			return err != syscall.EAGAIN
		})
		switch {
		case ioErr == nil:
			return err
		case !errors.Is(ioErr, os.ErrDeadlineExceeded):
			return os.ErrClosed
		case ctx.Err() != nil:
			return ctx.Err()
		}
		// The deadline was meant for an earlier head, or for the
		// poller goroutine: undo it, as the file's only waiter.
		c.setDeadline(q.write, time.Time{})
	}
}

// interruptOnDone ends the head's wait in the poller once ctx is done. It
// sets the deadline again every millisecond until the head has left,
// since the head may have just undone a deadline meant for another.
func (q *readiness) interruptOnDone(ctx context.Context, c *Chan, stop <-chan struct{}) {
	select {
	case <-stop:
		return
	case <-ctx.Done():
	}
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		c.setDeadline(q.write, aLongTimeAgo)
		select {
		case <-stop:
			return
		case <-tick.C:
		}
	}
}

// waitSelecting queues a Select's waiter n in q; the Select then waits on
// n.w.ready, which the poller goroutine signals while n is the head.
func (q *readiness) waitSelecting(c *Chan, n *qnode) {
	n.selecting = true
	q.add(c, n)
}

// poll is the poller goroutine: while the head is a Select, it waits for
// the handle's readiness and wakes the head at each edge (and once at
// once: RawConn.Read forgets edges that came before it started).
func (q *readiness) poll(c *Chan) {
	serve := func(uintptr) bool {
		q.mu.Lock()
		defer q.mu.Unlock()
		if q.head == nil || !q.head.selecting {
			q.polling = false
			return true
		}
		q.head.w.wake()
		return false
	}
	for {
		err := c.rawIO(q.write, serve)
		if err == nil {
			return
		}
		q.mu.Lock()
		stay := errors.Is(err, os.ErrDeadlineExceeded) && q.head != nil && q.head.selecting
		if !stay {
			q.polling = false
			if !errors.Is(err, os.ErrDeadlineExceeded) { // closed
				for n := q.head; n != nil; n = n.next {
					n.w.wake()
				}
			}
		}
		q.mu.Unlock()
		if !stay {
			return
		}
		c.setDeadline(q.write, time.Time{}) // a late interruption of a head
	}
}
