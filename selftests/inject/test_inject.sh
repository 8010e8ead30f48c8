#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Allocation failures inside cspchan.ko, injected with fail_function into
# the module's own helpers (marked ALLOW_ERROR_INJECTION): every ENOMEM
# path is taken, the operation fails with ENOMEM, and nothing is left
# behind (no channel, no module reference); selftests/debug-suite then
# checks with kmemleak that nothing leaked.  Needs CONFIG_FAIL_FUNCTION and
# debugfs (the debug kernel of make check-debug); skipped on other kernels.
#
#   selftests/inject/test_inject.sh PROBE
set -u

probe=${1:-build/selftests/inject/probe}
ff=/sys/kernel/debug/fail_function
n=0
failed=0

report() {	# report OK DESCRIPTION
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n inject: $2"
	else
		echo "not ok $n inject: $2"
		failed=$((failed + 1))
	fi
}

channels() {	# channels listed in /proc/cspchan
	grep -cvE '^ *(ID|id)\b|^#' /proc/cspchan 2>/dev/null || true
}

if [ ! -d $ff ] || ! grep -q cspchan_arena_alloc /sys/kernel/debug/error_injection/list 2>/dev/null; then
	echo "ok 1 inject: # SKIP no fail_function for cspchan on this kernel"
	exit 0
fi

refcnt0=$(cat /sys/module/cspchan/refcnt)
channels0=$(channels)
echo 100 >$ff/probability
echo 0 >$ff/interval
echo -1 >$ff/times
echo 0 >$ff/space
echo 1 >$ff/verbose

# function  retval  probe operation
while read -r fn retval op; do
	echo >$ff/inject
	if ! echo "$fn" >$ff/inject; then
		report 1 "$fn can be injected"
		continue
	fi
	# retval is parsed as an unsigned number: -ENOMEM as two's complement.
	printf '%#x\n' "$retval" >$ff/"$fn"/retval
	out=$("$probe" "$op" 2>&1)
	rc=$?
	echo >$ff/inject
	echo "# $out"
	report $rc "$fn: $op fails with ENOMEM"
	report $(( $(channels) != channels0 )) "$fn: no channel left behind"
	report $(( $(cat /sys/module/cspchan/refcnt) != refcnt0 )) "$fn: module references back"
	"$probe" "$op" >/dev/null 2>&1
	report $(( $? != 1 )) "$fn: $op works again once the fault is gone"
done <<'LIST'
cspchan_user_charge -12 create
cspchan_arena_alloc -12 create
cspchan_handle_prepare -12 create
cspchan_select_alloc -12 select
cspchan_uring_park 0 take
cspchan_uring_read -12 read
cspchan_uring_write -12 write
LIST

echo "# inject: $n checks, $failed failed"
[ "$failed" = 0 ]
