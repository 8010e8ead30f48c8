// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT

//go:build linux

package cspchan

import "unsafe"

// SetBusyPoll sets the handle's busy-poll budget to usecs microseconds and
// returns the previous budget (CSPCHAN_IOC_SET_BUSY_POLL, FeatBusyPoll; C's
// cspchan_set_busy_poll(3)). Before a blocking send or receive on the
// handle sleeps in the kernel, it spins for up to usecs while the task on
// the other side runs on another CPU, as SO_BUSY_POLL does for a socket;
// 0 turns spinning off, which is the default. The budget belongs to the
// handle (its open file description), not to the channel. A budget above
// the module parameter max_busy_poll_us (default 200) fails with
// syscall.EINVAL and leaves the old one. Without FeatBusyPoll it fails
// with ErrNotSupported.
//
// This package's own calls never spin, whatever the budget: its handles
// are non-blocking, so a Send or Recv that has to wait parks in Go's
// poller, not in the kernel, and an unbuffered send waits in the kernel as
// a one-case select, and selects never spin (README, "How waiting works").
func (c *Chan) SetBusyPoll(usecs uint32) (prev uint32, err error) {
	const op = "setbusypoll"
	if !hasFeature(FeatBusyPoll) {
		return 0, c.notSupported(op)
	}
	if !c.acquire() {
		return 0, errClosed(op, c.name)
	}
	defer c.release()
	// The module takes the channel's lock uninterruptibly here: no EINTR.
	k := kBusyPollReq{usecs: usecs}
	if _, e := ioctl(c.fd, iocBusyPoll, unsafe.Pointer(&k)); e != 0 {
		return 0, wrap(op, c.name, e)
	}
	return k.usecs, nil
}
