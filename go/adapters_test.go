// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT

//go:build linux

package cspchan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"testing"
	"time"
)

// TestSinkMessages runs the pipeline pattern's stage shape over a channel:
// a producer closes its sink, a consumer ranges until end of stream.
func TestSinkMessages(t *testing.T) {
	ctx := testCtx(t, time.Minute)
	c := mustCreate(t, "", Attr{Capacity: 4, MsgSize: 16})
	out := c.Sink(ctx)
	go func() {
		for i := 0; i < 100; i++ {
			out <- []byte(fmt.Sprint(i))
		}
		close(out) // Go's close: shuts the channel down once sent
	}()
	n := 0
	var last uint64
	for m := range c.Messages(ctx) {
		if string(m.Data) != fmt.Sprint(n) {
			t.Fatalf("message %d: %q", n, m.Data)
		}
		if n > 0 && m.Seq != last+1 {
			t.Errorf("seq %d after %d", m.Seq, last)
		}
		last = m.Seq
		n++
	}
	if n != 100 {
		t.Errorf("ranged over %d messages, want 100", n)
	}
	if st, _ := c.Stat(); !st.Shut {
		t.Error("closing the sink did not shut the channel down")
	}
	if err := c.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// TestSinkAutoClose checks that closing the sinks of several producers of
// an AutoClose channel shuts it down only when the last one has gone.
func TestSinkAutoClose(t *testing.T) {
	ctx := testCtx(t, time.Minute)
	name := chanName(t, "autoclose")
	creator := mustCreate(t, name, Attr{Capacity: 16, MsgSize: 16, AutoClose: true})
	r, err := Open(name, os.O_RDONLY)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	p1, _ := Open(name, os.O_WRONLY)
	p2, _ := Open(name, os.O_WRONLY)
	creator.Close()

	s1 := p1.Sink(ctx)
	s1 <- []byte("p1")
	close(s1)
	if err := p1.Close(); err != nil { // waits for the sink to be flushed
		t.Fatal(err)
	}
	if st, _ := r.Stat(); st.Shut {
		t.Fatal("shut down while a producer is left")
	}
	s2 := p2.Sink(ctx)
	s2 <- []byte("p2")
	close(s2)
	p2.Close()

	var got []string
	for m := range r.Messages(ctx) {
		got = append(got, string(m.Data))
	}
	if fmt.Sprint(got) != "[p1 p2]" {
		t.Errorf("received %q, want [p1 p2] and end of stream", got)
	}
	if r.Err() != nil {
		t.Errorf("Err: %v", r.Err())
	}
}

// TestSinkError checks that a failed send is reported by Err and Close,
// and that the adapter keeps taking messages so that its senders finish.
func TestSinkError(t *testing.T) {
	ctx := testCtx(t, time.Minute)
	c := mustCreate(t, "", Attr{Capacity: 4, MsgSize: 4})
	out := c.Sink(ctx)
	out <- []byte("too long")
	out <- []byte("more")
	close(out)
	err := c.Close()
	if !errors.Is(err, syscall.EMSGSIZE) || !errors.Is(c.Err(), syscall.EMSGSIZE) {
		t.Errorf("Close: %v, Err: %v, want EMSGSIZE", err, c.Err())
	}
}

// TestMessagesCancel checks that cancelling ends the range.
func TestMessagesCancel(t *testing.T) {
	c := mustCreate(t, "", Attr{Capacity: 4, MsgSize: 4})
	ctx, cancel := context.WithCancel(context.Background())
	msgs := c.Messages(ctx)
	time.AfterFunc(20*time.Millisecond, cancel)
	for m := range msgs {
		t.Errorf("message %q from an empty channel", m.Data)
	}
	if err := c.Err(); err != nil {
		t.Errorf("Err after cancel: %v", err)
	}
	c.Shutdown()
	if _, err := c.Recv(context.Background()); !errors.Is(err, io.EOF) {
		t.Errorf("Recv after shutdown: %v", err)
	}
}
