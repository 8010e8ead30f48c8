// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT

//go:build linux

package cspchan

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// The benchmarks move 64-byte messages one way, one sender and one
// receiver, and report ns per message (ns/op) and messages per second:
// a cspchan channel between processes and between goroutines, beside a
// Go channel between goroutines and a pipe between processes.

const benchSize = 64

func init() {
	roles["bench-send"] = benchSendMain
	roles["bench-pipe"] = benchPipeMain
}

// benchSendMain sends one "ready" message and then COUNT messages into
// CHAN.
func benchSendMain() int {
	ctx := context.Background()
	c, err := Open(os.Getenv("CSPCHAN_CHAN"), os.O_WRONLY)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-send:", err)
		return 1
	}
	count, _ := strconv.Atoi(os.Getenv("CSPCHAN_COUNT"))
	msg := make([]byte, benchSize)
	for i := 0; i <= count; i++ {
		if err := c.Send(ctx, msg); err != nil {
			fmt.Fprintln(os.Stderr, "bench-send:", err)
			return 1
		}
	}
	return 0
}

// benchPipeMain writes one "ready" record and then COUNT records to
// standard output, a pipe.
func benchPipeMain() int {
	count, _ := strconv.Atoi(os.Getenv("CSPCHAN_COUNT"))
	msg := make([]byte, benchSize)
	for i := 0; i <= count; i++ {
		if _, err := os.Stdout.Write(msg); err != nil {
			return 1
		}
	}
	return 0
}

// rate reports messages per second beside ns/op.
func rate(b *testing.B, start time.Time) {
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

// switches returns the context switches of this process so far.
func switches() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Nvcsw + ru.Nivcsw
}

// reportSwitches reports the context switches per message of both
// processes: this one's since before, and all of the child's. What a
// message costs beyond its system calls is mostly these.
func reportSwitches(b *testing.B, before int64, child *exec.Cmd) {
	n := switches() - before
	if ru, ok := child.ProcessState.SysUsage().(*syscall.Rusage); ok {
		n += ru.Nvcsw + ru.Nivcsw
	}
	b.ReportMetric(float64(n)/float64(b.N), "csw/msg")
}

func BenchmarkGoChan(b *testing.B) {
	ch := make(chan [benchSize]byte, 64)
	b.ResetTimer()
	start := time.Now()
	go func() {
		var msg [benchSize]byte
		for i := 0; i < b.N; i++ {
			ch <- msg
		}
	}()
	for i := 0; i < b.N; i++ {
		<-ch
	}
	rate(b, start)
}

func BenchmarkCspchanGoroutines(b *testing.B) {
	ctx := context.Background()
	c := mustCreate(b, "", Attr{Capacity: 64, MsgSize: benchSize})
	b.ResetTimer()
	start := time.Now()
	go func() {
		msg := make([]byte, benchSize)
		for i := 0; i < b.N; i++ {
			if err := c.Send(ctx, msg); err != nil {
				panic(err)
			}
		}
	}()
	buf := make([]byte, benchSize)
	for i := 0; i < b.N; i++ {
		if _, err := c.RecvInto(ctx, buf); err != nil {
			b.Fatal(err)
		}
	}
	rate(b, start)
}

// BenchmarkCspchanProcesses receives from a child process; RecvInto
// reuses one buffer, Recv allocates each message as the adapters do. The
// capacity is the depth: how far the sender may run ahead.
func BenchmarkCspchanProcesses(b *testing.B) {
	for _, bc := range []struct {
		name     string
		capacity int
		alloc    bool
	}{
		{"cap=64/RecvInto", 64, false},
		{"cap=64/Recv", 64, true},
		{"cap=1024/RecvInto", 1024, false},
		{"cap=0/RecvInto", 0, false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := context.Background()
			name := chanName(b, "bench")
			// Receive through a receive-only handle, as a consumer
			// does: a handle open for sending too would be woken
			// (EPOLLOUT) by every slot its own receives free.
			mustCreate(b, name, Attr{Capacity: bc.capacity, MsgSize: benchSize}).Close()
			c, err := Open(name, os.O_RDONLY)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			b.StopTimer()
			cmd := helper(b, "bench-send", "CSPCHAN_CHAN="+name, fmt.Sprintf("CSPCHAN_COUNT=%d", b.N))
			if err := cmd.Start(); err != nil {
				b.Fatal(err)
			}
			buf := make([]byte, benchSize)
			if _, err := c.RecvInto(ctx, buf); err != nil { // ready
				b.Fatal(err)
			}
			b.StartTimer()
			before := switches()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				var err error
				if bc.alloc {
					_, err = c.Recv(ctx)
				} else {
					_, err = c.RecvInto(ctx, buf)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			rate(b, start)
			if err := cmd.Wait(); err != nil {
				b.Fatal(err)
			}
			reportSwitches(b, before, cmd)
		})
	}
}

// BenchmarkPipeProcesses reads 64-byte records from a child's pipe. The
// pipe is sized (F_SETPIPE_SZ) to hold depth records, as the channel holds
// its capacity: 64 (one page, as bench/ sizes it) and 1024 (64 KiB, the
// default).
func BenchmarkPipeProcesses(b *testing.B) {
	for _, depth := range []int{64, 1024} {
		b.Run(fmt.Sprintf("depth=%d", depth), func(b *testing.B) {
			b.StopTimer()
			cmd := helper(b, "bench-pipe", fmt.Sprintf("CSPCHAN_COUNT=%d", b.N))
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				b.Fatal(err)
			}
			pipe := stdout.(*os.File)
			raw, err := pipe.SyscallConn()
			if err != nil {
				b.Fatal(err)
			}
			raw.Control(func(fd uintptr) {
				_, _, e := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_SETPIPE_SZ, uintptr(depth*benchSize))
				if e != 0 {
					err = e
				}
			})
			if err != nil {
				b.Fatal("F_SETPIPE_SZ:", err)
			}
			if err := cmd.Start(); err != nil {
				b.Fatal(err)
			}
			buf := make([]byte, benchSize)
			if _, err := io.ReadFull(pipe, buf); err != nil { // ready
				b.Fatal(err)
			}
			b.StartTimer()
			before := switches()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				if _, err := io.ReadFull(pipe, buf); err != nil {
					b.Fatal(err)
				}
			}
			rate(b, start)
			if err := cmd.Wait(); err != nil {
				b.Fatal(err)
			}
			reportSwitches(b, before, cmd)
		})
	}
}
