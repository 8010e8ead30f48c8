#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The cspchan fuzzer and its after-checks, run in the guest as root with
# the module loaded.  Prints TAP.  Usage: run.sh [FUZZ_BINARY]
#
#   DURATION=S     time budget in seconds (default 60; with ITER, none)
#   ITER=N         stop after N operations
#   FUZZ_SEED=X    replay the run that printed this seed
#   FUZZ_WORKERS, FUZZ_THREADS, FUZZ_EXCLUDE   see README.md
#   CSPCHAN_KO     the module to insmod again after the rmmod check
#                  (CSPCHAN_MODPARAMS: its parameters)
#
# After the fuzzer's own checks (canaries, every process reaped, every
# channel gone, module refcount 0) it checks that rmmod succeeds, loads the
# module again so that later tests find it, and that the kernel log of the
# run is clean.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
bin=${1:-$top/build/selftests/fuzz/fuzz}
ko=${CSPCHAN_KO:-$top/kmod/cspchan.ko}
out=$(mktemp -d /tmp/cspchan-fuzz.XXXXXX)
trap 'rm -rf "$out"' EXIT

if [ -n "$ITER" ] && [ -z "$DURATION" ]; then
	limit=${FUZZ_TIMEOUT:-21600}
else
	limit=$(( ${DURATION:-60} + ${FUZZ_TIMEOUT_SLACK:-240} ))
	export DURATION="${DURATION:-60}"
fi

echo "TAP version 13"
echo "# selftests/fuzz"
dmesg >"$out/dmesg.before" 2>/dev/null
before=$(wc -l <"$out/dmesg.before")

# Into a file, not a pipe: a worker that never finishes exiting keeps its
# descriptors, and a reader of a pipe would wait for it forever.
timeout -k 10 "$limit" "$bin" >"$out/fuzz.tap" 2>&1 &
tail -n +1 -f --pid=$! "$out/fuzz.tap"
n=$(grep -cE '^(not )?ok [0-9]+' "$out/fuzz.tap")
fails=$(grep -cE '^not ok [0-9]+' "$out/fuzz.tap")
if ! grep -q '^# fuzz: seed .* checks failed' "$out/fuzz.tap"; then
	n=$((n + 1)); fails=$((fails + 1))
	echo "not ok $n fuzz: the fuzzer finished within $limit s"
fi

tap() {	# tap OK DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n fuzz: $2"
	else
		fails=$((fails + 1))
		echo "not ok $n fuzz: $2"
	fi
}

# rmmod, retried while asynchronous releases finish.
unloaded=1
i=0
while [ $i -lt 20 ]; do
	if rmmod cspchan 2>"$out/rmmod.err"; then
		unloaded=0
		break
	fi
	i=$((i + 1))
	sleep 0.5
done
[ $unloaded -eq 0 ] || sed 's/^/# /' "$out/rmmod.err"
tap $unloaded "rmmod cspchan succeeds after the fuzz (refcnt $(cat /sys/module/cspchan/refcnt 2>/dev/null || echo -))"
if [ ! -e /sys/module/cspchan ]; then
	# shellcheck disable=SC2086 # the parameters are split on purpose
	insmod "$ko" $CSPCHAN_MODPARAMS 2>&1 | sed 's/^/# /'
	test -c /dev/cspchan
	tap $? "insmod $ko again"
fi

dmesg 2>/dev/null | tail -n +"$((before + 1))" >"$out/dmesg.run"
if "$top/tools/vm/check-kernel-log" "$out/dmesg.run" >"$out/klog.bad"; then
	tap 0 "the kernel log of the run is clean"
else
	sed 's/^/# kernel: /' "$out/klog.bad" | head -n 60
	tap 1 "the kernel log of the run is clean ($(wc -l <"$out/klog.bad") suspicious lines)"
fi
echo "1..$n"
[ "$fails" -eq 0 ]
