// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT

//go:build linux

package cspchan

import (
	"context"
	"os"
	"syscall"
	"unsafe"
)

// Dir is the direction of a select case.
type Dir int

// The directions of a select case.
const (
	SelectSend Dir = opSend // send Case.Msg
	SelectRecv Dir = opRecv // receive into Case.Msg
)

// Case is one case of a Select: a send or a receive on a channel.
type Case struct {
	Dir  Dir
	Chan *Chan // nil: a case that is never ready, as a nil channel in Go
	// Msg is the message to send, or the buffer to receive into; nil
	// for a receive makes Select return a fresh copy of the message.
	Msg []byte
}

// SendCase returns a case that sends msg on c.
func SendCase(c *Chan, msg []byte) Case { return Case{Dir: SelectSend, Chan: c, Msg: msg} }

// RecvCase returns a case that receives from c into buf; nil buf makes
// Select return a fresh copy of the message.
func RecvCase(c *Chan, buf []byte) Case { return Case{Dir: SelectRecv, Chan: c, Msg: buf} }

// Select is Go's select over channels of any processes: it performs
// exactly one ready case, chosen uniformly at random among the ready ones,
// waiting until one is ready or ctx is done (CSPCHAN_IOC_SELECT).
//
// It returns the index of the case performed and, for a receive, the
// message. A performed case can still fail: a receive at end of stream
// returns an error matching ErrShutdown and io.EOF, a send on a shut-down
// channel one matching ErrShutdown, with the case's index. When no case
// was performed (ctx done, a bad case, a closed handle) the index is -1.
//
// Select waits in the poller (no thread) unless a case sends on an
// unbuffered channel; then it waits in the kernel on a locked thread (see
// the package documentation). Either way it returns within a few
// milliseconds of ctx's end.
func Select(ctx context.Context, cases ...Case) (int, []byte, error) {
	return doSelect(ctx, cases, 0, true)
}

// SelectPrio is Select, except that among the cases ready when it commits
// it performs the one with the lowest index (SPEC 10): later cases starve
// while earlier ones stay ready. It fails with ErrNotSupported when the
// module lacks CSPCHAN_FEAT_SELECT_PRIO.
func SelectPrio(ctx context.Context, cases ...Case) (int, []byte, error) {
	if !hasFeature(FeatSelectPrio) {
		return -1, nil, wrap("select", "", syscall.EOPNOTSUPP)
	}
	return doSelect(ctx, cases, selectPrio, true)
}

// TrySelect is Select with Go's default case: it never waits, and returns
// -1 with a nil error when no case is ready.
func TrySelect(cases ...Case) (int, []byte, error) {
	i, msg, err := doSelect(context.Background(), cases, 0, false)
	if err != nil && i < 0 && isErrno(err, syscall.EAGAIN) {
		return -1, nil, nil
	}
	return i, msg, err
}

func isErrno(err error, errno syscall.Errno) bool {
	e, ok := err.(*Error)
	return ok && e.Err == errno
}

// selection is one Select in flight: the cases, their ABI form and the
// distinct handles they use.
type selection struct {
	cases  []Case
	chans  []*Chan // distinct, non-nil
	bufs   []*[]byte
	k      []kSelectCase
	req    kSelectReq
	flags  uint32
	result int64 // the performed case's outcome: bytes, or -errno
}

func newSelection(n int) *selection {
	return &selection{cases: make([]Case, n), k: make([]kSelectCase, n)}
}

// doSelect performs one select; block false is TrySelect.
func doSelect(ctx context.Context, cases []Case, flags uint32, block bool) (int, []byte, error) {
	const op = "select"
	if len(cases) == 0 {
		return -1, nil, wrap(op, "", syscall.EINVAL)
	}
	for i := range cases {
		escapes(cases[i].Msg)
	}
	if err := ctx.Err(); err != nil {
		return -1, nil, wrap(op, "", err)
	}
	s := newSelection(len(cases))
	s.flags = flags
	copy(s.cases, cases)
	s.bufs = make([]*[]byte, len(cases))
	park := false
	for i := range s.cases {
		cs := &s.cases[i]
		if cs.Chan == nil {
			continue
		}
		if cs.Dir == SelectRecv && cs.Msg == nil {
			s.bufs[i] = cs.Chan.bufs.Get().(*[]byte)
			cs.Msg = *s.bufs[i]
		}
		if cs.Dir == SelectSend && cs.Chan.capacity == 0 {
			park = true
		}
		s.addChan(cs.Chan)
	}
	defer s.putBufs()

	i, err := s.try(0)
	if err == syscall.EAGAIN && block {
		if park {
			i, err = s.park(ctx)
		} else {
			i, err = s.wait(ctx)
		}
	}
	if err == nil && (i < 0 || i >= len(cases)) {
		err = syscall.EIO // a module bug
	}
	if err != nil {
		return -1, nil, wrap(op, "", err)
	}
	return s.outcome(op, i)
}

