// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT

//go:build linux

package cspchan

import (
	"os"
	"sync"
	"syscall"
	"unsafe"
)

// The control device, /dev/cspchan: one descriptor per process, opened on
// first use and kept (close-on-exec) for the life of the process, as
// libcspchan does.
var control struct {
	once sync.Once
	fd   int
	err  error

	featOnce sync.Once
	feat     Features
	featErr  error
}

func controlFD() (int, error) {
	control.once.Do(func() {
		control.fd, control.err = syscall.Open(deviceName, syscall.O_RDWR|syscall.O_CLOEXEC, 0)
	})
	return control.fd, control.err
}

// ioctl issues one ioctl whose argument is a pointer. It is small enough
// to be inlined, so the pointer is converted in the system call itself.
func ioctl(fd int, req uintptr, arg unsafe.Pointer) (int, syscall.Errno) {
	r, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), req, uintptr(arg))
	return int(r), e
}

// controlIoctl issues an ioctl on the control device, retrying EINTR
// (every control ioctl but SELECT is short and has nothing to lose).
func controlIoctl(req uintptr, arg unsafe.Pointer) (int, error) {
	fd, err := controlFD()
	if err != nil {
		return -1, err
	}
	for {
		r, e := ioctl(fd, req, arg)
		if e == syscall.EINTR {
			continue
		}
		if e != 0 {
			return -1, e
		}
		return r, nil
	}
}

// Features describes the loaded module: what it implements and its limits
// (the module parameters).
type Features struct {
	Bits               uint64 // Feat* bits
	MaxCapacity        int    // largest capacity of a channel
	MaxMsgSize         int    // largest msg_size of a channel, bytes
	MaxChannelBytes    int64  // most message storage one channel may have
	MaxChannelsPerUser int    // most channels one user may own at once
	MaxSelectCases     int    // most cases one Select accepts
	UnbufferedSlots    int    // hand-off slots of an unbuffered channel
	MaxUserBytes       int64  // most memory all of one user's channels may pin
}

// Has reports whether the module implements every feature in bits.
func (f *Features) Has(bits uint64) bool { return f.Bits&bits == bits }

// ReadFeatures asks the module what it implements (CSPCHAN_IOC_FEATURES).
// The answer is read once per process: it cannot change while the module
// is loaded.
func ReadFeatures() (Features, error) {
	control.featOnce.Do(func() {
		var k kFeatures
		if _, err := controlIoctl(iocFeatures, unsafe.Pointer(&k)); err != nil {
			control.featErr = wrap("features", "", err)
			return
		}
		control.feat = Features{
			Bits:               k.features,
			MaxCapacity:        int(k.maxCapacity),
			MaxMsgSize:         int(k.maxMsgSize),
			MaxChannelBytes:    int64(k.maxChannelBytes),
			MaxChannelsPerUser: int(k.maxChannelsPerUser),
			MaxSelectCases:     int(k.maxSelectCases),
			UnbufferedSlots:    int(k.unbufferedSlots),
			MaxUserBytes:       int64(k.maxUserBytes),
		}
	})
	return control.feat, control.featErr
}

// hasFeature reports whether the module implements bits; an unreadable
// feature set counts as "no".
func hasFeature(bits uint64) bool {
	f, err := ReadFeatures()
	return err == nil && f.Has(bits)
}

// copyName checks a name's length, which decides whether it fits the ABI
// field at all; the module checks its characters.
func copyName(dst *[nameMax]byte, name string) error {
	switch {
	case name == "":
		return syscall.EINVAL
	case len(name) >= nameMax:
		return syscall.ENAMETOOLONG
	}
	copy(dst[:], name)
	return nil
}

// Attr are the attributes of a new channel.
type Attr struct {
	// Capacity is the number of messages the channel buffers; 0 makes
	// an unbuffered channel, on which a send completes only when a
	// receiver has taken the message.
	Capacity int
	// MsgSize is the largest message in bytes (1 .. Features.MaxMsgSize).
	MsgSize int
	// Mode holds the permission bits of a named channel; 0 means 0600.
	Mode os.FileMode
	// AutoClose shuts the channel down when its last send-capable
	// handle is released, so that consumers learn that every producer
	// has gone (SPEC 3.5).
	AutoClose bool
	// Exclusive makes Create fail with EEXIST (fs.ErrExist) when the
	// name exists; otherwise Create opens the existing channel and
	// leaves its attributes alone.
	Exclusive bool
	// Lease makes a lease channel (SPEC 9, FeatLease): every message
	// received stays leased to the receiving handle until Ack, and goes
	// back to the channel on Nack or when that handle is closed first
	// (its process died). Leased messages count against Capacity, which
	// must be 1 or more.
	Lease bool
	// MaxDeliveries, on a lease channel, delivers a message at most that
	// many times; then it goes to the dead-letter channel (SetDeadLetter)
	// or is dropped. 0: no limit.
	MaxDeliveries int
	// LeaseMs, on a lease channel, revokes a lease not acknowledged
	// within that many milliseconds, and delivers the message again.
	// 0: leases never expire.
	LeaseMs int
	// Rate makes a paced channel (SPEC 11, FeatPace): at most Rate
	// messages per second leave it, summed over all its receivers in
	// every process; a receive waits for a token as it waits for a
	// message. Capacity must be 1 or more. 0: unpaced.
	Rate int
	// Burst, on a paced channel, is the size of its token bucket, which
	// starts full: up to Burst messages leave at once after a pause.
	// 0 means 1.
	Burst int
	// Reply makes a reply channel (SPEC 12, FeatReply), which can travel
	// inside a message of another channel (SendMsg): its receiver
	// answers on it. It shuts down when its last receive-capable handle
	// is closed, and, once it travelled, when no message carries it and
	// no handle that travelled is open. Call makes one per call.
	Reply bool
	// Relay makes a relay channel (FeatRelay), on which Relay sends a
	// message with the sequence number, pid and send time it came with
	// instead of the kernel's stamp: for bridges that forward messages
	// from another channel or another machine and keep their origin.
	// Send on it is stamped as on any channel.
	Relay bool
}

