// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT

//go:build linux

package cspchan

// The ABI of include/uapi/linux/cspchan.h, mirrored field by field.
//
// Every structure keeps the C layout exactly (fixed-width fields, natural
// alignment, no implicit padding); the c tag names the C field, and
// TestABILayout compares every size and offset with the header compiled by
// a C compiler. Fields that carry a user address are uint64, as in the
// header: they are filled immediately before the system call that uses
// them, with no call in between, so that the address is current (a
// goroutine's stack may move while it is parked, never while it is in a
// system call).

import "unsafe"

// Linux's generic ioctl encoding (asm-generic/ioctl.h), used by x86, arm64
// and riscv alike.
const (
	iocNone  = 0
	iocWrite = 1
	iocRead  = 2

	iocNRShift   = 0
	iocTypeShift = 8
	iocSizeShift = 16
	iocDirShift  = 30
)

func ioc(dir, typ, nr, size uintptr) uintptr {
	return dir<<iocDirShift | typ<<iocTypeShift | nr<<iocNRShift | size<<iocSizeShift
}

const (
	deviceName = "/dev/cspchan"
	nameMax    = 64 // CSPCHAN_NAME_MAX, the terminating NUL included

	createAutoClose = 1 << 0 // CSPCHAN_AUTOCLOSE
	createLease     = 1 << 1 // CSPCHAN_LEASE
	createReply     = 1 << 2 // CSPCHAN_REPLY
	createRelay     = 1 << 3 // CSPCHAN_RELAY

	xferLease  = 1 << 0 // CSPCHAN_XFER_LEASE
	xferAttach = 1 << 1 // CSPCHAN_XFER_ATTACH
	xferFD     = 1 << 2 // CSPCHAN_XFER_FD
	xferOrigin = 1 << 3 // CSPCHAN_XFER_ORIGIN

	infoShut      = 1 << 0 // CSPCHAN_INFO_SHUT
	infoAutoClose = 1 << 1 // CSPCHAN_INFO_AUTOCLOSE
	infoNamed     = 1 << 2 // CSPCHAN_INFO_NAMED
	infoLease     = 1 << 3 // CSPCHAN_INFO_LEASE
	infoReply     = 1 << 4 // CSPCHAN_INFO_REPLY
	infoRelay     = 1 << 5 // CSPCHAN_INFO_RELAY
	infoSizeV1    = 168    // CSPCHAN_INFO_SIZE_V1

	opSend = 1 // CSPCHAN_OP_SEND
	opRecv = 2 // CSPCHAN_OP_RECV

	selectPrio = 1 << 0 // CSPCHAN_SELECT_PRIO

	iocMagic = 0xC5 // CSPCHAN_IOC_MAGIC
)

// Feature bits of struct cspchan_features.features (CSPCHAN_FEAT_*).
const (
	FeatNames          uint64 = 1 << 0  // named channels in IPC namespaces
	FeatXfer           uint64 = 1 << 1  // CSPCHAN_IOC_SEND/RECV (metadata)
	FeatSelect         uint64 = 1 << 2  // CSPCHAN_IOC_SELECT
	FeatZeroCopy       uint64 = 1 << 3  // mmap arena and slot commands
	FeatURingCmd       uint64 = 1 << 4  // slot commands through io_uring
	FeatURingSlotV     uint64 = 1 << 5  // vectored slot commands
	FeatURingCancel    uint64 = 1 << 6  // io_uring cancels parked commands
	FeatURingReadPark  uint64 = 1 << 7  // io_uring reads park in order
	FeatURingOpcodes   uint64 = 1 << 8  // io_uring command codes of their own
	FeatSelectPrio     uint64 = 1 << 9  // CSPCHAN_SELECT_PRIO
	FeatLease          uint64 = 1 << 10 // lease channels, ack/nack, dead letters
	FeatPace           uint64 = 1 << 11 // paced channels: rate, burst, SetRate
	FeatReply          uint64 = 1 << 12 // reply channels: SendMsg, Call, Message.Reply
	FeatRelay          uint64 = 1 << 13 // relay channels: Attr.Relay, Relay
	FeatBusyPoll       uint64 = 1 << 14 // per-handle busy polling: SetBusyPoll
	FeatURingWritePark uint64 = 1 << 15 // io_uring writes park in order
)

type kFeatures struct {
	features           uint64    `c:"features"`
	maxCapacity        uint32    `c:"max_capacity"`
	maxMsgSize         uint32    `c:"max_msg_size"`
	maxChannelBytes    uint64    `c:"max_channel_bytes"`
	maxChannelsPerUser uint32    `c:"max_channels_per_user"`
	maxSelectCases     uint32    `c:"max_select_cases"`
	unbufferedSlots    uint32    `c:"unbuffered_slots"`
	reserved0          uint32    `c:"reserved0"`
	maxUserBytes       uint64    `c:"max_user_bytes"`
	reserved           [3]uint64 `c:"reserved"`
}

type kCreateReq struct {
	flags         uint32        `c:"flags"`
	oflags        uint32        `c:"oflags"`
	capacity      uint32        `c:"capacity"`
	msgSize       uint32        `c:"msg_size"`
	mode          uint32        `c:"mode"`
	reserved0     uint32        `c:"reserved0"`
	name          [nameMax]byte `c:"name"`
	maxDeliveries uint32        `c:"max_deliveries"`
	leaseMs       uint32        `c:"lease_ms"`
	rate          uint32        `c:"rate"`
	burst         uint32        `c:"burst"`
	reserved      [2]uint64     `c:"reserved"`
}