func (s *selection) addChan(c *Chan) {
	for _, d := range s.chans {
		if d == c {
			return
		}
	}
	s.chans = append(s.chans, c)
}

func (s *selection) putBufs() {
	for i, b := range s.bufs {
		if b != nil {
			s.cases[i].Chan.bufs.Put(b)
		}
	}
}

// outcome turns the performed case i and its result into Select's answer.
func (s *selection) outcome(op string, i int) (int, []byte, error) {
	cs := &s.cases[i]
	name := cs.Chan.name
	switch {
	case s.result < 0:
		return i, nil, wrap(op, name, syscall.Errno(-s.result))
	case cs.Dir == SelectSend:
		return i, nil, nil
	case s.result == 0:
		return i, nil, errEOF(op, name)
	}
	msg := cs.Msg[:s.result]
	if s.bufs[i] != nil {
		msg = append([]byte(nil), msg...)
	}
	return i, msg, nil
}

// try is one CSPCHAN_IOC_SELECT with timeout timeoutNs (0: never wait),
// with every handle acquired for the call.
func (s *selection) try(timeoutNs int64) (int, error) {
	for n, c := range s.chans {
		if !c.acquire() {
			for _, d := range s.chans[:n] {
				d.release()
			}
			return -1, os.ErrClosed
		}
	}
	defer func() {
		for _, c := range s.chans {
			c.release()
		}
	}()
	ctl, err := controlFD()
	if err != nil {
		return -1, err
	}
	for {
		for i := range s.cases {
			cs, k := &s.cases[i], &s.k[i]
			*k = kSelectCase{fd: -1, op: uint32(cs.Dir), len: clampLen(len(cs.Msg))}
			if cs.Chan != nil {
				k.fd = int32(cs.Chan.fd)
			}
			if len(cs.Msg) > 0 {
				k.buf = uint64(uintptr(unsafe.Pointer(&cs.Msg[0])))
			}
		}
		s.req = kSelectReq{nr: uint32(len(s.k)), flags: s.flags, timeoutNs: timeoutNs}
		s.req.cases = uint64(uintptr(unsafe.Pointer(&s.k[0])))
		r, e := ioctl(ctl, iocSelect, unsafe.Pointer(&s.req))
		if e == syscall.EINTR && timeoutNs == 0 {
			continue // nothing to lose: try again
		}
		if e != 0 {
			return -1, e
		}
		s.result = s.req.result
		return r, nil
	}
}

// wait retries the select whenever a case's handle becomes ready, waiting
// in every case's readiness queue at once (no thread).
func (s *selection) wait(ctx context.Context) (int, error) {
	type entry struct {
		q *readiness
		c *Chan
	}
	var qs []entry
	for _, cs := range s.cases {
		if cs.Chan == nil {
			continue
		}
		q := &cs.Chan.recvq
		if cs.Dir == SelectSend {
			q = &cs.Chan.sendq
		}
		dup := false
		for _, e := range qs {
			dup = dup || e.q == q
		}
		if !dup {
			qs = append(qs, entry{q, cs.Chan})
		}
	}
	if len(qs) == 0 { // only nil cases: wait for ctx, as Go would forever
		<-ctx.Done()
		return -1, ctx.Err()
	}
	w := getWaiter()
	nodes := make([]qnode, len(qs))
	for i, e := range qs {
		nodes[i].w = w
		e.q.waitSelecting(e.c, &nodes[i])
	}
	defer func() {
		for i, e := range qs {
			e.q.remove(e.c, &nodes[i])
		}
		putWaiter(w)
	}()
	for {
		i, err := s.try(0)
		if err != syscall.EAGAIN {
			return i, err
		}
		select {
		case <-w.ready:
		case <-ctx.Done():
			return -1, ctx.Err()
		}
	}
}

// park waits in the kernel: the select has a send case on an unbuffered
// channel, which must be offered there to meet a receiver.
func (s *selection) park(ctx context.Context) (int, error) {
	return park(ctx, s.chans, s.try)
}
