// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT

// Package cspchan gives Go programs the kernel channels of cspchan.ko:
// Go-style CSP channels that live in the kernel and are shared between
// processes (see cspchan(7) and the project's SPEC.md).
//
// A channel is created with Create, or opened by name with Open; each
// returns a *Chan, a handle with a descriptor of its own. Send and Recv
// move one message each, and Recv returns the message's metadata (its
// sequence number, its sender's pid and its send time). Shutdown is Go's
// close: receivers drain what is queued, then see end of stream. Select
// performs exactly one ready case among sends and receives on any
// channels, as Go's select does.
//
//	jobs, err := cspchan.Create("jobs", cspchan.Attr{Capacity: 64, MsgSize: 256})
//	...
//	err = jobs.Send(ctx, []byte("job 1"))
//	m, err := jobs.Recv(ctx) // m.Data, m.Seq, m.PID, m.SentNs
//
// Messages and Sink adapt a handle to a Go channel, so that code written
// for goroutines keeps its shape across processes:
//
//	for m := range jobs.Messages(ctx) {
//		results <- process(m.Data) // results := resultsChan.Sink(ctx)
//	}
//
// # Errors
//
// Every error is an *Error. errors.Is compares it with the syscall.Errno
// the module returned (syscall.EMSGSIZE, syscall.EACCES, ...), with the
// sentinels ErrShutdown, ErrTimeout and ErrNotSupported, and with
// io.EOF (end of stream), os.ErrClosed (a closed handle) and the context's
// errors.
//
// # Waiting without threads
//
// Every handle is non-blocking and registered with the Go runtime's
// network poller. An operation first tries without waiting; if the channel
// is empty (or full), the goroutine joins the handle's queue of waiters and
// parks in the Go scheduler. One goroutine per handle and direction waits
// for the descriptor's readiness (EPOLLIN, EPOLLOUT) through
// RawConn.Read/Write and wakes the first waiter, which tries again. No
// thread is held while waiting, so thousands of goroutines can wait on
// channels; giving up when ctx is done is a select on ctx.Done() and
// returns at once.
//
// The exception is a send on an unbuffered channel (capacity 0). A
// non-blocking send there succeeds only if a receiver is waiting in the
// kernel, and Go receivers wait in the poller instead, so such a send must
// wait in the kernel, as an offer that receivers see as EPOLLIN. It does
// so with CSPCHAN_IOC_SELECT and a timeout, on a thread locked to the
// goroutine; when ctx is done the thread is interrupted with SIGURG (the
// runtime's own preemption signal), so that too returns within a few
// milliseconds. A Select with a send case on an unbuffered channel waits
// the same way. So a goroutine blocked sending on an unbuffered channel
// holds a thread; one blocked receiving does not. Two processes that both
// use only non-blocking calls on an unbuffered channel can never meet
// (docs/design.md); this package always has one side waiting in the
// kernel.
//
// The descriptor's non-blocking mode belongs to its open file description,
// which a descriptor passed to another process shares; give other programs
// a handle of their own (Open by name) rather than this one.
//
// # Leases
//
// A channel created with Attr.Lease (SPEC 9, FeatLease) delivers at least
// once: Recv returns Message.Lease, and the message stays leased to the
// receiving handle until Ack(m.Lease); Nack gives it back at once, and a
// handle closed first (its process died) gives back all it holds. A
// message can therefore be delivered twice; Message.Deliveries above 1
// says so, and Message.Seq identifies it. Attr.MaxDeliveries and
// SetDeadLetter bound poison messages, Attr.LeaseMs hung workers. Select's
// receives take the handle's implicit lease, which the handle's next
// receive acknowledges (cspchan(7), DELIVERY GUARANTEES). Without
// FeatLease, Ack, Nack, SetDeadLetter and Create with Attr.Lease,
// MaxDeliveries or LeaseMs fail with ErrNotSupported.
//
// # Paced channels
//
// A channel created with Attr.Rate, or given a rate with SetRate (SPEC 11,
// FeatPace), lets at most that many messages per second out, summed over
// all its receivers in every process, in bursts of up to Attr.Burst: a
// token bucket in the kernel that starts full. Recv waits for a token as
// it waits for a message, and producers feel the rate as back-pressure
// once the channel is full. Stat reports Rate, Burst and ThrottledNs.
// Without FeatPace, SetRate and Create with Attr.Rate or Burst fail with
// ErrNotSupported.
//
// # Reply channels
//
// Call (SPEC 12, FeatReply) is request and response: it sends a request
// with a fresh reply channel attached (Attr.Reply) and waits for the
// reply, ctx covering the whole call. A server's Recv returns the reply
// channel as Message.Reply, a send-only handle it answers on and closes;
// closing it unanswered, or dying, makes the caller's Call fail at once
// with syscall.ECONNRESET. SendMsg attaches a reply channel of the
// caller's own. On a lease channel a request keeps its reply channel
// and carries it again when it is redelivered. Without FeatReply, Call,
// SendMsg with a reply channel and Create with Attr.Reply fail with
// ErrNotSupported.
//
// # Relay channels
//
// A channel created with Attr.Relay (FeatRelay) is for bridges that
// forward messages from another channel, or another machine, and keep
// their origin: Relay sends a message carrying the Seq, PID and SentNs of
// a Message given to it instead of the kernel's stamp, and receivers see
// them as given. Relayed messages do not advance the channel's own
// sequence numbers, and Send on a relay channel is stamped as on any
// other. Relay on a channel created without Attr.Relay fails with
// syscall.EINVAL. Without FeatRelay, Relay and Create with Attr.Relay
// fail with ErrNotSupported.
//
// # Optional features
//
// Priority select (SelectPrio) needs CSPCHAN_FEAT_SELECT_PRIO, and
// SetBusyPoll, a handle's spin budget for blocking waits in the kernel
// (which this package's own waits are not), CSPCHAN_FEAT_BUSY_POLL.
package cspchan
