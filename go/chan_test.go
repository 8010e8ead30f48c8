// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT

//go:build linux

package cspchan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestSendRecvMetadata(t *testing.T) {
	ctx := testCtx(t, time.Minute)
	c := mustCreate(t, "", Attr{Capacity: 4, MsgSize: 64})
	if c.Cap() != 4 || c.MsgSize() != 64 || c.Name() != "" {
		t.Fatalf("Cap %d MsgSize %d Name %q", c.Cap(), c.MsgSize(), c.Name())
	}
	before := monotonicNs()
	for i := 0; i < 3; i++ {
		if err := c.Send(ctx, []byte(fmt.Sprintf("msg %d", i))); err != nil {
			t.Fatal(err)
		}
	}
	var last uint64
	for i := 0; i < 3; i++ {
		m, err := c.Recv(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("msg %d", i); string(m.Data) != want {
			t.Errorf("message %d: %q, want %q", i, m.Data, want)
		}
		if i > 0 && m.Seq != last+1 {
			t.Errorf("message %d: seq %d after %d", i, m.Seq, last)
		}
		last = m.Seq
		if m.PID != os.Getpid() {
			t.Errorf("message %d: pid %d, want %d", i, m.PID, os.Getpid())
		}
		if m.SentNs < before || m.SentNs > monotonicNs() || m.Age() < 0 {
			t.Errorf("message %d: sent_ns %d outside [%d, now]", i, m.SentNs, before)
		}
	}
}

func TestRecvInto(t *testing.T) {
	ctx := testCtx(t, time.Minute)
	c := mustCreate(t, "", Attr{Capacity: 2, MsgSize: 16})
	if err := c.Send(ctx, []byte("0123456789")); err != nil {
		t.Fatal(err)
	}
	short := make([]byte, 4)
	if _, err := c.RecvInto(ctx, short); !errors.Is(err, syscall.EMSGSIZE) {
		t.Fatalf("short buffer: %v, want EMSGSIZE", err)
	}
	buf := make([]byte, 16)
	m, err := c.RecvInto(ctx, buf)
	if err != nil || string(m.Data) != "0123456789" || &m.Data[0] != &buf[0] {
		t.Fatalf("RecvInto: %q, %v (the message must stay after EMSGSIZE, in buf)", m.Data, err)
	}
}

func TestSizes(t *testing.T) {
	ctx := testCtx(t, time.Minute)
	c := mustCreate(t, "", Attr{Capacity: 2, MsgSize: 8})
	if err := c.Send(ctx, make([]byte, 9)); !errors.Is(err, syscall.EMSGSIZE) {
		t.Errorf("9 bytes on msg_size 8: %v, want EMSGSIZE", err)
	}
	if err := c.Send(ctx, nil); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("empty message: %v, want EINVAL", err)
	}
	if _, err := Create("", Attr{Capacity: 1}); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("MsgSize 0: %v, want EINVAL", err)
	}
}