type kNameReq struct {
	oflags    uint32        `c:"oflags"`
	reserved0 uint32        `c:"reserved0"`
	name      [nameMax]byte `c:"name"`
	reserved  [2]uint64     `c:"reserved"`
}

type kXfer struct {
	buf        uint64 `c:"buf"`
	len        uint32 `c:"len"`
	flags      uint32 `c:"flags"`
	timeoutNs  int64  `c:"timeout_ns"`
	seq        uint64 `c:"seq"`
	sentNs     uint64 `c:"sent_ns"`
	pid        uint32 `c:"pid"`
	deliveries uint32 `c:"deliveries"`
	lease      uint64 `c:"lease"`
	fd         int32  `c:"fd"`
	reserved0  uint32 `c:"reserved0"`
}

type kInfo struct {
	id               uint64        `c:"id"`
	capacity         uint32        `c:"capacity"`
	msgSize          uint32        `c:"msg_size"`
	depth            uint32        `c:"depth"`
	sendersWaiting   uint32        `c:"senders_waiting"`
	receiversWaiting uint32        `c:"receivers_waiting"`
	flags            uint32        `c:"flags"`
	sent             uint64        `c:"sent"`
	received         uint64        `c:"received"`
	highWater        uint32        `c:"high_water"`
	slotSize         uint32        `c:"slot_size"`
	nrSlots          uint32        `c:"nr_slots"`
	mode             uint32        `c:"mode"`
	arenaSize        uint64        `c:"arena_size"`
	name             [nameMax]byte `c:"name"`
	leased           uint32        `c:"leased"`
	maxDeliveries    uint32        `c:"max_deliveries"`
	redelivered      uint64        `c:"redelivered"`
	dead             uint64        `c:"dead"`
	leaseMs          uint32        `c:"lease_ms"`
	rate             uint32        `c:"rate"`
	burst            uint32        `c:"burst"`
	reserved0        uint32        `c:"reserved0"`
	throttledNs      uint64        `c:"throttled_ns"`
	deadLetter       uint64        `c:"dead_letter"`
	reserved         [4]uint64     `c:"reserved"`
}

type kLeaseReq struct {
	lease     uint64    `c:"lease"`
	flags     uint32    `c:"flags"`
	reserved0 uint32    `c:"reserved0"`
	reserved  [2]uint64 `c:"reserved"`
}

type kDeadLetterReq struct {
	fd       int32     `c:"fd"`
	flags    uint32    `c:"flags"`
	reserved [2]uint64 `c:"reserved"`
}

type kRateReq struct {
	rate      uint32    `c:"rate"`
	burst     uint32    `c:"burst"`
	flags     uint32    `c:"flags"`
	reserved0 uint32    `c:"reserved0"`
	reserved  [2]uint64 `c:"reserved"`
}

type kBusyPollReq struct {
	usecs    uint32 `c:"usecs"`
	flags    uint32 `c:"flags"`
	reserved uint64 `c:"reserved"`
}

type kSelectCase struct {
	fd        int32  `c:"fd"`
	op        uint32 `c:"op"`
	buf       uint64 `c:"buf"`
	len       uint32 `c:"len"`
	reserved0 uint32 `c:"reserved0"`
}

type kSelectReq struct {
	cases     uint64    `c:"cases"`
	nr        uint32    `c:"nr"`
	flags     uint32    `c:"flags"`
	timeoutNs int64     `c:"timeout_ns"`
	result    int64     `c:"result"`
	reserved  [2]uint64 `c:"reserved"`
}

// The ioctl requests this package issues.
var (
	iocFeatures = ioc(iocRead|iocWrite, iocMagic, 0x00, unsafe.Sizeof(kFeatures{}))
	iocCreate   = ioc(iocRead|iocWrite, iocMagic, 0x01, unsafe.Sizeof(kCreateReq{}))
	iocOpen     = ioc(iocRead|iocWrite, iocMagic, 0x02, unsafe.Sizeof(kNameReq{}))
	iocUnlink   = ioc(iocRead|iocWrite, iocMagic, 0x03, unsafe.Sizeof(kNameReq{}))
	iocSelect   = ioc(iocRead|iocWrite, iocMagic, 0x04, unsafe.Sizeof(kSelectReq{}))
	iocSend     = ioc(iocRead|iocWrite, iocMagic, 0x10, unsafe.Sizeof(kXfer{}))
	iocRecv     = ioc(iocRead|iocWrite, iocMagic, 0x11, unsafe.Sizeof(kXfer{}))
	iocShutdown = ioc(iocNone, iocMagic, 0x12, 0)
	iocStat     = ioc(iocRead, iocMagic, 0x13, unsafe.Sizeof(kInfo{}))
	iocStatV1   = ioc(iocRead, iocMagic, 0x13, infoSizeV1)
	iocAck      = ioc(iocWrite, iocMagic, 0x18, unsafe.Sizeof(kLeaseReq{}))
	iocNack     = ioc(iocWrite, iocMagic, 0x19, unsafe.Sizeof(kLeaseReq{}))
	iocSetDLQ   = ioc(iocWrite, iocMagic, 0x1a, unsafe.Sizeof(kDeadLetterReq{}))
	iocSetRate  = ioc(iocWrite, iocMagic, 0x1b, unsafe.Sizeof(kRateReq{}))
	iocBusyPoll = ioc(iocRead|iocWrite, iocMagic, 0x1c, unsafe.Sizeof(kBusyPollReq{}))
)
