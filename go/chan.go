// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT

//go:build linux

package cspchan

import (
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// Chan is a handle on a channel: a descriptor of its own, open for
// receiving, sending or both. Its methods may be called from any number
// of goroutines at once.
//
// The descriptor is non-blocking and registered with the Go runtime's
// network poller: a goroutine waiting for a message or for room parks in
// the Go scheduler, not in the kernel, so thousands of goroutines can wait
// without a thread each. The one exception is a send on an unbuffered
// channel, which must wait in the kernel as an offer (see the package
// documentation).
type Chan struct {
	name      string
	fd        int
	file      *os.File        // owns fd; its poller registration drives recvq and sendq
	raw       syscall.RawConn // file's
	capacity  int
	msgSize   int
	autoClose bool
	lease     bool // a lease channel: receives take explicit leases

	// use is held for reading by every system call on fd, and for
	// writing by Close, so that fd is never used after it was closed
	// (and perhaps reused).
	use     sync.RWMutex
	closed  atomic.Bool
	closeMu sync.Mutex // serialises Close

	recvq readiness // goroutines waiting for a message (EPOLLIN)
	sendq readiness // goroutines waiting for room (EPOLLOUT)

	parkMu sync.Mutex
	parked map[*parker]struct{} // in-kernel waits on fd, interrupted by Close

	bufs sync.Pool // *[]byte of msgSize bytes, for Recv

	sinks  sync.WaitGroup // Sink adapters that have not finished
	errMu  sync.Mutex
	errAdp error // the first error that ended an adapter
}

// Stat holds a channel's figures (SPEC 3.10).
type Stat struct {
	ID               uint64      // system-wide channel id
	Name             string      // "" when anonymous
	Capacity         int         // messages it buffers; 0 when unbuffered
	MsgSize          int         // largest message, bytes
	Depth            int         // messages buffered now (0 when unbuffered)
	SendersWaiting   int         // tasks blocked in send (in the kernel)
	ReceiversWaiting int         // tasks blocked in receive (in the kernel)
	Shut             bool        // shut down
	AutoClose        bool        // created with AutoClose
	Named            bool        // reachable by name
	Sent             uint64      // messages sent, total
	Received         uint64      // messages received, total
	HighWater        int         // largest depth seen
	Mode             os.FileMode // permission bits

	// Leases (SPEC 9); zero from a module without them.
	Lease         bool   // created with Attr.Lease
	Leased        int    // messages delivered and not yet acknowledged
	Redelivered   uint64 // deliveries after a message's first, total
	Dead          uint64 // messages dead-lettered or dropped, total
	MaxDeliveries int    // 0: unlimited
	LeaseMs       int    // 0: leases never expire
	DeadLetter    uint64 // ID of the dead-letter channel; 0: none

	// Paced channels (SPEC 11); zero from a module without them.
	Rate        int    // messages per second; 0: unpaced
	Burst       int    // token bucket size; 0 when unpaced
	ThrottledNs uint64 // time receivers waited for a token, summed, ns

	// Reply channels (SPEC 12).
	Reply bool // created with Attr.Reply

	// Relay channels (FeatRelay).
	Relay bool // created with Attr.Relay
}

// statInfo is CSPCHAN_IOC_STAT. A module older than leases answers only
// the structure's first size (CSPCHAN_IOC_STAT_V1); the lease fields are
// then zero.
func statInfo(fd int, k *kInfo) syscall.Errno {
	_, e := ioctl(fd, iocStat, unsafe.Pointer(k))
	if e == syscall.ENOTTY {
		*k = kInfo{}
		_, e = ioctl(fd, iocStatV1, unsafe.Pointer(k))
		// Its size covers the first lease fields, reserved then.
		k.leased, k.maxDeliveries, k.redelivered, k.dead = 0, 0, 0, 0
	}
	return e
}

// newChan wraps a fresh handle descriptor, which the module made
// non-blocking and close-on-exec.
func newChan(fd int, name, op string) (*Chan, error) {
	var info kInfo
	if e := statInfo(fd, &info); e != 0 {
		syscall.Close(fd)
		return nil, wrap(op, name, e)
	}
	file := os.NewFile(uintptr(fd), "cspchan:"+name)
	raw, err := file.SyscallConn()
	if err != nil {
		file.Close()
		return nil, wrap(op, name, err)
	}
	c := &Chan{
		name:      name,
		fd:        fd,
		file:      file,
		raw:       raw,
		capacity:  int(info.capacity),
		msgSize:   int(info.msgSize),
		autoClose: info.flags&infoAutoClose != 0,
		lease:     info.flags&infoLease != 0,
		parked:    make(map[*parker]struct{}),
	}
	c.sendq.write = true
	c.bufs.New = func() any {
		b := make([]byte, c.msgSize)
		return &b
	}
	return c, nil
}

// Name returns the name the handle was created or opened with; "" for an
// anonymous channel.
func (c *Chan) Name() string { return c.name }

// Cap returns the channel's capacity; 0 for an unbuffered channel.
func (c *Chan) Cap() int { return c.capacity }

// MsgSize returns the size of the largest message the channel takes.
func (c *Chan) MsgSize() int { return c.msgSize }

// acquire marks the start of a system call on c.fd; release its end. It
// fails once Close has begun, and never waits.
func (c *Chan) acquire() bool {
	if !c.use.TryRLock() {
		return false
	}
	if c.closed.Load() {
		c.use.RUnlock()
		return false
	}
	return true
}

func (c *Chan) release() { c.use.RUnlock() }

// rawIO waits in the runtime's poller as RawConn.Read (write: Write) does:
// f, then after each readiness edge f again, until f returns true.
func (c *Chan) rawIO(write bool, f func(uintptr) bool) error {
	if write {
		return c.raw.Write(f)
	}
	return c.raw.Read(f)
}

// setDeadline sets the read (write: write) deadline of the handle's file,
// which only ends waits in the poller (see poller.go).
func (c *Chan) setDeadline(write bool, t time.Time) {
	if write {
		c.file.SetWriteDeadline(t)
	} else {
		c.file.SetReadDeadline(t)
	}
}

// Shutdown closes the channel for everybody, as close does in Go: further
// sends fail with ErrShutdown, and receivers drain what is queued and then
// see end of stream. A second Shutdown fails with ErrShutdown.
func (c *Chan) Shutdown() error {
	if !c.acquire() {
		return errClosed("shutdown", c.name)
	}
	defer c.release()
	for {
		_, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(c.fd), iocShutdown, 0)
		if e == syscall.EINTR {
			continue
		}
		if e != 0 {
			return wrap("shutdown", c.name, e)
		}
		return nil
	}
}

