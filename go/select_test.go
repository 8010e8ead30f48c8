// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT

//go:build linux

package cspchan

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestSelectReady(t *testing.T) {
	ctx := testCtx(t, time.Minute)
	a := mustCreate(t, "", Attr{Capacity: 4, MsgSize: 16})
	b := mustCreate(t, "", Attr{Capacity: 4, MsgSize: 16})
	b.Send(ctx, []byte("from b"))
	i, msg, err := Select(ctx, RecvCase(nil, nil), RecvCase(a, nil), RecvCase(b, nil))
	if err != nil || i != 2 || string(msg) != "from b" {
		t.Fatalf("Select: %d %q %v, want case 2 %q", i, msg, err, "from b")
	}
	// A send case on a channel with room.
	i, _, err = Select(ctx, RecvCase(a, nil), SendCase(b, []byte("sent")))
	if err != nil || i != 1 {
		t.Fatalf("Select send: %d %v", i, err)
	}
	if m, _ := b.Recv(ctx); string(m.Data) != "sent" {
		t.Errorf("sent by Select: %q", m.Data)
	}
	// Into a buffer of the caller's.
	a.Send(ctx, []byte("into"))
	buf := make([]byte, 16)
	i, msg, err = Select(ctx, RecvCase(a, buf))
	if err != nil || i != 0 || string(msg) != "into" || &msg[0] != &buf[0] {
		t.Errorf("Select into buf: %d %q %v", i, msg, err)
	}
}

func TestSelectDefault(t *testing.T) {
	a := mustCreate(t, "", Attr{Capacity: 1, MsgSize: 8})
	i, msg, err := TrySelect(RecvCase(a, nil), RecvCase(nil, nil))
	if i != -1 || msg != nil || err != nil {
		t.Fatalf("TrySelect on empty channels: %d %q %v, want -1 (default)", i, msg, err)
	}
	if _, _, err := Select(testCtx(t, time.Minute)); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("Select without cases: %v, want EINVAL", err)
	}
}

// TestSelectFair checks that Select chooses among ready cases at random.
func TestSelectFair(t *testing.T) {
	ctx := testCtx(t, time.Minute)
	a := mustCreate(t, "", Attr{Capacity: 1, MsgSize: 8})
	b := mustCreate(t, "", Attr{Capacity: 1, MsgSize: 8})
	var count [2]int
	for n := 0; n < 200; n++ {
		a.Send(ctx, []byte("a"))
		b.Send(ctx, []byte("b"))
		i, _, err := Select(ctx, RecvCase(a, nil), RecvCase(b, nil))
		if err != nil {
			t.Fatal(err)
		}
		count[i]++
		// Take the other message back out.
		if i == 0 {
			b.Recv(ctx)
		} else {
			a.Recv(ctx)
		}
	}
	if count[0] < 50 || count[1] < 50 {
		t.Errorf("200 selects with both cases ready chose %v", count)
	}
}

func TestSelectPrio(t *testing.T) {
	ctx := testCtx(t, time.Minute)
	a := mustCreate(t, "", Attr{Capacity: 1, MsgSize: 8})
	b := mustCreate(t, "", Attr{Capacity: 1, MsgSize: 8})
	if !hasFeature(FeatSelectPrio) {
		if _, _, err := SelectPrio(ctx, RecvCase(a, nil)); !errors.Is(err, ErrNotSupported) {
			t.Fatalf("SelectPrio without the feature: %v", err)
		}
		t.Skip("module without CSPCHAN_FEAT_SELECT_PRIO")
	}
	for n := 0; n < 50; n++ {
		a.Send(ctx, []byte("a"))
		b.Send(ctx, []byte("b"))
		i, _, err := SelectPrio(ctx, RecvCase(nil, nil), RecvCase(b, nil), RecvCase(a, nil))
		if err != nil || i != 1 {
			t.Fatalf("SelectPrio: case %d %v, want the lowest ready index, 1", i, err)
		}
		a.Recv(ctx)
	}
}