// features are the Feat bits a channel with these attributes needs:
// Create fails with ErrNotSupported on a module without one of them,
// rather than with the module's EINVAL for a field it does not know.
func (attr Attr) features() uint64 {
	var need uint64
	if attr.Lease || attr.MaxDeliveries != 0 || attr.LeaseMs != 0 {
		need |= FeatLease
	}
	if attr.Rate != 0 || attr.Burst != 0 {
		need |= FeatPace
	}
	if attr.Reply {
		need |= FeatReply
	}
	if attr.Relay {
		need |= FeatRelay
	}
	return need
}

// Create creates a channel and returns a handle open for sending and
// receiving. An empty name creates an anonymous channel, reachable only
// through its handle. Attributes of a feature the loaded module lacks
// (Lease, MaxDeliveries and LeaseMs: FeatLease; Rate and Burst: FeatPace;
// Reply: FeatReply; Relay: FeatRelay) make it fail with ErrNotSupported.
func Create(name string, attr Attr) (*Chan, error) {
	var req kCreateReq
	if name != "" {
		if err := copyName(&req.name, name); err != nil {
			return nil, wrap("create", name, err)
		}
	}
	if attr.Capacity < 0 || attr.Capacity > 1<<32-1 || attr.MsgSize <= 0 || attr.MsgSize > 1<<32-1 ||
		attr.MaxDeliveries < 0 || attr.MaxDeliveries > 1<<32-1 || attr.LeaseMs < 0 || attr.LeaseMs > 1<<32-1 ||
		attr.Rate < 0 || attr.Rate > 1<<32-1 || attr.Burst < 0 || attr.Burst > 1<<32-1 {
		return nil, wrap("create", name, syscall.EINVAL)
	}
	if need := attr.features(); need != 0 && !hasFeature(need) {
		return nil, wrap("create", name, syscall.EOPNOTSUPP)
	}
	mode := attr.Mode.Perm()
	if mode == 0 {
		mode = 0o600
	}
	req.oflags = syscall.O_CLOEXEC | syscall.O_NONBLOCK
	if attr.Exclusive {
		req.oflags |= syscall.O_EXCL
	}
	if attr.AutoClose {
		req.flags |= createAutoClose
	}
	if attr.Lease {
		req.flags |= createLease
	}
	if attr.Reply {
		req.flags |= createReply
	}
	if attr.Relay {
		req.flags |= createRelay
	}
	req.maxDeliveries = uint32(attr.MaxDeliveries)
	req.leaseMs = uint32(attr.LeaseMs)
	req.rate = uint32(attr.Rate)
	req.burst = uint32(attr.Burst)
	req.capacity = uint32(attr.Capacity)
	req.msgSize = uint32(attr.MsgSize)
	req.mode = uint32(mode)
	fd, err := controlIoctl(iocCreate, unsafe.Pointer(&req))
	if err != nil {
		return nil, wrap("create", name, err)
	}
	return newChan(fd, name, "create")
}

// Open opens a named channel. flag is os.O_RDONLY (receive only),
// os.O_WRONLY (send only) or os.O_RDWR; other bits are ignored. Access is
// checked against the channel's mode as for a file (fs.ErrPermission).
//
// Open consumers receive-only and producers send-only: a handle open both
// ways is woken in the poller by its own traffic (each slot its receives
// free is an EPOLLOUT edge), which a busy process pays for in context
// switches.
func Open(name string, flag int) (*Chan, error) {
	var req kNameReq
	if err := copyName(&req.name, name); err != nil {
		return nil, wrap("open", name, err)
	}
	req.oflags = uint32(flag&syscall.O_ACCMODE) | syscall.O_CLOEXEC | syscall.O_NONBLOCK
	fd, err := controlIoctl(iocOpen, unsafe.Pointer(&req))
	if err != nil {
		return nil, wrap("open", name, err)
	}
	return newChan(fd, name, "open")
}

// Unlink removes a channel's name. Handles already open keep working; the
// channel is freed when its last handle is released.
func Unlink(name string) error {
	var req kNameReq
	if err := copyName(&req.name, name); err != nil {
		return wrap("unlink", name, err)
	}
	_, err := controlIoctl(iocUnlink, unsafe.Pointer(&req))
	return wrap("unlink", name, err)
}
