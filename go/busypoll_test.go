// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT

//go:build linux

package cspchan

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// maxBusyPollParam is the module parameter that bounds a budget; it exists
// exactly when the module implements busy polling.
const maxBusyPollParam = "/sys/module/cspchan/parameters/max_busy_poll_us"

// maxBusyPoll reads max_busy_poll_us; ok is false when it cannot be read.
func maxBusyPoll(t *testing.T) (limit uint32, ok bool) {
	t.Helper()
	b, err := os.ReadFile(maxBusyPollParam)
	if err != nil {
		return 0, false
	}
	v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 32)
	if err != nil {
		t.Fatalf("%s: %q: %v", maxBusyPollParam, b, err)
	}
	return uint32(v), true
}

func needBusyPoll(t *testing.T) {
	t.Helper()
	needFeature(t, FeatBusyPoll, "busy polling (CSPCHAN_FEAT_BUSY_POLL)")
}

// TestBusyPollFeature: the module advertises FeatBusyPoll exactly when it
// has the max_busy_poll_us parameter, which is how sysfs, not the feature
// ioctl, says that it implements busy polling.
func TestBusyPollFeature(t *testing.T) {
	needModule(t)
	f, err := ReadFeatures()
	if err != nil {
		t.Fatal(err)
	}
	_, param := maxBusyPoll(t)
	if f.Has(FeatBusyPoll) != param {
		t.Errorf("features %#x: FeatBusyPoll (%#x) %v, but %s readable: %v",
			f.Bits, FeatBusyPoll, f.Has(FeatBusyPoll), maxBusyPollParam, param)
	}
}

// TestBusyPoll: SetBusyPoll returns the previous budget, 0 turns it off,
// each handle has its own, more than max_busy_poll_us is EINVAL and
// changes nothing, and a closed handle is os.ErrClosed.
func TestBusyPoll(t *testing.T) {
	needBusyPoll(t)
	name := chanName(t, "busypoll")
	c := mustCreate(t, name, Attr{Capacity: 1, MsgSize: 8})
	other, err := Open(name, os.O_RDWR)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	set := func(h *Chan, usecs, wantPrev uint32) {
		t.Helper()
		prev, err := h.SetBusyPoll(usecs)
		if err != nil || prev != wantPrev {
			t.Errorf("SetBusyPoll(%d): %d %v, want previous %d", usecs, prev, err, wantPrev)
		}
	}
	set(c, 50, 0) // a new handle has none
	set(c, 120, 50)
	set(other, 7, 0) // the budget is the handle's, not the channel's
	set(c, 0, 120)   // off ...
	set(c, 0, 0)     // ... and it stays off
	set(other, 0, 7) // the other handle kept its own

	// The largest budget there is (max_busy_poll_us is at most 65535).
	if _, err := c.SetBusyPoll(1<<32 - 1); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("SetBusyPoll(%d): %v, want EINVAL", uint32(1<<32-1), err)
	}
	if limit, ok := maxBusyPoll(t); ok {
		set(c, limit, 0)
		if prev, err := c.SetBusyPoll(limit + 1); !errors.Is(err, syscall.EINVAL) || prev != 0 {
			t.Errorf("SetBusyPoll(max_busy_poll_us+1 = %d): %d %v, want EINVAL", limit+1, prev, err)
		}
		set(c, 0, limit) // the refused budget left the old one
	} else {
		t.Logf("%s unreadable: the budget at the limit not tried", maxBusyPollParam)
	}

	other.Close()
	if _, err := other.SetBusyPoll(10); !errors.Is(err, os.ErrClosed) {
		t.Errorf("SetBusyPoll after Close: %v, want os.ErrClosed", err)
	}
}

// TestBusyPollPingPong: with a budget on all four handles, a ping-pong
// between two goroutines, each with handles of its own, delivers every
// message once and in order, on buffered and on unbuffered channels (where
// the sender waits in the kernel as a select), and the traffic leaves the
// budgets as they were set.
func TestBusyPollPingPong(t *testing.T) {
	needBusyPoll(t)
	budget := uint32(200)
	if limit, ok := maxBusyPoll(t); ok && limit < budget {
		budget = limit
	}
	for _, tc := range []struct {
		capacity, trips int
	}{{1, 200}, {0, 50}} {
		t.Run(fmt.Sprintf("cap%d", tc.capacity), func(t *testing.T) {
			pingPong(t, tc.capacity, tc.trips, budget)
		})
	}
}

func pingPong(t *testing.T, capacity, trips int, budget uint32) {
	ctx := testCtx(t, 2*time.Minute)
	attr := Attr{Capacity: capacity, MsgSize: 8}
	pingName, pongName := chanName(t, "ping"), chanName(t, "pong")
	mustCreate(t, pingName, attr)
	mustCreate(t, pongName, attr)
	open := func(name string, flag int) *Chan {
		t.Helper()
		h, err := Open(name, flag)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { h.Close() })
		if prev, err := h.SetBusyPoll(budget); err != nil || prev != 0 {
			t.Fatalf("SetBusyPoll(%d) on %s: %d %v", budget, name, prev, err)
		}
		return h
	}
	pingOut, pongIn := open(pingName, os.O_WRONLY), open(pongName, os.O_RDONLY)
	pingIn, pongOut := open(pingName, os.O_RDONLY), open(pongName, os.O_WRONLY)

	echoed := make(chan error, 1)
	go func() {
		for i := 0; i < trips; i++ {
			m, err := pingIn.Recv(ctx)
			if err != nil {
				echoed <- fmt.Errorf("echo: Recv %d: %w", i, err)
				return
			}
			if err := pongOut.Send(ctx, m.Data); err != nil {
				echoed <- fmt.Errorf("echo: Send %d: %w", i, err)
				return
			}
		}
		echoed <- nil
	}()
	for i := 0; i < trips; i++ {
		msg := strconv.Itoa(i)
		if err := pingOut.Send(ctx, []byte(msg)); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
		m, err := pongIn.Recv(ctx)
		if err != nil || string(m.Data) != msg {
			t.Fatalf("round trip %d: %q %v, want %q", i, m.Data, err, msg)
		}
	}
	if err := <-echoed; err != nil {
		t.Fatal(err)
	}
	for _, h := range []*Chan{pingOut, pongIn, pingIn, pongOut} {
		st, err := h.Stat()
		if err != nil || st.Sent != uint64(trips) || st.Received != uint64(trips) || st.Depth != 0 {
			t.Errorf("Stat of %s: %+v %v, want %d sent and received, none left", h.Name(), st, err, trips)
		}
		if prev, err := h.SetBusyPoll(0); err != nil || prev != budget {
			t.Errorf("SetBusyPoll(0) on %s after the traffic: %d %v, want previous %d", h.Name(), prev, err, budget)
		}
	}
}
