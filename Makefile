# SPDX-License-Identifier: GPL-2.0
#
# cspchan top-level Makefile: it only delegates.
#
#   make            build the module, the library, the tools and the tests
#   make check      install what is missing, build, run host checks and the
#                   guest test suite; ends with "N passed, N failed"
#                   (KVER=6.12, 7.2, ...: on that Debian kernel instead)
#   make check-kernels  the same on 6.1, 6.12 and 7.2 (KERNELS), one
#                   combined "N passed, N failed" at the end
#   make check-go   the Go package's tests and examples in the guest
#   make check-debug  the whole suite, a 10-minute soak and fuzz and a
#                   kmemleak scan on a debug kernel (KASAN, lockdep,
#                   DEBUG_OBJECTS, fail_function); builds it once (~30 min)
#   make demo       the cross-process pipeline demo in the guest
#   make demo-cluster  the same pipeline split over two machines (IPC
#                   namespaces) joined by a 3-node NATS JetStream cluster
#   make bench      cspchan against pipes, sockets, mqueue, a shm ring
#   make soak       the chaos soak in the guest (DURATION seconds, 3600)
#   make fuzz       the fuzzer in the guest (ITER operations or DURATION s;
#                   FUZZ_SEED replays a run)
#   make install    libraries, headers, pkg-config files, man pages, the
#                   tools, bpftrace scripts, bash completion, udev rule,
#                   systemd unit (DESTDIR, PREFIX; docs/install.md);
#                   make uninstall removes them; make modules_install for
#                   the module, or DKMS (dkms.conf)
#   make check-packaging  make install/uninstall, DKMS for 6.1 and 6.12,
#                   the Debian packages (lintian, installed in a bookworm
#                   chroot); ends with "N passed, N failed"
#
# KVER is the guest kernel (tools/vm/kernel): 6.1 (the default: Debian 12's,
# the installed linux-headers-amd64), 6.12 (bookworm-backports), 7.2
# (unstable), unstable, or a full release.  For 6.1 the module is built in
# kmod/ against KDIR, which defaults to the running kernel's build tree when
# it exists, else to the installed Debian linux-headers-<ver>-amd64; for any
# other, tools/vm/kernel builds a copy in build/kmod/<release>/ against that
# kernel's headers (KDIR does not apply).

TOP := $(abspath .)
B := $(TOP)/build
# Recursive (=), not :=: on a fresh machine make check installs the headers
# (deps) after this file is read, and recipes must see them.
HOST_KVER = $(shell ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1 | sed 's,.*/linux-headers-,,')
KVER ?= 6.1
KERNELS ?= 6.1 6.12 7.2
KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) /usr/src/linux-headers-$(HOST_KVER))
# Empty unless KVER names another kernel than the host's headers.
OTHER_KVER = $(filter-out 6.1 $(HOST_KVER),$(strip $(KVER)))
PREFIX ?= /usr/local
DESTDIR ?=
export KDIR PREFIX DESTDIR

all: kmod lib selftests tools examples

deps:
	@$(TOP)/tools/install-deps

# Module BTF (for tp_btf/fentry programs) needs the kernel's vmlinux, which
# Debian's 6.1 headers lack: tools/kdir-btf links the guest image's into a
# copy of the headers tree.  NO_BTF=1, or any other KDIR, builds without it.
# (The newer kernels' headers have their vmlinux.)
kmod:
ifeq ($(OTHER_KVER),)
	@kdir=$(KDIR); extra=; \
	if [ -z "$(NO_BTF)" ] && [ "$$kdir" = /usr/src/linux-headers-$(HOST_KVER) ] && \
	   btfdir=$$($(TOP)/tools/kdir-btf $(HOST_KVER)); then \
		kdir=$$btfdir; extra=RESOLVE_BTFIDS=/bin/true; \
	fi; \
	$(MAKE) -C kmod KDIR=$$kdir $$extra
else
	@$(TOP)/tools/vm/kernel build-module $(KVER)
endif

lib:
	$(MAKE) -C lib O=$(B)/lib

selftests: lib
	$(MAKE) -C selftests O=$(B)/selftests
	$(MAKE) -C selftests/observability O=$(B)/selftests/observability
	$(MAKE) -C selftests/stress O=$(B)/selftests/stress
	$(MAKE) -C selftests/fuzz O=$(B)/selftests/fuzz
	$(MAKE) -C selftests/inject O=$(B)/selftests/inject
	$(MAKE) -C selftests/bridge O=$(B)/selftests/bridge

