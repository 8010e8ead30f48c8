// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT

//go:build linux

package cspchan

import (
	"bufio"
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// What TestCancelLatency asserts of the time from cancel() to the
// operation's return: a median within the 10 ms the package promises, nine
// samples in ten within cancelP90, and none anywhere near a hang. The
// guest is emulated (TCG) on a host that is often shared with other
// guests; there a waiting goroutine that is woken through another thread
// (the poller's deadline, a signal to a parked thread) is now and then
// late by a scheduling delay of the host, which the test reports (the
// control row shows how late any goroutine is at the time) and tolerates.
const (
	cancelBound = 10 * time.Millisecond
	cancelP90   = 50 * time.Millisecond
	cancelHang  = 10 * time.Second
)

// TestCancelLatency measures how long each kind of wait takes to return
// after its context is cancelled.
func TestCancelLatency(t *testing.T) {
	ctx := testCtx(t, 5*time.Minute)
	empty := mustCreate(t, "", Attr{Capacity: 1, MsgSize: 8})
	full := mustCreate(t, "", Attr{Capacity: 1, MsgSize: 8})
	full.Send(ctx, []byte("x"))
	unbuf := mustCreate(t, "", Attr{Capacity: 0, MsgSize: 8})

	waits := []struct {
		name   string
		kernel bool // waits in the kernel, interrupted by SIGURG
		op     func(context.Context) error
	}{
		// The control: how late any goroutine learns of cancel() in
		// this guest right now.
		{"<-ctx.Done() (control)", false, func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }},
		{"Recv (poller)", false, func(ctx context.Context) error { _, err := empty.Recv(ctx); return err }},
		{"Send full (poller)", false, func(ctx context.Context) error { return full.Send(ctx, []byte("y")) }},
		{"Select (poller)", false, func(ctx context.Context) error {
			_, _, err := Select(ctx, RecvCase(empty, nil), SendCase(full, []byte("y")))
			return err
		}},
		{"Send unbuffered (kernel)", true, func(ctx context.Context) error { return unbuf.Send(ctx, []byte("y")) }},
		{"Select unbuffered send (kernel)", true, func(ctx context.Context) error {
			_, _, err := Select(ctx, RecvCase(empty, nil), SendCase(unbuf, []byte("y")))
			return err
		}},
	}
	for _, w := range waits {
		var lat durations
		for i := 0; i < 40; i++ {
			octx, cancel := context.WithCancel(ctx)
			done := make(chan time.Time, 1)
			var err error
			go func() {
				err = w.op(octx)
				done <- time.Now()
			}()
			time.Sleep(5 * time.Millisecond) // let it wait
			if w.kernel {
				waitForSender(t, unbuf)
			}
			start := time.Now()
			cancel()
			end := <-done
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("%s: %v, want context.Canceled", w.name, err)
			}
			lat = append(lat, end.Sub(start))
		}
		t.Logf("%-32s cancel -> return: %v", w.name, lat)
		if p50, p90, worst := lat.quantile(0.5), lat.quantile(0.9), lat.quantile(1); p50 > cancelBound || p90 > cancelP90 || worst > cancelHang {
			t.Errorf("%s: median %v (bound %v), p90 %v (bound %v), worst %v (bound %v)",
				w.name, p50, cancelBound, p90, cancelP90, worst, cancelHang)
		}
	}
}

// waitForSender waits until a sender is parked on c, so that a
// cancellation interrupts a real wait in the kernel.
func waitForSender(t *testing.T, c *Chan) {
	for i := 0; i < 1000; i++ {
		if st, err := c.Stat(); err == nil && st.SendersWaiting > 0 {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("no sender parked in the kernel")
}

// TestDeadline checks that a context deadline ends each kind of wait with
// an error matching ErrTimeout, context.DeadlineExceeded and ETIMEDOUT.
func TestDeadline(t *testing.T) {
	empty := mustCreate(t, "", Attr{Capacity: 1, MsgSize: 8})
	unbuf := mustCreate(t, "", Attr{Capacity: 0, MsgSize: 8})
	for name, op := range map[string]func(context.Context) error{
		"Recv":            func(ctx context.Context) error { _, err := empty.Recv(ctx); return err },
		"Send unbuffered": func(ctx context.Context) error { return unbuf.Send(ctx, []byte("y")) },
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
		// Measured from the deadline itself, not from a clock read after
		// it was set: a pause in between would look like an early return.
		deadline, _ := ctx.Deadline()
		err := op(ctx)
		late := time.Since(deadline)
		cancel()
		if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, syscall.ETIMEDOUT) {
			t.Errorf("%s: %v, want a timeout", name, err)
		}
		t.Logf("%s: returned %v after its 30 ms deadline", name, late)
		if late < 0 || late > cancelHang {
			t.Errorf("%s: returned %v after its deadline", name, late)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := empty.Recv(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Recv with a cancelled context: %v", err)
	}
}

// threads returns the number of threads of this process.
func threads(t *testing.T) int {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "Threads:") {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "Threads:")))
			return n
		}
	}
	t.Fatal("no Threads: line")
	return 0
}

// TestManyWaiters parks thousands of goroutines on channels and checks
// that they hold no threads, that each message wakes one and is received
// once, and that cancelling the rest returns them all promptly.
func TestManyWaiters(t *testing.T) {
	ctx := testCtx(t, 5*time.Minute)
	const (
		nchans   = 100
		nwaiters = 3000
	)
	chans := make([]*Chan, nchans)
	for i := range chans {
		chans[i] = mustCreate(t, "", Attr{Capacity: 4, MsgSize: 8})
	}
	before := threads(t)

	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		received int
		ended    time.Time
	)
	for i := 0; i < nwaiters; i++ {
		wg.Add(1)
		go func(c *Chan) {
			defer wg.Done()
			_, err := c.Recv(wctx)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				received++
			case errors.Is(err, context.Canceled):
				ended = time.Now()
			default:
				t.Error(err)
			}
		}(chans[i%nchans])
	}
	// Wait until every goroutine is parked: each channel's receivers
	// wait in the poller, so the module sees none, and the Go scheduler
	// has nothing left to run.
	time.Sleep(500 * time.Millisecond)
	during := threads(t)
	t.Logf("%d goroutines waiting on %d channels: %d threads before, %d while waiting", nwaiters, nchans, before, during)
	if during-before > 20 {
		t.Errorf("%d goroutines waiting took %d more threads", nwaiters, during-before)
	}

	// One message per channel: exactly one waiter each receives it.
	for _, c := range chans {
		if err := c.Send(ctx, []byte("m")); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(time.Minute)
	for {
		mu.Lock()
		r := received
		mu.Unlock()
		if r == nchans || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now()
	cancel()
	wg.Wait()
	if received != nchans {
		t.Errorf("%d messages received by %d waiters, want %d", received, nwaiters, nchans)
	}
	t.Logf("cancelling %d waiters: the last returned %v after cancel()", nwaiters-nchans, ended.Sub(start))
	for _, c := range chans {
		if st, _ := c.Stat(); st.Depth != 0 || st.Received != 1 {
			t.Errorf("after the run: depth %d received %d", st.Depth, st.Received)
		}
	}
}