func TestNames(t *testing.T) {
	ctx := testCtx(t, time.Minute)
	name := chanName(t, "names")
	c := mustCreate(t, name, Attr{Capacity: 4, MsgSize: 32, Exclusive: true})
	if _, err := Create(name, Attr{Capacity: 4, MsgSize: 32, Exclusive: true}); !errors.Is(err, fs.ErrExist) || !errors.Is(err, syscall.EEXIST) {
		t.Errorf("exclusive create of an existing name: %v, want EEXIST", err)
	}
	again, err := Create(name, Attr{Capacity: 1, MsgSize: 1})
	if err != nil {
		t.Fatalf("create of an existing name opens it: %v", err)
	}
	if again.Cap() != 4 || again.MsgSize() != 32 {
		t.Errorf("reopened by Create: cap %d size %d, want the original 4, 32", again.Cap(), again.MsgSize())
	}
	again.Close()

	w, err := Open(name, os.O_WRONLY)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	r, err := Open(name, os.O_RDONLY)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := w.Send(ctx, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if err := r.Send(ctx, []byte("x")); !errors.Is(err, syscall.EBADF) {
		t.Errorf("send on a receive-only handle: %v, want EBADF", err)
	}
	if _, err := w.Recv(ctx); !errors.Is(err, syscall.EBADF) {
		t.Errorf("receive on a send-only handle: %v, want EBADF", err)
	}
	if m, err := r.Recv(ctx); err != nil || string(m.Data) != "hello" {
		t.Errorf("Recv: %q %v", m.Data, err)
	}
	st, err := c.Stat()
	if err != nil || st.Name != name || !st.Named || st.Mode != 0o600 {
		t.Errorf("Stat: %+v %v, want name %q, named, mode 0600", st, err, name)
	}

	if err := Unlink(name); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(name, os.O_RDWR); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("open after unlink: %v, want ENOENT", err)
	}
	if err := w.Send(ctx, []byte("still")); err != nil {
		t.Errorf("open handles keep working after unlink: %v", err)
	}
	if _, err := Open("bad/name", os.O_RDWR); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("bad name: %v, want EINVAL", err)
	}
	if _, err := Open(string(make([]byte, 64)), os.O_RDWR); !errors.Is(err, syscall.ENAMETOOLONG) {
		t.Errorf("64-byte name: %v, want ENAMETOOLONG", err)
	}
}

func TestShutdownDrains(t *testing.T) {
	ctx := testCtx(t, time.Minute)
	c := mustCreate(t, "", Attr{Capacity: 4, MsgSize: 8})
	c.Send(ctx, []byte("a"))
	c.Send(ctx, []byte("b"))
	if err := c.Shutdown(); err != nil {
		t.Fatal(err)
	}
	err := c.Send(ctx, []byte("c"))
	if !errors.Is(err, ErrShutdown) || !errors.Is(err, syscall.EPIPE) {
		t.Errorf("send after shutdown: %v, want ErrShutdown (EPIPE)", err)
	}
	for _, want := range []string{"a", "b"} {
		if m, err := c.Recv(ctx); err != nil || string(m.Data) != want {
			t.Errorf("drain: %q %v, want %q", m.Data, err, want)
		}
	}
	_, err = c.Recv(ctx)
	if !errors.Is(err, io.EOF) || !errors.Is(err, ErrShutdown) {
		t.Errorf("receive after drain: %v, want end of stream (io.EOF, ErrShutdown)", err)
	}
	if err := c.Shutdown(); !errors.Is(err, ErrShutdown) {
		t.Errorf("second shutdown: %v, want ErrShutdown", err)
	}
	if st, _ := c.Stat(); !st.Shut {
		t.Error("Stat: not shut")
	}
}

func TestStat(t *testing.T) {
	ctx := testCtx(t, time.Minute)
	c := mustCreate(t, "", Attr{Capacity: 8, MsgSize: 100, AutoClose: true})
	for i := 0; i < 5; i++ {
		c.Send(ctx, []byte("x"))
	}
	c.Recv(ctx)
	st, err := c.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if st.Capacity != 8 || st.MsgSize != 100 || st.Depth != 4 || st.Sent != 5 ||
		st.Received != 1 || st.HighWater != 5 || !st.AutoClose || st.Shut || st.Named {
		t.Errorf("Stat: %+v", st)
	}
}

func TestFeatures(t *testing.T) {
	needModule(t)
	f, err := ReadFeatures()
	if err != nil {
		t.Fatal(err)
	}
	if !f.Has(FeatSelect|FeatXfer|FeatNames) || f.MaxSelectCases < 1 || f.MaxMsgSize < 1 {
		t.Errorf("features: %+v", f)
	}
	t.Logf("features %#x, max_select_cases %d, max_msg_size %d", f.Bits, f.MaxSelectCases, f.MaxMsgSize)
}

