// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT

//go:build linux

package cspchan

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// abiStructs pairs each Go mirror with its C structure.
var abiStructs = []struct {
	c      string
	mirror any
	size   uintptr // sizeof in C, as of the header this package was written for
}{
	{"cspchan_features", kFeatures{}, 72},
	{"cspchan_create_req", kCreateReq{}, 120},
	{"cspchan_name_req", kNameReq{}, 88},
	{"cspchan_xfer", kXfer{}, 64},
	{"cspchan_info", kInfo{}, 224},
	{"cspchan_lease_req", kLeaseReq{}, 32},
	{"cspchan_deadletter_req", kDeadLetterReq{}, 24},
	{"cspchan_rate_req", kRateReq{}, 32},
	{"cspchan_busy_poll_req", kBusyPollReq{}, 16},
	{"cspchan_select_case", kSelectCase{}, 24},
	{"cspchan_select_req", kSelectReq{}, 48},
}

// abiConstants pairs each constant with its C macro.
var abiConstants = []struct {
	c string
	v uint64
}{
	{"CSPCHAN_NAME_MAX", nameMax},
	{"CSPCHAN_AUTOCLOSE", createAutoClose},
	{"CSPCHAN_LEASE", createLease},
	{"CSPCHAN_REPLY", createReply},
	{"CSPCHAN_RELAY", createRelay},
	{"CSPCHAN_XFER_LEASE", xferLease},
	{"CSPCHAN_XFER_ATTACH", xferAttach},
	{"CSPCHAN_XFER_FD", xferFD},
	{"CSPCHAN_XFER_ORIGIN", xferOrigin},
	{"CSPCHAN_INFO_SHUT", infoShut},
	{"CSPCHAN_INFO_AUTOCLOSE", infoAutoClose},
	{"CSPCHAN_INFO_NAMED", infoNamed},
	{"CSPCHAN_INFO_LEASE", infoLease},
	{"CSPCHAN_INFO_REPLY", infoReply},
	{"CSPCHAN_INFO_RELAY", infoRelay},
	{"CSPCHAN_INFO_SIZE_V1", infoSizeV1},
	{"CSPCHAN_OP_SEND", opSend},
	{"CSPCHAN_OP_RECV", opRecv},
	{"CSPCHAN_SELECT_PRIO", selectPrio},
	{"CSPCHAN_FEAT_NAMES", FeatNames},
	{"CSPCHAN_FEAT_XFER", FeatXfer},
	{"CSPCHAN_FEAT_SELECT", FeatSelect},
	{"CSPCHAN_FEAT_ZEROCOPY", FeatZeroCopy},
	{"CSPCHAN_FEAT_URING_CMD", FeatURingCmd},
	{"CSPCHAN_FEAT_URING_SLOTV", FeatURingSlotV},
	{"CSPCHAN_FEAT_URING_CANCEL", FeatURingCancel},
	{"CSPCHAN_FEAT_URING_READ_PARK", FeatURingReadPark},
	{"CSPCHAN_FEAT_URING_OPCODES", FeatURingOpcodes},
	{"CSPCHAN_FEAT_SELECT_PRIO", FeatSelectPrio},
	{"CSPCHAN_FEAT_LEASE", FeatLease},
	{"CSPCHAN_FEAT_PACE", FeatPace},
	{"CSPCHAN_FEAT_REPLY", FeatReply},
	{"CSPCHAN_FEAT_RELAY", FeatRelay},
	{"CSPCHAN_FEAT_BUSY_POLL", FeatBusyPoll},
	{"CSPCHAN_FEAT_URING_WRITE_PARK", FeatURingWritePark},
	{"CSPCHAN_IOC_FEATURES", uint64(iocFeatures)},
	{"CSPCHAN_IOC_CREATE", uint64(iocCreate)},
	{"CSPCHAN_IOC_SEND", uint64(iocSend)},
	{"CSPCHAN_IOC_OPEN", uint64(iocOpen)},
	{"CSPCHAN_IOC_UNLINK", uint64(iocUnlink)},
	{"CSPCHAN_IOC_SELECT", uint64(iocSelect)},
	{"CSPCHAN_IOC_RECV", uint64(iocRecv)},
	{"CSPCHAN_IOC_SHUTDOWN", uint64(iocShutdown)},
	{"CSPCHAN_IOC_STAT", uint64(iocStat)},
	{"CSPCHAN_IOC_STAT_V1", uint64(iocStatV1)},
	{"CSPCHAN_IOC_ACK", uint64(iocAck)},
	{"CSPCHAN_IOC_NACK", uint64(iocNack)},
	{"CSPCHAN_IOC_SET_DEADLETTER", uint64(iocSetDLQ)},
	{"CSPCHAN_IOC_SET_RATE", uint64(iocSetRate)},
	{"CSPCHAN_IOC_SET_BUSY_POLL", uint64(iocBusyPoll)},
}

