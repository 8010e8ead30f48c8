#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the cspchan chaos soak (needs /dev/cspchan: root, module loaded).
#
#   selftests/stress/run.sh [DURATION] [SOAK OPTIONS...]
#   selftests/stress/run.sh --self-test
#
# DURATION in seconds: the first argument, else $DURATION, else 60.  The
# soak's own TAP is printed as it comes; a soak that does not finish within
# DURATION + 300 s is killed and reported as "not ok".  --self-test runs
# soak-faults once per injected checker fault (15 s each) and passes only
# if every run fails the check it should.  Binaries: $SOAK_BINDIR, default
# build/selftests/stress next to the source tree.  Exit status: 0 if
# everything passed, else 1.

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bindir=${SOAK_BINDIR:-$here/../../build/selftests/stress}

self_test() {
	local n=0 failed=0 fault out rc want
	echo "TAP version 13"
	echo "1..4"
	for fault in drop dup corrupt phantom; do
		n=$((n + 1))
		case $fault in
		drop) want='^not ok [0-9]+ soak: lost' ;;
		dup|phantom) want='^not ok [0-9]+ soak: no duplicates' ;;
		corrupt) want='^not ok [0-9]+ soak: no corrupted' ;;
		esac
		out=$(SOAK_FAULT=$fault timeout --signal=KILL 600 \
			"$bindir/soak-faults" -i 400 15 2>&1)
		rc=$?
		echo "$out" | grep -E '^# (FAIL|error)' | head -n 5 | sed 's/^/# /'
		echo "$out" | grep -E 'lost .*bound|^(not )?ok' | sed 's/^/# /'
		if [ "$rc" -eq 1 ] && echo "$out" | grep -qE "$want"; then
			echo "ok $n checker fails on injected fault: $fault"
		else
			echo "not ok $n checker did not fail on injected fault: $fault (status $rc)"
			failed=$((failed + 1))
		fi
	done
	[ "$failed" -eq 0 ]
}

if [ "${1:-}" = --self-test ]; then
	self_test
	exit $?
fi

duration=${DURATION:-60}
if [ $# -gt 0 ] && [[ $1 =~ ^[0-9]+$ ]]; then
	duration=$1
	shift
fi
limit=$((duration + 300))

if [ ! -x "$bindir/soak" ]; then
	echo "not ok 1 soak # binary $bindir/soak missing (make -C selftests/stress)"
	exit 1
fi
timeout --signal=KILL "$limit" stdbuf -oL "$bindir/soak" "$@" "$duration"
rc=$?
if [ "$rc" -eq 137 ]; then
	echo "not ok 99 soak # killed after ${limit}s"
	exit 1
fi
[ "$rc" -eq 0 ] || [ "$rc" -eq 4 ]