// TestAttrFeatures: each attribute that needs an optional feature asks
// for exactly that one, so Create refuses it with ErrNotSupported on a
// module without it, and plain attributes ask for none.
func TestAttrFeatures(t *testing.T) {
	cases := []struct {
		attr Attr
		want uint64
	}{
		{Attr{Capacity: 4, MsgSize: 8, AutoClose: true, Exclusive: true, Mode: 0o640}, 0},
		{Attr{Capacity: 4, MsgSize: 8, Lease: true}, FeatLease},
		{Attr{Capacity: 4, MsgSize: 8, MaxDeliveries: 3}, FeatLease},
		{Attr{Capacity: 4, MsgSize: 8, LeaseMs: 100}, FeatLease},
		{Attr{Capacity: 4, MsgSize: 8, Rate: 10}, FeatPace},
		{Attr{Capacity: 4, MsgSize: 8, Burst: 2}, FeatPace},
		{Attr{Capacity: 4, MsgSize: 8, Reply: true}, FeatReply},
		{Attr{Capacity: 4, MsgSize: 8, Relay: true}, FeatRelay},
		{Attr{Capacity: 4, MsgSize: 8, Lease: true, Rate: 10, Reply: true}, FeatLease | FeatPace | FeatReply},
	}
	for _, c := range cases {
		if got := c.attr.features(); got != c.want {
			t.Errorf("%+v: features %#x, want %#x", c.attr, got, c.want)
		}
	}
}

// TestCreateNeedsFeature: without the module (or with one that lacks the
// feature) Create refuses a lease, paced or reply channel with
// ErrNotSupported, not with the module's EINVAL.
func TestCreateNeedsFeature(t *testing.T) {
	for _, a := range []struct {
		attr Attr
		feat uint64
	}{
		{Attr{Capacity: 1, MsgSize: 8, Lease: true}, FeatLease},
		{Attr{Capacity: 1, MsgSize: 8, Rate: 10}, FeatPace},
		{Attr{Capacity: 1, MsgSize: 8, Reply: true}, FeatReply},
	} {
		if hasFeature(a.feat) {
			continue
		}
		if _, err := Create("", a.attr); !errors.Is(err, ErrNotSupported) {
			t.Errorf("Create(%+v) without feature %#x: %v, want ErrNotSupported", a.attr, a.feat, err)
		}
	}
}

func TestRecvWaits(t *testing.T) {
	ctx := testCtx(t, time.Minute)
	c := mustCreate(t, "", Attr{Capacity: 1, MsgSize: 8})
	got := make(chan string)
	go func() {
		m, err := c.Recv(ctx)
		if err != nil {
			got <- err.Error()
			return
		}
		got <- string(m.Data)
	}()
	time.Sleep(20 * time.Millisecond)
	select {
	case s := <-got:
		t.Fatalf("Recv returned %q before anything was sent", s)
	default:
	}
	c.Send(ctx, []byte("late"))
	if s := <-got; s != "late" {
		t.Errorf("Recv: %q", s)
	}
}

func TestBackPressure(t *testing.T) {
	ctx := testCtx(t, time.Minute)
	c := mustCreate(t, "", Attr{Capacity: 2, MsgSize: 8})
	c.Send(ctx, []byte("1"))
	c.Send(ctx, []byte("2"))
	sent := make(chan error)
	go func() { sent <- c.Send(ctx, []byte("3")) }()
	time.Sleep(20 * time.Millisecond)
	select {
	case err := <-sent:
		t.Fatalf("send on a full channel returned: %v", err)
	default:
	}
	if m, _ := c.Recv(ctx); string(m.Data) != "1" {
		t.Fatalf("Recv: %q", m.Data)
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"2", "3"} {
		if m, _ := c.Recv(ctx); string(m.Data) != want {
			t.Errorf("Recv: %q, want %q", m.Data, want)
		}
	}
}