// TestABISizes checks the mirrors' sizes without a C compiler.
func TestABISizes(t *testing.T) {
	for _, s := range abiStructs {
		if got := reflect.TypeOf(s.mirror).Size(); got != s.size {
			t.Errorf("struct %s: Go size %d, want %d", s.c, got, s.size)
		}
	}
}

// TestABILayout compiles a C program against include/uapi/linux/cspchan.h
// that prints every size, field offset, field size and constant this
// package mirrors, and compares them with the Go side.
func TestABILayout(t *testing.T) {
	header := uapiHeader(t)
	cc, err := exec.LookPath("cc")
	if err != nil {
		t.Skip("no C compiler (cc) to read the header with")
	}

	var prog strings.Builder
	fmt.Fprintf(&prog, "#include <stdio.h>\n#include <stddef.h>\n#include %q\n", header)
	prog.WriteString("#define F(s, f) printf(#s \".\" #f \" %zu %zu\\n\", offsetof(struct s, f), sizeof(((struct s *)0)->f))\n")
	prog.WriteString("int main(void)\n{\n")
	for _, s := range abiStructs {
		fmt.Fprintf(&prog, "\tprintf(\"%s %%zu\\n\", sizeof(struct %s));\n", s.c, s.c)
		typ := reflect.TypeOf(s.mirror)
		for i := 0; i < typ.NumField(); i++ {
			fmt.Fprintf(&prog, "\tF(%s, %s);\n", s.c, typ.Field(i).Tag.Get("c"))
		}
	}
	for _, k := range abiConstants {
		fmt.Fprintf(&prog, "\tprintf(\"%s %%llu\\n\", (unsigned long long)(%s));\n", k.c, k.c)
	}
	prog.WriteString("\treturn 0;\n}\n")

	dir := t.TempDir()
	src := filepath.Join(dir, "abi.c")
	bin := filepath.Join(dir, "abi")
	if err := os.WriteFile(src, []byte(prog.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(cc, "-Wall", "-o", bin, src).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cc, err, out)
	}
	out, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatal(err)
	}

	c := map[string][]uint64{}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		for _, v := range f[1:] {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				t.Fatalf("bad line %q", sc.Text())
			}
			c[f[0]] = append(c[f[0]], n)
		}
	}

	checked := 0
	for _, s := range abiStructs {
		typ := reflect.TypeOf(s.mirror)
		if got, want := uint64(typ.Size()), c[s.c][0]; got != want {
			t.Errorf("sizeof(struct %s): Go %d, C %d", s.c, got, want)
		}
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			key := s.c + "." + f.Tag.Get("c")
			want := c[key]
			if len(want) != 2 {
				t.Errorf("%s: no C figures", key)
				continue
			}
			if uint64(f.Offset) != want[0] || uint64(f.Type.Size()) != want[1] {
				t.Errorf("%s: Go offset %d size %d, C offset %d size %d",
					key, f.Offset, f.Type.Size(), want[0], want[1])
			}
			checked++
		}
		// Every C field mirrored: the fields' sizes add up to the
		// struct's (the header has no implicit padding).
		var sum uintptr
		for i := 0; i < typ.NumField(); i++ {
			sum += typ.Field(i).Type.Size()
		}
		if sum != typ.Size() {
			t.Errorf("struct %s: fields cover %d of %d bytes", s.c, sum, typ.Size())
		}
	}
	for _, k := range abiConstants {
		if want := c[k.c]; len(want) != 1 || want[0] != k.v {
			t.Errorf("%s: Go %#x, C %v", k.c, k.v, want)
		}
		checked++
	}
	t.Logf("%d fields and constants match %s", checked, header)
}

// uapiHeader finds include/uapi/linux/cspchan.h: $CSPCHAN_UAPI_HEADER,
// else relative to the package directory (go test's working directory).
func uapiHeader(t *testing.T) string {
	if h := os.Getenv("CSPCHAN_UAPI_HEADER"); h != "" {
		return h
	}
	for _, h := range []string{"../include/uapi/linux/cspchan.h", "include/uapi/linux/cspchan.h"} {
		if abs, err := filepath.Abs(h); err == nil {
			if _, err := os.Stat(abs); err == nil {
				return abs
			}
		}
	}
	t.Skip("include/uapi/linux/cspchan.h not found (set CSPCHAN_UAPI_HEADER)")
	return ""
}