# cspchan-top's vmlinux.h comes from the 6.1 guest kernel, which kmod
# fetches (for another KVER, from any guest kernel fetched so far); built
# once, it runs on every kernel (CO-RE).
tools: lib kmod
	$(MAKE) -C tools/cspchan O=$(B)/tools
	$(MAKE) -C tools/cspchan-bridge O=$(B)/tools/cspchan-bridge
	$(MAKE) -C tools/cspchan-top O=$(B)/tools/cspchan-top \
		$(if $(wildcard $(B)/vm/$(HOST_KVER)/vmlinux),VMLINUX_BTF=$(B)/vm/$(HOST_KVER)/vmlinux)

examples: lib
	$(MAKE) -C examples/pipeline O=$(B)/examples/pipeline
	$(MAKE) -C examples/zerocopy O=$(B)/examples/zerocopy
	$(MAKE) -C examples/reply O=$(B)/examples/reply

check: deps
	@$(TOP)/tools/check $(KVER)

check-kernels: deps
	@$(TOP)/tools/check $(KERNELS)

check-debug: deps
	@$(TOP)/tools/check-debug

# The Go package (go/) and examples/go in the guest: gofmt, go vet, go test
# and the examples, as TAP ending "N passed, N failed".  Installs Debian's
# golang-go.  .ci/run runs it after make check.
check-go: deps kmod
	@$(TOP)/tools/check-go

demo: deps
	@$(TOP)/tools/demo

demo-cluster: deps
	@$(TOP)/tools/demo-cluster

bench: deps
	@$(TOP)/bench/run

# The chaos soak alone, longer: its checker's self-test, then DURATION s.
DURATION ?= 3600
soak: deps all
	$(TOP)/tools/vm/run-guest -t $$(( $(DURATION) + 1200 )) -o $(B)/soak-vm --kver $(KVER) -- \
		sh -c 'selftests/stress/run.sh --self-test && selftests/stress/run.sh $(DURATION)'

# The fuzzer alone, longer: ITER operations (or DURATION s); FUZZ_SEED=
# replays a run, FUZZ_EXCLUDE= leaves families out (selftests/fuzz/README.md).
FUZZ_TIMEOUT ?= 7200
fuzz: deps all
	$(TOP)/tools/vm/run-guest -t $$(( $(FUZZ_TIMEOUT) + 600 )) -o $(B)/fuzz-vm --kver $(KVER) \
		-e FUZZ_TIMEOUT=$(FUZZ_TIMEOUT) $(if $(ITER),-e ITER=$(ITER)) \
		$(if $(filter command line,$(origin DURATION)),-e DURATION=$(DURATION)) \
		$(if $(FUZZ_SEED),-e FUZZ_SEED=$(FUZZ_SEED)) \
		$(if $(FUZZ_EXCLUDE),-e FUZZ_EXCLUDE=$(FUZZ_EXCLUDE)) \
		-- selftests/fuzz/run.sh build/selftests/fuzz/fuzz

# Userspace only (no kernel headers needed): each part builds what it
# installs.  cspchan-bridge when libnats-dev and librdkafka-dev are there.
BRIDGE_DEPS := $(shell pkg-config --exists libnats rdkafka 2>/dev/null && echo yes)
install uninstall:
	$(MAKE) -C lib O=$(B)/lib $@
	$(MAKE) -C tools/cspchan O=$(B)/tools $@
	$(MAKE) -C tools/cspchan-top O=$(B)/tools/cspchan-top $@ \
		$(if $(wildcard $(B)/vm/$(HOST_KVER)/vmlinux),VMLINUX_BTF=$(B)/vm/$(HOST_KVER)/vmlinux)
	$(if $(BRIDGE_DEPS)$(filter uninstall,$@),$(MAKE) -C tools/cspchan-bridge O=$(B)/tools/cspchan-bridge $@)
	$(MAKE) -C tools/bpftrace $@
	$(MAKE) -C packaging $@

modules_install: kmod
	$(MAKE) -C $(KDIR) M=$(TOP)/kmod modules_install

check-packaging:
	@$(TOP)/tools/check-packaging

clean:
	$(MAKE) -C kmod clean KDIR=$(KDIR)
	$(MAKE) -C bench/kchan-min clean KDIR=$(KDIR)
	rm -rf $(B)/lib $(B)/selftests $(B)/vm-out $(B)/kmod

.PHONY: all deps kmod lib selftests tools examples check check-kernels check-debug check-go demo demo-cluster bench soak fuzz install uninstall modules_install check-packaging clean
