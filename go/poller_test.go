// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT

//go:build linux

package cspchan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"sync"
	"testing"
	"time"
)

// TestQueueChurn mixes, on one handle, goroutines that wait themselves
// (Send, Recv) and Selects, in both directions, with short timeouts that
// keep ending waits at the head of the queues and behind it. Every
// message whose send succeeded is received exactly once, none is received
// that was not sent, and nothing hangs.
func TestQueueChurn(t *testing.T) {
	ctx := testCtx(t, 3*time.Minute)
	c := mustCreate(t, "", Attr{Capacity: 2, MsgSize: 16})
	const (
		senders   = 4
		receivers = 6
		perSender = 300
	)
	timeout := func(r *rand.Rand) (context.Context, context.CancelFunc) {
		return context.WithTimeout(ctx, time.Duration(r.Intn(3000))*time.Microsecond)
	}

	var (
		mu       sync.Mutex
		sent     = map[string]bool{}
		got      = map[string]int{}
		timeouts int
	)
	var swg sync.WaitGroup
	for s := 0; s < senders; s++ {
		swg.Add(1)
		go func(s int) {
			defer swg.Done()
			r := rand.New(rand.NewSource(int64(s)))
			for i := 0; i < perSender; {
				msg := []byte(fmt.Sprintf("%d.%d", s, i))
				tctx, cancel := timeout(r)
				var err error
				if r.Intn(2) == 0 {
					err = c.Send(tctx, msg)
				} else {
					_, _, err = Select(tctx, SendCase(c, msg), RecvCase(nil, nil))
				}
				cancel()
				switch {
				case err == nil:
					mu.Lock()
					sent[string(msg)] = true
					mu.Unlock()
					i++
				case errors.Is(err, ErrTimeout):
					mu.Lock()
					timeouts++
					mu.Unlock()
				default:
					t.Error(err)
					return
				}
			}
		}(s)
	}
	var rwg sync.WaitGroup
	for k := 0; k < receivers; k++ {
		rwg.Add(1)
		go func(k int) {
			defer rwg.Done()
			r := rand.New(rand.NewSource(int64(100 + k)))
			for {
				tctx, cancel := timeout(r)
				var msg []byte
				var err error
				if k%2 == 0 {
					var m Message
					m, err = c.Recv(tctx)
					msg = m.Data
				} else {
					_, msg, err = Select(tctx, RecvCase(c, nil))
				}
				cancel()
				switch {
				case err == nil:
					mu.Lock()
					got[string(msg)]++
					mu.Unlock()
				case errors.Is(err, io.EOF):
					return
				case errors.Is(err, ErrTimeout):
					mu.Lock()
					timeouts++
					mu.Unlock()
				default:
					t.Error(err)
					return
				}
			}
		}(k)
	}
	swg.Wait()
	c.Shutdown()
	rwg.Wait()
	t.Logf("%d messages, %d waits ended by their timeout", len(sent), timeouts)
	if timeouts == 0 {
		t.Error("no wait timed out: the test did not test what it should")
	}
	if len(sent) != senders*perSender {
		t.Errorf("%d messages sent, want %d", len(sent), senders*perSender)
	}
	for m, n := range got {
		if n != 1 || !sent[m] {
			t.Errorf("message %q received %d times (sent: %v)", m, n, sent[m])
		}
	}
	if len(got) != len(sent) {
		t.Errorf("%d of %d messages received", len(got), len(sent))
	}
}