// Stat returns the channel's figures.
func (c *Chan) Stat() (Stat, error) {
	if !c.acquire() {
		return Stat{}, errClosed("stat", c.name)
	}
	defer c.release()
	var k kInfo
	if e := statInfo(c.fd, &k); e != 0 {
		return Stat{}, wrap("stat", c.name, e)
	}
	name := k.name[:]
	for i, b := range name {
		if b == 0 {
			name = name[:i]
			break
		}
	}
	return Stat{
		ID:               k.id,
		Name:             string(name),
		Capacity:         int(k.capacity),
		MsgSize:          int(k.msgSize),
		Depth:            int(k.depth),
		SendersWaiting:   int(k.sendersWaiting),
		ReceiversWaiting: int(k.receiversWaiting),
		Shut:             k.flags&infoShut != 0,
		AutoClose:        k.flags&infoAutoClose != 0,
		Named:            k.flags&infoNamed != 0,
		Sent:             k.sent,
		Received:         k.received,
		HighWater:        int(k.highWater),
		Mode:             os.FileMode(k.mode).Perm(),
		Lease:            k.flags&infoLease != 0,
		Leased:           int(k.leased),
		Redelivered:      k.redelivered,
		Dead:             k.dead,
		MaxDeliveries:    int(k.maxDeliveries),
		LeaseMs:          int(k.leaseMs),
		DeadLetter:       k.deadLetter,
		Rate:             int(k.rate),
		Burst:            int(k.burst),
		ThrottledNs:      k.throttledNs,
		Reply:            k.flags&infoReply != 0,
		Relay:            k.flags&infoRelay != 0,
	}, nil
}

// Close releases the handle. It first waits for the Sink adapters of the
// handle to finish (their channel closed and flushed, or their context
// done); then operations waiting on the handle fail with an error matching
// os.ErrClosed. Close does not shut the channel down, unless it was created
// with AutoClose and this was its last send-capable handle. It returns the
// first error that ended an adapter, if any.
func (c *Chan) Close() error {
	c.closeMu.Lock()
	defer c.closeMu.Unlock()
	if c.closed.Load() {
		return errClosed("close", c.name)
	}
	c.sinks.Wait()
	c.closed.Store(true)

	// Wake everything that waits, so that it sees closed and leaves.
	c.recvq.wakeAll()
	c.sendq.wakeAll()
	c.parkMu.Lock()
	for p := range c.parked {
		p.interrupt()
	}
	c.parkMu.Unlock()

	c.use.Lock() // no system call on fd any more
	err := c.file.Close()
	c.use.Unlock()
	if err != nil {
		return wrap("close", c.name, err)
	}
	return c.Err()
}

// Err returns the first error that ended an adapter (Messages or Sink) of
// this handle, other than end of stream and the end of the adapter's
// context; nil if none.
func (c *Chan) Err() error {
	c.errMu.Lock()
	defer c.errMu.Unlock()
	return c.errAdp
}

func (c *Chan) setErr(err error) {
	c.errMu.Lock()
	if c.errAdp == nil {
		c.errAdp = err
	}
	c.errMu.Unlock()
}