// TestUnbuffered checks the rendezvous both ways round: a Go receiver
// waits in the poller, so the sender must offer in the kernel.
func TestUnbuffered(t *testing.T) {
	ctx := testCtx(t, time.Minute)
	c := mustCreate(t, "", Attr{Capacity: 0, MsgSize: 8})

	// Sender first: it must not complete until the receive.
	done := make(chan error)
	go func() { done <- c.Send(ctx, []byte("first")) }()
	time.Sleep(20 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("unbuffered send completed without a receiver: %v", err)
	default:
	}
	if m, err := c.Recv(ctx); err != nil || string(m.Data) != "first" {
		t.Fatalf("Recv: %q %v", m.Data, err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	// Receiver first.
	got := make(chan string)
	go func() {
		m, _ := c.Recv(ctx)
		got <- string(m.Data)
	}()
	time.Sleep(20 * time.Millisecond)
	if err := c.Send(ctx, []byte("second")); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "second" {
		t.Errorf("Recv: %q", s)
	}

	// Many senders and receivers: each message exactly once.
	const n = 200
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := i; j < n; j += 4 {
				if err := c.Send(ctx, []byte(fmt.Sprint(j))); err != nil {
					t.Error(err)
					return
				}
			}
		}(i)
	}
	seen := make(map[string]int)
	var mu sync.Mutex
	var rg sync.WaitGroup
	for i := 0; i < 3; i++ {
		rg.Add(1)
		go func() {
			defer rg.Done()
			for {
				m, err := c.Recv(ctx)
				if err != nil {
					if !errors.Is(err, io.EOF) {
						t.Error(err)
					}
					return
				}
				mu.Lock()
				seen[string(m.Data)]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	c.Shutdown()
	rg.Wait()
	for j := 0; j < n; j++ {
		if seen[fmt.Sprint(j)] != 1 {
			t.Errorf("message %d received %d times", j, seen[fmt.Sprint(j)])
		}
	}
}

func TestClose(t *testing.T) {
	ctx := testCtx(t, time.Minute)
	needModule(t)
	c, err := Create("", Attr{Capacity: 1, MsgSize: 8})
	if err != nil {
		t.Fatal(err)
	}
	u, err := Create("", Attr{Capacity: 0, MsgSize: 8})
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 2)
	go func() { _, err := c.Recv(ctx); errs <- err }()
	go func() { errs <- u.Send(ctx, []byte("x")) }()
	time.Sleep(50 * time.Millisecond)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := u.Close(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if err := <-errs; !errors.Is(err, os.ErrClosed) {
			t.Errorf("operation waiting across Close: %v, want os.ErrClosed", err)
		}
	}
	if err := c.Close(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("second Close: %v", err)
	}
	if err := c.Send(ctx, []byte("x")); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Send after Close: %v", err)
	}
	if _, err := c.Stat(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Stat after Close: %v", err)
	}
}

func TestNotSupported(t *testing.T) {
	ctx := testCtx(t, time.Minute)
	c := mustCreate(t, "", Attr{Capacity: 1, MsgSize: 8})
	errs := map[string]error{}
	if !hasFeature(FeatReply) {
		_, errs["Call"] = c.Call(ctx, []byte("req"))
		errs["SendMsg"] = c.SendMsg(ctx, []byte("req"), c)
	}
	if !hasFeature(FeatPace) {
		errs["SetRate"] = c.SetRate(10, 1)
	}
	if !hasFeature(FeatBusyPoll) {
		_, errs["SetBusyPoll"] = c.SetBusyPoll(10)
	}
	if !hasFeature(FeatLease) {
		errs["Ack"] = c.Ack(1)
		errs["Nack"] = c.Nack(1)
		errs["SetDeadLetter"] = c.SetDeadLetter(nil)
	}
	for name, err := range errs {
		if !errors.Is(err, ErrNotSupported) || !errors.Is(err, syscall.ENOTSUP) || !errors.Is(err, syscall.EOPNOTSUPP) {
			t.Errorf("%s: %v, want ErrNotSupported (ENOTSUP)", name, err)
		}
	}
}

func TestErrorText(t *testing.T) {
	err := error(&Error{Op: "send", Name: "jobs", Err: syscall.EPIPE})
	if got, want := err.Error(), "cspchan send jobs: broken pipe"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	timeout := error(&Error{Op: "recv", Err: context.DeadlineExceeded})
	if !errors.Is(timeout, ErrTimeout) || !errors.Is(timeout, syscall.ETIMEDOUT) || !timeout.(*Error).Timeout() {
		t.Errorf("%v: not a timeout", timeout)
	}
	if errors.Is(err, ErrTimeout) || errors.Is(timeout, ErrShutdown) {
		t.Error("sentinels match what they should not")
	}
}

// TestPace: a paced channel lets its messages out at its rate, the bucket
// starting full, to a receive-only consumer as the package recommends
// (each Recv waits in the runtime's poller, edge-triggered epoll, for the
// token); Stat reports Rate and Burst; SetRate changes them and 0 unpaces;
// an unbuffered channel cannot be paced (SPEC 11).
func TestPace(t *testing.T) {
	needModule(t)
	if !hasFeature(FeatPace) {
		t.Skip("the module has no paced channels (CSPCHAN_FEAT_PACE)")
	}
	ctx := testCtx(t, time.Minute)
	if _, err := Create("", Attr{Capacity: 0, MsgSize: 8, Rate: 5}); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("Create with Rate and capacity 0: %v, want EINVAL", err)
	}
	name := chanName(t, "pace")
	c := mustCreate(t, name, Attr{Capacity: 8, MsgSize: 8, Rate: 5})
	if st, err := c.Stat(); err != nil || st.Rate != 5 || st.Burst != 1 || st.ThrottledNs != 0 {
		t.Fatalf("Stat of a new paced channel: %+v %v, want rate 5, burst 1", st, err)
	}
	// A producer's send-only handle and a consumer's receive-only one,
	// as Open recommends; the creator's handle is closed.
	w, err := Open(name, os.O_WRONLY)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	r, err := Open(name, os.O_RDONLY)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	c.Close()
	for _, msg := range []string{"a", "b", "c"} {
		if err := w.Send(ctx, []byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	for _, want := range []string{"a", "b", "c"} {
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		m, err := r.Recv(rctx)
		cancel()
		if err != nil || string(m.Data) != want {
			t.Fatalf("Recv after %v: %q %v, want %q (the token is due every 200 ms)",
				time.Since(start), m.Data, err, want)
		}
	}
	// The first at once (a full bucket), then one per 200 ms.
	if d := time.Since(start); d < 360*time.Millisecond {
		t.Errorf("3 messages at rate 5 burst 1 took %v, want at least 400 ms", d)
	}

	if err := w.SetRate(0, 7); err != nil {
		t.Fatalf("SetRate(0, 7): %v", err)
	}
	if st, err := w.Stat(); err != nil || st.Rate != 0 || st.Burst != 0 {
		t.Errorf("Stat after SetRate(0, 7): %+v %v, want rate 0, burst 0", st, err)
	}
	if err := r.SetRate(1000, 3); err != nil {
		t.Fatalf("SetRate(1000, 3) on the receive-only handle: %v", err)
	}
	if st, err := r.Stat(); err != nil || st.Rate != 1000 || st.Burst != 3 {
		t.Errorf("Stat after SetRate(1000, 3): %+v %v", st, err)
	}
	u := mustCreate(t, "", Attr{Capacity: 0, MsgSize: 8})
	if err := u.SetRate(10, 1); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("SetRate on an unbuffered channel: %v, want EINVAL", err)
	}
}

// TestLease: a lease channel's message stays leased until Ack, comes back
// on Nack with its seq and one more delivery, and comes back when its
// handle is closed; an ended lease is ESTALE (SPEC 9).
func TestLease(t *testing.T) {
	needModule(t)
	if !hasFeature(FeatLease) {
		t.Skip("the module has no lease channels (CSPCHAN_FEAT_LEASE)")
	}
	ctx := testCtx(t, time.Minute)
	name := chanName(t, "lease")
	c := mustCreate(t, name, Attr{Capacity: 2, MsgSize: 8, Lease: true, MaxDeliveries: 3})
	plain := mustCreate(t, "", Attr{Capacity: 1, MsgSize: 8})
	if _, err := Create("", Attr{Capacity: 0, MsgSize: 8, Lease: true}); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("Create with Lease and capacity 0: %v, want EINVAL", err)
	}
	for _, msg := range []string{"a", "b"} {
		if err := c.Send(ctx, []byte(msg)); err != nil {
			t.Fatal(err)
		}
	}

	m, err := c.Recv(ctx)
	if err != nil || string(m.Data) != "a" || m.Lease == 0 || m.Deliveries != 1 {
		t.Fatalf("Recv: %+v %v, want a, a lease, 1 delivery", m, err)
	}
	if st, err := c.Stat(); err != nil || !st.Lease || st.Leased != 1 || st.Depth != 1 || st.MaxDeliveries != 3 {
		t.Errorf("Stat with one leased: %+v %v", st, err)
	}
	if err := c.Nack(m.Lease); err != nil {
		t.Fatalf("Nack: %v", err)
	}
	again, err := c.Recv(ctx)
	if err != nil || string(again.Data) != "a" || again.Seq != m.Seq || again.Deliveries != 2 || again.Lease == m.Lease {
		t.Fatalf("Recv after Nack: %+v %v, want a again, seq %d, 2 deliveries, a new lease", again, err, m.Seq)
	}
	if err := c.Ack(m.Lease); !errors.Is(err, syscall.ESTALE) {
		t.Errorf("Ack of the nacked lease: %v, want ESTALE", err)
	}
	if err := c.Ack(again.Lease); err != nil {
		t.Fatalf("Ack: %v", err)
	}
	if err := c.Ack(again.Lease); !errors.Is(err, syscall.ESTALE) {
		t.Errorf("second Ack: %v, want ESTALE", err)
	}

	// A handle closed with a lease gives the message back.
	r, err := Open(name, os.O_RDONLY)
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.Recv(ctx)
	if err != nil || string(b.Data) != "b" {
		t.Fatalf("Recv on a second handle: %+v %v", b, err)
	}
	if err := c.Ack(b.Lease); !errors.Is(err, syscall.EPERM) {
		t.Errorf("Ack of another handle's lease: %v, want EPERM", err)
	}
	r.Close()
	b2, err := c.Recv(ctx)
	if err != nil || string(b2.Data) != "b" || b2.Seq != b.Seq || b2.Deliveries != 2 {
		t.Fatalf("Recv after the holder closed: %+v %v, want b again", b2, err)
	}
	if err := c.Ack(b2.Lease); err != nil {
		t.Fatal(err)
	}
	if st, err := c.Stat(); err != nil || st.Leased != 0 || st.Redelivered != 2 {
		t.Errorf("Stat at the end: %+v %v, want 0 leased, 2 redelivered", st, err)
	}

	// Plain channels: no lease, one delivery.
	if err := plain.Send(ctx, []byte("p")); err != nil {
		t.Fatal(err)
	}
	if p, err := plain.Recv(ctx); err != nil || p.Lease != 0 || p.Deliveries != 1 {
		t.Errorf("Recv on a plain channel: %+v %v, want lease 0, 1 delivery", p, err)
	}
	if err := c.SetDeadLetter(plain); err != nil {
		t.Errorf("SetDeadLetter: %v", err)
	}
	if err := c.SetDeadLetter(c); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("SetDeadLetter to itself: %v, want EINVAL", err)
	}
	if err := c.SetDeadLetter(nil); err != nil {
		t.Errorf("SetDeadLetter(nil): %v", err)
	}
}
