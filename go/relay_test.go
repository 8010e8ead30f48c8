// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT

//go:build linux

package cspchan

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"
)

func needRelay(t *testing.T) {
	t.Helper()
	needFeature(t, FeatRelay, "relay channels (CSPCHAN_FEAT_RELAY)")
}

// relayOrigin is the k-th origin the tests relay: nothing the kernel
// would stamp itself (as selftests/cspchan/relay.c's).
func relayOrigin(k int) Message {
	return Message{Seq: 1000003 + uint64(k), SentNs: 123456789 + int64(k), PID: 424242 + k}
}

// checkOrigin fails the test unless m is data with the k-th origin.
func checkOrigin(t *testing.T, m Message, data string, k int) {
	t.Helper()
	o := relayOrigin(k)
	if string(m.Data) != data || m.Seq != o.Seq || m.PID != o.PID || m.SentNs != o.SentNs {
		t.Errorf("relayed message: %q seq %d pid %d sent_ns %d, want %q seq %d pid %d sent_ns %d",
			m.Data, m.Seq, m.PID, m.SentNs, data, o.Seq, o.PID, o.SentNs)
	}
}

// TestRelayOrigin: a relayed message arrives with exactly the Seq, PID and
// SentNs it was given, delivered once, in order with the others.
func TestRelayOrigin(t *testing.T) {
	needRelay(t)
	ctx := testCtx(t, time.Minute)
	c := mustCreate(t, "", Attr{Capacity: 4, MsgSize: 32, Relay: true})
	for k := 0; k < 3; k++ {
		if err := c.Relay(ctx, []byte(fmt.Sprintf("hello %d", k)), relayOrigin(k)); err != nil {
			t.Fatalf("Relay %d: %v", k, err)
		}
	}
	for k := 0; k < 3; k++ {
		m, err := c.Recv(ctx)
		if err != nil {
			t.Fatal(err)
		}
		checkOrigin(t, m, fmt.Sprintf("hello %d", k), k)
		if m.Deliveries != 1 || m.Reply != nil {
			t.Errorf("relayed message %d: deliveries %d, reply %v", k, m.Deliveries, m.Reply)
		}
	}
	if st, err := c.Stat(); err != nil || st.Sent != 3 || st.Depth != 0 {
		t.Errorf("Stat after three relays: %+v %v, want sent 3, depth 0", st, err)
	}
}

