#!/bin/sh
# The Go package (go/) and its examples (examples/go/), run in the guest as
# root with the module loaded: go vet, the package's tests (compiled with
# go test -c and run, one TAP line per test), and the worker pool and the
# pipeline examples as separate processes.  Prints TAP.
#
#   selftests/go/run.sh [BUILD_DIR]
#
# BUILD_DIR receives the test binary, the examples and the test log
# (default: a temporary directory); a test binary or example already there
# and newer than its sources is used as it is, so the build can compile
# them on the host:
#
#   cd go && GOPROXY=off go test -c -o ../build/go/cspchan.test .
#   cd examples/go && GOPROXY=off go build -o ../../build/go/ ./...  CSPCHAN_GO_BENCH=1 also runs the
# benchmarks (about a minute) and prints their figures as TAP comments.
# Without a Go toolchain (Debian's golang-go) everything is skipped.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

echo "TAP version 13"
if ! command -v go > /dev/null 2>&1; then
	echo "1..0 # SKIP no Go toolchain (apt-get install golang-go)"
	exit 0
fi
if [ -n "$1" ]; then
	out=$1
	mkdir -p "$out" || exit 1
else
	out=$(mktemp -d "${TMPDIR:-/tmp}/cspchan-go.XXXXXX") || exit 1
fi
out=$(cd "$out" && pwd)

# Only the standard library: never the network.
export GOPROXY=off GOFLAGS=-mod=readonly GOTOOLCHAIN=local
if [ -z "$GOCACHE" ] && ! mkdir -p "${HOME:-/nonexistent}/.cache" 2> /dev/null; then
	export GOCACHE="$out/gocache"
fi

n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n $1"; }
# check DESC CMD...: one TAP line for CMD, its output as comments on failure
check() {
	desc=$1
	shift
	if "$@" > "$out/check.log" 2>&1; then
		ok "$desc"
	else
		notok "$desc"
		sed 's/^/# /' "$out/check.log"
	fi
}

echo "# $(go version)"
check "go: gofmt -l finds nothing" sh -c "test -z \"\$(gofmt -l '$top/go' '$top/examples/go')\""
check "go: go vet ./... (go/)" sh -c "cd '$top/go' && go vet ./..."
check "go: go vet ./... (examples/go/)" sh -c "cd '$top/examples/go' && go vet ./..."
# fresh BIN DIR: BIN was built after every Go file of DIR changed (on the
# host, say, by the build); then it is used as it is.
fresh() { [ -x "$1" ] && [ -z "$(find "$2" -name '*.go' -newer "$1")" ]; }
if fresh "$out/cspchan.test" "$top/go"; then
	ok "go: go test -c (go/): $out/cspchan.test is up to date"
else
	check "go: go test -c (go/)" sh -c "cd '$top/go' && go test -c -o '$out/cspchan.test' ."
fi
if fresh "$out/workerpool" "$top/examples/go" && fresh "$out/pipeline" "$top/examples/go" &&
   fresh "$out/workerpool" "$top/go"; then
	ok "go: go build (examples/go/): up to date in $out"
else
	check "go: go build (examples/go/)" sh -c "cd '$top/examples/go' && go build -o '$out/' ./..."
fi

# The package's tests, run from the package directory as go test does.
if [ -x "$out/cspchan.test" ]; then
	(cd "$top/go" && "$out/cspchan.test" -test.v -test.timeout 900s) > "$out/test.log" 2>&1
	status=$?
	# One line per top-level test; what the tests log becomes comments.
	awk -v n="$n" '
		/^=== / { next }
		/^--- (PASS|FAIL|SKIP): / {
			name = $3
			n++
			if ($2 == "PASS:") print "ok " n " go: " name
			else if ($2 == "SKIP:") print "ok " n " go: " name " # SKIP " skip
			else { print "not ok " n " go: " name; fails++ }
			skip = ""
			next
		}
		/^    [a-z_]+\.go:[0-9]+: / {
			line = $0
			sub(/^    /, "", line)
			skip = line
			print "# " line
			next
		}
		/^        / { print "# " substr($0, 5); next }
		/^    --- / { print "# " substr($0, 5); next }
		END { print n " " fails > "/dev/stderr" }
	' "$out/test.log" 2> "$out/tally"
	read -r n fails_go < "$out/tally"
	fails=$((fails + fails_go))
	if [ "$status" -ne 0 ] && [ "$fails_go" -eq 0 ]; then
		notok "go: the test binary exited with status $status"
		tail -n 30 "$out/test.log" | sed 's/^/# /'
	fi
else
	notok "go: package tests (no test binary)"
fi

# The examples, as separate processes.
if [ -x "$out/workerpool" ]; then
	"$out/workerpool" -jobs 9 -workers 3 -work 20ms > "$out/workerpool.log" 2>&1
	if [ $? -eq 0 ] && grep -q '^results \[2 4 6 8 10 12 14 16 18\] from [1-3] worker processes$' "$out/workerpool.log" &&
	   [ "$(grep -c 'finished job' "$out/workerpool.log")" -eq 9 ]; then
		ok "go: examples/go/workerpool: 9 jobs through 3 worker processes, each result once"
	else
		notok "go: examples/go/workerpool: 9 jobs through 3 worker processes, each result once"
		sed 's/^/# /' "$out/workerpool.log"
	fi
else
	notok "go: examples/go/workerpool (not built)"
fi
if [ -x "$out/pipeline" ]; then
	"$out/pipeline" 1 2 3 4 5 6 7 8 9 10 11 12 > "$out/pipeline.log" 2>&1
	if [ $? -eq 0 ] && [ "$(sort -n "$out/pipeline.log" | tr '\n' ' ')" = "1 4 9 16 25 36 49 64 81 100 121 144 " ]; then
		ok "go: examples/go/pipeline: gen -> 2 x sq -> merge, 12 squares once each"
	else
		notok "go: examples/go/pipeline: gen -> 2 x sq -> merge, 12 squares once each"
		sed 's/^/# /' "$out/pipeline.log"
	fi
else
	notok "go: examples/go/pipeline (not built)"
fi
if [ -r /proc/cspchan ] && grep -qE 'gotest\.|workerpool\.|pipeline\.' /proc/cspchan; then
	notok "go: no channel left behind"
	sed 's/^/# /' /proc/cspchan
else
	ok "go: no channel left behind"
fi

if [ "${CSPCHAN_GO_BENCH:-0}" = 1 ] && [ -x "$out/cspchan.test" ]; then
	(cd "$top/go" && "$out/cspchan.test" -test.run '^$' -test.bench . -test.benchmem) 2>&1 | sed 's/^/# /'
fi

echo "1..$n"
[ "$fails" -eq 0 ]
