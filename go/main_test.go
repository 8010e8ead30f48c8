// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT

//go:build linux

package cspchan

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// roleEnv makes the test binary run as a helper process instead of the
// tests: the multi-process tests and benchmarks re-execute it, as Go's own
// os/exec tests do.
const roleEnv = "CSPCHAN_GO_TEST_ROLE"

// roles are the helper processes, by name.
var roles = map[string]func() int{}

func TestMain(m *testing.M) {
	if name := os.Getenv(roleEnv); name != "" {
		role, ok := roles[name]
		if !ok {
			fmt.Fprintf(os.Stderr, "unknown role %q\n", name)
			os.Exit(2)
		}
		os.Exit(role())
	}
	os.Exit(m.Run())
}

// helper returns a command that runs the test binary as role, with env
// added to its environment.
func helper(t testing.TB, role string, env ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), append([]string{roleEnv + "=" + role}, env...)...)
	cmd.Stderr = os.Stderr
	return cmd
}

// needModule skips the test when the module is not loaded (on the host).
func needModule(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(deviceName); err != nil {
		t.Skipf("%s: %v (run the tests in the guest: selftests/go/run.sh)", deviceName, err)
	}
}

// needFeature skips the test unless the module is loaded and has the
// feature bit, named for the skip message (e.g. "relay channels
// (CSPCHAN_FEAT_RELAY)").
func needFeature(t testing.TB, bit uint64, what string) {
	t.Helper()
	needModule(t)
	if !hasFeature(bit) {
		t.Skip("the module has no " + what)
	}
}

var nameSeq atomic.Int64

// chanName returns a channel name unique to this process and test.
func chanName(t testing.TB, what string) string {
	name := fmt.Sprintf("gotest.%d.%d.%s", os.Getpid(), nameSeq.Add(1), what)
	if len(name) >= nameMax {
		name = name[:nameMax-1]
	}
	return name
}

// mustCreate creates a channel that the test's cleanup closes (and
// unlinks, when named).
func mustCreate(t testing.TB, name string, attr Attr) *Chan {
	t.Helper()
	needModule(t)
	c, err := Create(name, attr)
	if err != nil {
		t.Fatalf("Create(%q, %+v): %v", name, attr, err)
	}
	t.Cleanup(func() {
		c.Close()
		if name != "" {
			Unlink(name)
		}
	})
	return c
}

// testCtx is a context that ends with a generous limit: the guest is
// emulated and shared with other guests, so nothing is expected to be
// quick, but nothing may hang.
func testCtx(t testing.TB, limit time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	t.Cleanup(cancel)
	return ctx
}

// durations summarises latency samples.
type durations []time.Duration

func (d durations) sorted() durations {
	s := append(durations(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s
}

func (d durations) quantile(q float64) time.Duration {
	s := d.sorted()
	return s[int(q*float64(len(s)-1))]
}

func (d durations) String() string {
	s := d.sorted()
	var b strings.Builder
	fmt.Fprintf(&b, "n=%d min=%v p50=%v p90=%v max=%v", len(s), s[0], d.quantile(0.5), d.quantile(0.9), s[len(s)-1])
	return b.String()
}