// TestRelayBridge: a message received from another channel and relayed
// keeps its origin there: the source channel's seq (not the relay
// channel's next, 0) and its send time (before the relay).
func TestRelayBridge(t *testing.T) {
	needRelay(t)
	ctx := testCtx(t, time.Minute)
	src := mustCreate(t, "", Attr{Capacity: 4, MsgSize: 32})
	dst := mustCreate(t, "", Attr{Capacity: 4, MsgSize: 32, Relay: true})
	for _, s := range []string{"a", "b"} {
		if err := src.Send(ctx, []byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	var orig []Message
	for i := 0; i < 2; i++ {
		m, err := src.Recv(ctx)
		if err != nil {
			t.Fatal(err)
		}
		orig = append(orig, m)
	}
	relayed := monotonicNs()
	for _, m := range orig {
		if err := dst.Relay(ctx, m.Data, m); err != nil {
			t.Fatal(err)
		}
	}
	for i, o := range orig {
		m, err := dst.Recv(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if string(m.Data) != string(o.Data) || m.Seq != o.Seq || m.PID != o.PID || m.SentNs != o.SentNs {
			t.Errorf("bridged message %d: %+v, want the origin of %+v", i, m, o)
		}
		if m.SentNs >= relayed {
			t.Errorf("bridged message %d: sent_ns %d not before the relay (%d)", i, m.SentNs, relayed)
		}
	}
	if orig[1].Seq != 1 {
		t.Errorf("the second message's seq %d, want 1", orig[1].Seq)
	}
}

// TestRelayPlainSendStamped: Send on a relay channel is stamped by the
// kernel (its pid, its time), with the channel's own sequence numbers,
// which relayed messages do not advance: 0 for the first Send, 1 for the
// second, whatever was relayed between them.
func TestRelayPlainSendStamped(t *testing.T) {
	needRelay(t)
	ctx := testCtx(t, time.Minute)
	c := mustCreate(t, "", Attr{Capacity: 8, MsgSize: 32, Relay: true})
	if err := c.Relay(ctx, []byte("r0"), relayOrigin(0)); err != nil {
		t.Fatal(err)
	}
	before := monotonicNs()
	if err := c.Send(ctx, []byte("p0")); err != nil {
		t.Fatal(err)
	}
	after := monotonicNs()
	if err := c.Relay(ctx, []byte("r1"), relayOrigin(1)); err != nil {
		t.Fatal(err)
	}
	if err := c.Send(ctx, []byte("p1")); err != nil {
		t.Fatal(err)
	}

	recv := func() Message {
		t.Helper()
		m, err := c.Recv(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	checkOrigin(t, recv(), "r0", 0)
	if m := recv(); string(m.Data) != "p0" || m.Seq != 0 || m.PID != os.Getpid() ||
		m.SentNs < before || m.SentNs > after {
		t.Errorf("first Send: %q seq %d pid %d sent_ns %d, want \"p0\" seq 0 pid %d sent_ns in [%d, %d]",
			m.Data, m.Seq, m.PID, m.SentNs, os.Getpid(), before, after)
	}
	checkOrigin(t, recv(), "r1", 1)
	if m := recv(); string(m.Data) != "p1" || m.Seq != 1 || m.PID != os.Getpid() {
		t.Errorf("second Send: %q seq %d pid %d, want \"p1\" seq 1 pid %d",
			m.Data, m.Seq, m.PID, os.Getpid())
	}
	if st, err := c.Stat(); err != nil || st.Sent != 4 {
		t.Errorf("Stat: %+v %v, want sent 4 (relayed messages count)", st, err)
	}
}

// TestRelayNotRelayChannel: Relay on a channel created without Attr.Relay
// fails with EINVAL (op "relay"), sends nothing and uses no sequence
// number.
func TestRelayNotRelayChannel(t *testing.T) {
	needRelay(t)
	ctx := testCtx(t, time.Minute)
	c := mustCreate(t, "", Attr{Capacity: 4, MsgSize: 32})
	err := c.Relay(ctx, []byte("nope"), relayOrigin(0))
	var e *Error
	if !errors.Is(err, syscall.EINVAL) || !errors.As(err, &e) || e.Op != "relay" {
		t.Fatalf("Relay on a plain channel: %v, want relay: EINVAL", err)
	}
	if st, err := c.Stat(); err != nil || st.Depth != 0 || st.Sent != 0 {
		t.Fatalf("after the refused Relay: %+v %v, want nothing sent", st, err)
	}
	if i, msg, err := TrySelect(RecvCase(c, nil)); i != -1 || err != nil {
		t.Fatalf("a receive after the refused Relay: case %d %q %v, want nothing ready", i, msg, err)
	}
	if err := c.Send(ctx, []byte("plain")); err != nil {
		t.Fatal(err)
	}
	if m, err := c.Recv(ctx); err != nil || string(m.Data) != "plain" || m.Seq != 0 || m.PID != os.Getpid() {
		t.Errorf("Send after the refused Relay: %+v %v, want \"plain\" seq 0, our pid", m, err)
	}
}

// TestRelayStat: Stat reports Relay for a channel created with
// Attr.Relay, along with its other flags, and not for any other.
func TestRelayStat(t *testing.T) {
	needRelay(t)
	r := mustCreate(t, "", Attr{Capacity: 1, MsgSize: 8, Relay: true, AutoClose: true})
	if st, err := r.Stat(); err != nil || !st.Relay || !st.AutoClose || st.Reply || st.Lease {
		t.Errorf("Stat of a relay channel: %+v %v, want Relay and AutoClose only", st, err)
	}
	plain := mustCreate(t, "", Attr{Capacity: 1, MsgSize: 8})
	if st, err := plain.Stat(); err != nil || st.Relay {
		t.Errorf("Stat of a plain channel: %+v %v, want no Relay", st, err)
	}
	if hasFeature(FeatReply) {
		reply := mustCreate(t, "", Attr{Capacity: 1, MsgSize: 8, Reply: true})
		if st, err := reply.Stat(); err != nil || st.Relay || !st.Reply {
			t.Errorf("Stat of a reply channel: %+v %v, want Reply, no Relay", st, err)
		}
	}
	if hasFeature(FeatLease) {
		rl := mustCreate(t, "", Attr{Capacity: 1, MsgSize: 8, Relay: true, Lease: true})
		if st, err := rl.Stat(); err != nil || !st.Relay || !st.Lease {
			t.Errorf("Stat of a relay lease channel: %+v %v, want Relay and Lease", st, err)
		}
	}
}

// TestRelayContext: on a full channel Relay waits for room until ctx is
// done: an already-cancelled ctx returns context.Canceled at once, a
// deadline ErrTimeout once it has passed, and neither sends anything; a
// Relay waiting with a live ctx completes, origin kept, once a receive
// makes room.
func TestRelayContext(t *testing.T) {
	needRelay(t)
	ctx := testCtx(t, time.Minute)
	c := mustCreate(t, "", Attr{Capacity: 1, MsgSize: 8, Relay: true})
	if err := c.Relay(ctx, []byte("first"), relayOrigin(0)); err != nil {
		t.Fatal(err)
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := c.Relay(cancelled, []byte("late"), relayOrigin(1)); !errors.Is(err, context.Canceled) {
		t.Errorf("Relay with a cancelled ctx: %v, want context.Canceled", err)
	}
	const wait = 50 * time.Millisecond
	start := time.Now()
	short, cancel2 := context.WithTimeout(ctx, wait)
	defer cancel2()
	err := c.Relay(short, []byte("late"), relayOrigin(2))
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Relay on a full channel with a deadline: %v, want ErrTimeout", err)
	}
	if d := time.Since(start); d < wait {
		t.Errorf("Relay gave up after %v, before its deadline (%v)", d, wait)
	}
	if st, err := c.Stat(); err != nil || st.Depth != 1 || st.Sent != 1 {
		t.Fatalf("after the abandoned Relays: %+v %v, want depth 1, sent 1", st, err)
	}

	done := make(chan error, 1)
	go func() { done <- c.Relay(ctx, []byte("waited"), relayOrigin(3)) }()
	time.Sleep(wait)
	m, err := c.Recv(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkOrigin(t, m, "first", 0)
	if err := <-done; err != nil {
		t.Fatalf("Relay waiting for room: %v", err)
	}
	if m, err = c.Recv(ctx); err != nil {
		t.Fatal(err)
	}
	checkOrigin(t, m, "waited", 3)
	if st, err := c.Stat(); err != nil || st.Depth != 0 || st.Sent != 2 {
		t.Errorf("at the end: %+v %v, want depth 0, sent 2", st, err)
	}
}

// TestRelayNotSupported: without FeatRelay (a module without relay
// channels, or none at all, on the host) Create with Attr.Relay and Relay
// fail with ErrNotSupported.
func TestRelayNotSupported(t *testing.T) {
	if hasFeature(FeatRelay) {
		t.Skip("the module has relay channels")
	}
	if _, err := Create("", Attr{Capacity: 1, MsgSize: 8, Relay: true}); !errors.Is(err, ErrNotSupported) {
		t.Errorf("Create with Relay: %v, want ErrNotSupported", err)
	}
	if _, err := os.Stat(deviceName); err != nil {
		return // no module: no channel to relay on
	}
	c := mustCreate(t, "", Attr{Capacity: 1, MsgSize: 8})
	if err := c.Relay(testCtx(t, time.Minute), []byte("x"), Message{}); !errors.Is(err, ErrNotSupported) {
		t.Errorf("Relay: %v, want ErrNotSupported", err)
	}
}