// TestSelectWaits checks that a waiting Select is woken by any of its
// cases, for receives and for sends on a full channel.
func TestSelectWaits(t *testing.T) {
	ctx := testCtx(t, time.Minute)
	a := mustCreate(t, "", Attr{Capacity: 1, MsgSize: 8})
	b := mustCreate(t, "", Attr{Capacity: 1, MsgSize: 8})
	full := mustCreate(t, "", Attr{Capacity: 1, MsgSize: 8})
	full.Send(ctx, []byte("x"))

	type outcome struct {
		i   int
		msg string
		err error
	}
	res := make(chan outcome)
	run := func() {
		i, msg, err := Select(ctx, RecvCase(a, nil), RecvCase(b, nil), SendCase(full, []byte("y")))
		res <- outcome{i, string(msg), err}
	}
	go run()
	time.Sleep(20 * time.Millisecond)
	b.Send(ctx, []byte("b"))
	if o := <-res; o.i != 1 || o.msg != "b" || o.err != nil {
		t.Errorf("woken by b: %+v", o)
	}
	go run()
	time.Sleep(20 * time.Millisecond)
	full.Recv(ctx)
	if o := <-res; o.i != 2 || o.err != nil {
		t.Errorf("woken by room in full: %+v", o)
	}
	if m, _ := full.Recv(ctx); string(m.Data) != "y" {
		t.Errorf("sent by Select: %q", m.Data)
	}
}

// TestSelectUnbuffered pairs selects with plain calls and with each other
// on unbuffered channels: each message is delivered exactly once.
func TestSelectUnbuffered(t *testing.T) {
	ctx := testCtx(t, 2*time.Minute)
	u := mustCreate(t, "", Attr{Capacity: 0, MsgSize: 8})
	v := mustCreate(t, "", Attr{Capacity: 0, MsgSize: 8})

	// A selecting sender meets a plain receiver, and the reverse.
	go func() {
		if _, _, err := Select(ctx, SendCase(u, []byte("s1"))); err != nil {
			t.Error(err)
		}
	}()
	if m, err := u.Recv(ctx); err != nil || string(m.Data) != "s1" {
		t.Fatalf("Recv from a selecting sender: %q %v", m.Data, err)
	}
	go func() {
		if err := u.Send(ctx, []byte("s2")); err != nil {
			t.Error(err)
		}
	}()
	if i, msg, err := Select(ctx, RecvCase(v, nil), RecvCase(u, nil)); err != nil || i != 1 || string(msg) != "s2" {
		t.Fatalf("Select from a plain sender: %d %q %v", i, msg, err)
	}

	// Both sides select, over both channels, from several goroutines.
	const n = 300
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[string]int{}
	for s := 0; s < 3; s++ {
		wg.Add(1)
		go func(s int) {
			defer wg.Done()
			for j := s; j < n; j += 3 {
				msg := []byte(fmt.Sprint(j))
				if _, _, err := Select(ctx, SendCase(u, msg), SendCase(v, msg)); err != nil {
					t.Error(err)
					return
				}
			}
		}(s)
	}
	var rg sync.WaitGroup
	for r := 0; r < 3; r++ {
		rg.Add(1)
		go func() {
			defer rg.Done()
			for {
				_, msg, err := Select(ctx, RecvCase(u, nil), RecvCase(v, nil))
				if errors.Is(err, io.EOF) {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				seen[string(msg)]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	u.Shutdown()
	v.Shutdown()
	rg.Wait()
	for j := 0; j < n; j++ {
		if seen[fmt.Sprint(j)] != 1 {
			t.Errorf("message %d received %d times", j, seen[fmt.Sprint(j)])
		}
	}
}

func TestSelectShutdown(t *testing.T) {
	ctx := testCtx(t, time.Minute)
	a := mustCreate(t, "", Attr{Capacity: 1, MsgSize: 8})
	a.Shutdown()
	i, _, err := Select(ctx, RecvCase(a, nil))
	if i != 0 || !errors.Is(err, io.EOF) || !errors.Is(err, ErrShutdown) {
		t.Errorf("receive case at end of stream: %d %v, want case 0 with io.EOF", i, err)
	}
	i, _, err = Select(ctx, SendCase(a, []byte("x")))
	if i != 0 || !errors.Is(err, ErrShutdown) || !errors.Is(err, syscall.EPIPE) {
		t.Errorf("send case on a shut-down channel: %d %v, want case 0 with EPIPE", i, err)
	}
}
