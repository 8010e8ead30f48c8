// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT

//go:build linux

package cspchan

import (
	"context"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// Waiting in the kernel.
//
// A send on an unbuffered channel cannot wait in the poller: a
// non-blocking send succeeds only when a receiver is parked in the
// kernel, and a Go receiver never is (it waits in the poller), so two
// poller-driven peers would never meet (docs/design.md, "Known limits").
// Such a send, and a Select with such a send case, waits in the kernel
// instead, as an offer that receivers see through EPOLLIN: one
// CSPCHAN_IOC_SELECT with a timeout, on a thread locked to the goroutine
// for the duration.
//
// To end that wait when ctx is done (or the handle is closed), a watcher
// goroutine sends SIGURG to the thread with tgkill(2), again every
// millisecond until the call has returned, since a signal that arrives
// just before the thread enters the kernel is lost. SIGURG is the signal
// the Go runtime itself uses to preempt goroutines, so every Go program
// already tolerates it. The runtime installs its handlers with SA_RESTART,
// but the module does not restart a wait with a timeout (it fails with
// EINTR), so the call always carries one: ctx's deadline, or
// parkChunk. A wait that the signal ends has done nothing (a grant that
// raced with it wins, and the call then succeeds), so the call is simply
// made again while ctx is alive.

// parkChunk is the timeout of a wait whose context has no deadline: long
// enough that a parked offer keeps its place, and finite so that a signal
// interrupts it with EINTR instead of restarting it.
const parkChunk = time.Hour

// parker is one in-kernel wait, and what interrupts it.
type parker struct {
	pid, tid int
	watched  bool          // a watcher goroutine waits for ctx and stop
	stop     chan struct{} // closed by interrupt
	stopOnce sync.Once

	mu       sync.Mutex
	finished bool          // the call returned for good: no more signals
	done     chan struct{} // closed with finished
}

// interrupt ends the wait: a handle in it is being closed.
func (p *parker) interrupt() {
	p.stopOnce.Do(func() {
		close(p.stop)
		if !p.watched {
			go p.signal()
		}
	})
}

func (p *parker) stopped() bool {
	select {
	case <-p.stop:
		return true
	default:
		return false
	}
}

// watch signals the parked thread once ctx is done or p is interrupted.
func (p *parker) watch(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-p.stop:
	case <-p.done:
		return
	}
	p.signal()
}

// signal sends SIGURG to the parked thread, again every millisecond,
// until the wait has returned.
func (p *parker) signal() {
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		p.mu.Lock()
		if !p.finished {
			syscall.Tgkill(p.pid, p.tid, syscall.SIGURG)
		}
		p.mu.Unlock()
		select {
		case <-p.done:
			return
		case <-tick.C:
		}
	}
}

// park makes call, an ioctl that may sleep in the module with the timeout
// it is given, until it succeeds, fails for good, or ctx is done. chans
// are the handles the call uses: closing one of them interrupts it, and
// the call must acquire them itself. It returns what call returned, or
// ctx's error, or os.ErrClosed.
func park(ctx context.Context, chans []*Chan, call func(timeoutNs int64) (int, error)) (int, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	// A context that cannot end needs no watcher: Close interrupts
	// through p.interrupt, which then signals by itself.
	p := &parker{
		pid:     syscall.Getpid(),
		tid:     syscall.Gettid(),
		watched: ctx.Done() != nil,
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	for _, c := range chans {
		c.parkMu.Lock()
		c.parked[p] = struct{}{}
		c.parkMu.Unlock()
	}
	if p.watched {
		go p.watch(ctx)
	}
	defer func() {
		p.mu.Lock()
		p.finished = true
		close(p.done)
		p.mu.Unlock()
		for _, c := range chans {
			c.parkMu.Lock()
			delete(c.parked, p)
			c.parkMu.Unlock()
		}
	}()

	deadline, hasDeadline := ctx.Deadline()
	for {
		if err := ctx.Err(); err != nil {
			return -1, err
		}
		if p.stopped() {
			return -1, os.ErrClosed
		}
		timeout := parkChunk
		if hasDeadline {
			timeout = time.Until(deadline)
			if timeout <= 0 {
				return -1, context.DeadlineExceeded
			}
		}
		r, err := call(int64(timeout))
		if err == syscall.EINTR || err == syscall.ETIMEDOUT {
			continue // the loop's head tells why
		}
		return r, err
	}
}
