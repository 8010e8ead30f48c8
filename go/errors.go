// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT

//go:build linux

package cspchan

import (
	"context"
	"errors"
	"io"
	"os"
	"syscall"
)

// Sentinel errors. Every error this package returns is an *Error, and
// errors.Is compares it with these sentinels, with the syscall.Errno the
// module returned, and with the context, io and os errors it wraps.
var (
	// ErrShutdown reports a channel that is shut down: a send failed
	// with EPIPE, or a receive found the channel shut down and drained
	// (end of stream, which also matches io.EOF).
	ErrShutdown = errors.New("cspchan: channel shut down")

	// ErrTimeout reports a wait that ran out of time: the module's
	// ETIMEDOUT, or the deadline of the operation's context (which also
	// matches context.DeadlineExceeded).
	ErrTimeout = errors.New("cspchan: timeout")

	// ErrNotSupported reports a feature the loaded module does not
	// implement (the error matches syscall.ENOTSUP, which is
	// syscall.EOPNOTSUPP on Linux).
	ErrNotSupported = errors.New("cspchan: not supported by the kernel module")
)

// Error records a failed operation: what was attempted, on which channel,
// and why.
type Error struct {
	Op   string // "create", "open", "unlink", "send", "recv", "select", ...
	Name string // the channel's name; "" for an anonymous channel
	Err  error  // a syscall.Errno, io.EOF, os.ErrClosed or a context error
}

// Error returns "cspchan OP [NAME]: ERR".
func (e *Error) Error() string {
	s := "cspchan " + e.Op
	if e.Name != "" {
		s += " " + e.Name
	}
	return s + ": " + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether e matches target beyond what Unwrap reaches: the
// package sentinels, and syscall.ETIMEDOUT for a context deadline.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrShutdown:
		return e.Err == syscall.EPIPE || e.Err == io.EOF
	case ErrTimeout:
		return e.Err == syscall.ETIMEDOUT || e.Err == context.DeadlineExceeded
	case ErrNotSupported:
		return e.Err == syscall.EOPNOTSUPP
	case syscall.ETIMEDOUT:
		return e.Err == context.DeadlineExceeded
	}
	return false
}

// Timeout reports whether the operation ran out of time, as net.Error does.
func (e *Error) Timeout() bool { return errors.Is(e, ErrTimeout) }

// errEOF is the outcome of a receive at end of stream.
func errEOF(op, name string) error { return &Error{Op: op, Name: name, Err: io.EOF} }

// wrap turns an errno or a context error into an *Error; nil stays nil.
func wrap(op, name string, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Op: op, Name: name, Err: err}
}

// errClosed reports the use of a handle after Close.
func errClosed(op, name string) error { return &Error{Op: op, Name: name, Err: os.ErrClosed} }
