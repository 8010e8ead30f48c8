// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT

//go:build linux

package cspchan

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"
)

func needReply(t *testing.T) {
	t.Helper()
	needFeature(t, FeatReply, "reply channels (CSPCHAN_FEAT_REPLY)")
}

// TestCall: goroutine servers answer concurrent Calls, each caller getting
// its own answers; Message.Reply is a send-only handle of a reply channel
// (SPEC 12).
func TestCall(t *testing.T) {
	needReply(t)
	ctx := testCtx(t, time.Minute)
	jobs := mustCreate(t, "", Attr{Capacity: 8, MsgSize: 32})
	var servers sync.WaitGroup
	for s := 0; s < 3; s++ {
		servers.Add(1)
		go func() {
			defer servers.Done()
			for {
				m, err := jobs.Recv(ctx)
				if err != nil {
					if !errors.Is(err, ErrShutdown) {
						t.Errorf("server Recv: %v", err)
					}
					return
				}
				if m.Reply == nil {
					t.Errorf("request %q without a reply channel", m.Data)
					continue
				}
				if st, err := m.Reply.Stat(); err != nil || !st.Reply || st.Capacity != 1 {
					t.Errorf("reply channel Stat: %+v %v", st, err)
				}
				if _, err := m.Reply.Recv(ctx); !errors.Is(err, syscall.EBADF) {
					t.Errorf("Recv on the send-only reply handle: %v, want EBADF", err)
				}
				if err := m.Reply.Send(ctx, append([]byte("re:"), m.Data...)); err != nil {
					t.Errorf("reply: %v", err)
				}
				m.Reply.Close()
			}
		}()
	}
	var callers sync.WaitGroup
	for c := 0; c < 4; c++ {
		callers.Add(1)
		go func(c int) {
			defer callers.Done()
			for i := 0; i < 50; i++ {
				req := fmt.Sprintf("c%d-%d", c, i)
				got, err := jobs.Call(ctx, []byte(req))
				if err != nil || string(got) != "re:"+req {
					t.Errorf("Call(%q) = %q, %v", req, got, err)
					return
				}
			}
		}(c)
	}
	callers.Wait()
	jobs.Shutdown()
	servers.Wait()
}

// TestCallDropped: a server that closes Message.Reply without answering
// makes Call fail at once with ECONNRESET; a plain message has no Reply.
func TestCallDropped(t *testing.T) {
	needReply(t)
	ctx := testCtx(t, time.Minute)
	jobs := mustCreate(t, "", Attr{Capacity: 4, MsgSize: 16})
	if err := jobs.Send(ctx, []byte("plain")); err != nil {
		t.Fatal(err)
	}
	if m, err := jobs.Recv(ctx); err != nil || m.Reply != nil {
		t.Fatalf("Recv of a plain message: %+v %v, want no Reply", m, err)
	}
	go func() {
		m, err := jobs.Recv(ctx)
		if err == nil && m.Reply != nil {
			m.Reply.Close()
		}
	}()
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	start := time.Now()
	_, err := jobs.Call(cctx, []byte("dropped"))
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("Call dropped by its server: %v, want ECONNRESET", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("ECONNRESET after %v: not at once", d)
	}
}

// TestCallTimeout: with no server, Call ends with ctx (ErrTimeout); the
// request stays queued, and its reply fails with ErrShutdown.
func TestCallTimeout(t *testing.T) {
	needReply(t)
	ctx := testCtx(t, time.Minute)
	jobs := mustCreate(t, "", Attr{Capacity: 4, MsgSize: 16})
	cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := jobs.Call(cctx, []byte("late")); !errors.Is(err, ErrTimeout) {
		t.Fatalf("Call without a server: %v, want ErrTimeout", err)
	}
	if st, err := jobs.Stat(); err != nil || st.Depth != 1 {
		t.Fatalf("after the timeout: %+v %v, want the request queued", st, err)
	}
	m, err := jobs.Recv(ctx)
	if err != nil || m.Reply == nil {
		t.Fatalf("Recv of the abandoned request: %+v %v", m, err)
	}
	defer m.Reply.Close()
	if err := m.Reply.Send(ctx, []byte("too late")); !errors.Is(err, ErrShutdown) {
		t.Errorf("reply to a caller that gave up: %v, want ErrShutdown (EPIPE)", err)
	}
}

// TestSendMsg: a reply channel of the caller's own travels with SendMsg;
// attaching a channel that is no reply channel fails with EINVAL.
func TestSendMsg(t *testing.T) {
	needReply(t)
	ctx := testCtx(t, time.Minute)
	jobs := mustCreate(t, "", Attr{Capacity: 4, MsgSize: 16})
	reply := mustCreate(t, "", Attr{Capacity: 2, MsgSize: 16, Reply: true})
	if err := jobs.SendMsg(ctx, []byte("q"), jobs); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("SendMsg with a plain channel as reply: %v, want EINVAL", err)
	}
	if err := reply.SendMsg(ctx, []byte("q"), reply); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("SendMsg on a reply channel: %v, want EINVAL", err)
	}
	if err := jobs.SendMsg(ctx, []byte("q"), reply); err != nil {
		t.Fatal(err)
	}
	m, err := jobs.Recv(ctx)
	if err != nil || m.Reply == nil {
		t.Fatalf("Recv: %+v %v", m, err)
	}
	if err := m.Reply.Send(ctx, []byte("a")); err != nil {
		t.Fatal(err)
	}
	m.Reply.Close()
	if r, err := reply.Recv(ctx); err != nil || string(r.Data) != "a" {
		t.Fatalf("the reply: %q %v", r.Data, err)
	}
	// No message carries it and no travelled handle is open: end of stream.
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := reply.Recv(rctx); !errors.Is(err, ErrShutdown) {
		t.Errorf("Recv after the server closed: %v, want end of stream", err)
	}
}
