#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run every cspchan selftest binary and summarise their TAP.
#
#   selftests/cspchan/run_tests.sh [BINDIR]
#
# BINDIR is the selftests output directory (the binaries are in
# BINDIR/cspchan/, or in BINDIR itself); default build/selftests next to
# the source tree.  The tests are the *.c files beside this script, so a
# binary that is missing counts as a failure.  Each binary's TAP is printed
# as it comes; the last line is "N passed, N failed" (plus ", N skipped"
# when tests were skipped), counted from the harness's "ok"/"not ok" lines.
# A binary that dies or times out (settings: timeout=) without reporting a
# failing test counts as one failed test.  Exit status: 1 if anything
# failed, else 0.

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bindir=${1:-$here/../../build/selftests}
[ -d "$bindir/cspchan" ] && bindir=$bindir/cspchan

timeout=300
if [ -r "$here/settings" ]; then
	t=$(sed -n 's/^timeout=\([0-9][0-9]*\)$/\1/p' "$here/settings")
	[ -n "$t" ] && timeout=$t
fi

passed=0
failed=0
skipped=0

for src in "$here"/*.c; do
	name=$(basename "$src" .c)
	bin=$bindir/$name
	echo "# selftests: cspchan: $name"
	if [ ! -x "$bin" ]; then
		echo "not ok $name # binary $bin missing"
		failed=$((failed + 1))
		continue
	fi

	out=$(mktemp)
	timeout --signal=KILL "$timeout" stdbuf -oL "$bin" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}

	p=$(grep -cE '^ok [0-9]+' "$out")
	s=$(grep -cE '^ok [0-9]+ # SKIP' "$out")
	f=$(grep -cE '^not ok [0-9]+' "$out")
	rm -f "$out"

	passed=$((passed + p - s))
	skipped=$((skipped + s))
	failed=$((failed + f))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		if [ "$rc" -eq 137 ]; then
			echo "not ok $name # killed after ${timeout}s"
		else
			echo "not ok $name # exited with status $rc"
		fi
		failed=$((failed + 1))
	fi
done

summary="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && summary="$summary, $skipped skipped"
echo "$summary"
[ "$failed" -eq 0 ]
