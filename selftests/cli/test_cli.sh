#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The cspchan(1) command line tool against real channels, in the guest as
# root with cspchan.ko loaded:
#
#   selftests/cli/test_cli.sh PATH/TO/cspchan
#
# Prints TAP; exit status 1 if any test failed.  Every command runs under
# timeout(1), so a hang is a failure, not a stuck VM.  Channels are named
# clitest.<pid>.* and removed at the end.

set -u

if [ $# -ne 1 ]; then
	echo "usage: $0 PATH/TO/cspchan" >&2
	exit 2
fi
C=$(realpath "$1")
PLAN=109
T=30		# seconds any one command may take
P=clitest.$$	# channel name prefix

n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
notok() {
	n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n $1"
	shift
	local line
	for line in "$@"; do echo "#   $line"; done
}
skip() { n=$((n + 1)); echo "ok $n $1 # SKIP $2"; }

tmp=$(mktemp -d)
cleanup() {
	local pids
	pids=$(jobs -p)
	[ -n "$pids" ] && kill $pids 2>/dev/null
	sed -n "s/^[0-9][0-9]* \($P\.[^ ]*\) .*/\1/p" /proc/cspchan 2>/dev/null |
		xargs -r "$C" rm -f
	rm -rf "$tmp"
}
trap cleanup EXIT

# run CMD...: $out, $err and $rc of CMD under a time limit.
run() {
	out=$(timeout "$T" "$@" 2>"$tmp/err")
	rc=$?
	err=$(cat "$tmp/err")
}

# expect DESC RC [STDERR]: judge the last run by its status and stderr.
expect() {
	local desc=$1 want=$2
	if [ "$rc" != "$want" ]; then
		notok "$desc" "exit status $rc, expected $want" "stderr: $err"
	elif [ $# -ge 3 ] && [ "$err" != "$3" ]; then
		notok "$desc" "stderr: '$err'" "expected: '$3'"
	else
		ok "$desc"
	fi
}

# check DESC CONDITION...: ok when the command succeeds.
check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else notok "$desc" "failed: $*" "out: $out" "err: $err"; fi
}

# stat_of NAME KEY: one figure from "cspchan stat".
stat_of() { timeout "$T" "$C" stat "$1" | sed -n "s/^$2: //p"; }

# wait_for NAME KEY VALUE: until the figure reaches VALUE (10 s at most).
wait_for() {
	local i
	for ((i = 0; i < 200; i++)); do
		[ "$(stat_of "$1" "$2")" = "$3" ] && return 0
		sleep 0.05
	done
	return 1
}

echo "TAP version 13"
echo "1..$PLAN"

# --- help, version, usage errors -------------------------------------

run "$C" --version
check "--version prints the version" \
	test "$rc" = 0 -a -n "$(echo "$out" | grep -E '^cspchan [0-9]+\.[0-9]+$')"

run "$C" --help
check "--help lists the commands and the exit statuses" \
	test "$rc" = 0 -a "$(echo "$out" | grep -cE '^  (create|send|recv|shutdown|rm|stat|ls|watch|pace) ')" = 9 \
	-a "$(echo "$out" | grep -cE '^  [0-4]  ')" = 5

for sub in create send recv shutdown rm stat ls watch pace; do
	run "$C" "$sub" --help
	check "$sub --help: usage, options, exit status, examples" \
		test "$rc" = 0 -a -n "$(echo "$out" | grep "^Usage: cspchan $sub")" \
		-a -n "$(echo "$out" | grep '^Options:')" \
		-a -n "$(echo "$out" | grep '^Exit status:')" \
		-a -n "$(echo "$out" | grep '^Examples:')"
done

run "$C" help send
help_send=$out
run "$C" send --help
check "'help send' is 'send --help'" test "$rc" = 0 -a "$out" = "$help_send"

run "$C" send --bogus x
expect "bad long option: status 2" 2 "cspchan: send: unrecognized option '--bogus'
Try 'cspchan send --help'."
run "$C" recv -z x
expect "bad short option: status 2" 2 "cspchan: recv: invalid option -- 'z'
Try 'cspchan recv --help'."
run "$C" recv -t
expect "missing option argument: status 2" 2 "cspchan: recv: option requires an argument -- 't'
Try 'cspchan recv --help'."
run "$C" recv -t soon x
expect "bad timeout: status 2" 2 "cspchan: recv: bad timeout 'soon' (milliseconds)
Try 'cspchan recv --help'."
run "$C" frobnicate
expect "unknown command: status 2" 2 "cspchan: unknown command 'frobnicate'
Try 'cspchan --help'."
run "$C"
expect "no command: status 2" 2 "cspchan: missing COMMAND
Try 'cspchan --help'."
run "$C" stat
expect "stat without NAME: status 2" 2 "cspchan: stat: missing NAME
Try 'cspchan stat --help'."
run "$C" create -m 0999 "$P.x"
check "create -m 0999: status 2" test "$rc" = 2
run "$C" send -r 4 "$P.x" msg
check "send -r with MSG arguments: status 2" test "$rc" = 2
run "$C" recv -r -0 "$P.x"
check "recv -r -0: status 2" test "$rc" = 2

# --- missing channels --------------------------------------------------

for sub in send recv stat shutdown rm; do
	run "$C" "$sub" "$P.none"
	expect "$sub on a missing channel: status 1 and the error" 1 \
		"cspchan: $sub: $P.none: No such file or directory"
done
run "$C" rm -f "$P.none"
expect "rm -f on a missing channel: status 0" 0 ""

# --- create and stat ---------------------------------------------------

run "$C" create "$P.def"
run "$C" stat "$P.def"
check "create: defaults capacity 64, msg_size 4096, mode 0600" \
	test "$rc" = 0 -a "$(echo "$out" | grep -E '^(capacity: 64|msg_size: 4096|mode: 0600)$' | wc -l)" = 3

run "$C" create -c 8 -s 1K -m 0640 "$P.q"
run "$C" stat "$P.q"
check "create -c 8 -s 1K -m 0640: stat shows them" \
	test "$rc" = 0 -a "$(echo "$out" | grep -E '^(capacity: 8|msg_size: 1024|mode: 0640)$' | wc -l)" = 3

keys="name id capacity msg_size depth senders_waiting receivers_waiting shut autoclose sent received high_water mode lease leased redelivered dead max_deliveries lease_ms dead_letter rate burst throttled_ns reply relay"
check "stat prints every field of struct cspchan_stat as key: value" \
	test "$(echo "$out" | cut -d: -f1 | tr '\n' ' ')" = "$keys "

run "$C" create --reply "$P.reply"
check "create --reply: stat shows reply: 1" \
	test "$rc" = 0 -a "$(stat_of "$P.reply" reply)" = 1
check "create without --reply: stat shows reply: 0" \
	test "$(stat_of "$P.q" reply)" = 0
"$C" unlink "$P.reply" 2>/dev/null

run "$C" create --relay -c 4 "$P.relay"
check "create --relay: stat shows relay: 1" \
	test "$rc" = 0 -a "$(stat_of "$P.relay" relay)" = 1
check "create without --relay: stat shows relay: 0" \
	test "$(stat_of "$P.q" relay)" = 0
run "$C" create --relay "$P.q"
check "create --relay on an existing plain channel: status 0, warns it differs" \
	test "$rc" = 0 -a -n "$(echo "$err" | grep 'exists with capacity 8')" \
		-a "$(stat_of "$P.q" relay)" = 0
run "$C" stat --json "$P.relay"
if command -v python3 >/dev/null; then
	got=$(echo "$out" | python3 -c '
import json, sys
s = json.load(sys.stdin)
print(s["relay"], s["reply"], s["capacity"])' 2>&1)
	check "stat --json: relay true on a --relay channel" \
		test "$rc" = 0 -a "$got" = "True False 4"
else
	skip "stat --json: relay true on a --relay channel" "no python3"
fi
"$C" unlink "$P.relay" 2>/dev/null

run "$C" create -x "$P.q"
expect "create -x on an existing name: status 1 and the error" 1 \
	"cspchan: create: $P.q: File exists"

run "$C" create -c 16 "$P.q"
check "create without -x on an existing name: status 0, warns, unchanged" \
	test "$rc" = 0 -a -n "$(echo "$err" | grep 'exists with capacity 8')" \
	-a "$(stat_of "$P.q" capacity)" = 8

run "$C" create "$P/bad"
check "create with a bad name: status 1, Invalid argument" \
	test "$rc" = 1 -a -n "$(echo "$err" | grep "^cspchan: create: $P/bad: Invalid argument")"

run "$C" create -c 0 "$P.unbuf"
check "create -c 0: an unbuffered channel" \
	test "$rc" = 0 -a "$(stat_of "$P.unbuf" capacity)" = 0

run "$C" create --autoclose "$P.ac"
check "create --autoclose: stat shows autoclose: 1" \
	test "$rc" = 0 -a "$(stat_of "$P.ac" autoclose)" = 1
check "create --autoclose: the channel is still open after create exits" \
	test "$(stat_of "$P.ac" shut)" = 0
"$C" send "$P.ac" last >/dev/null
check "create --autoclose: the first producer's exit shuts it down" \
	test "$(stat_of "$P.ac" shut)" = 1

# --- send and recv -----------------------------------------------------

run "$C" send "$P.q" one '' two three
check "send MSG...: status 0, the empty argument skipped" \
	test "$rc" = 0 -a "$(stat_of "$P.q" depth)" = 3

run "$C" recv -t 0 "$P.q"
check "recv -t 0 takes what is queued, one line each, status 0" \
	test "$rc" = 0 -a "$out" = "one
two
three"

printf 'alpha\n\nbeta\n\n\ngamma' | timeout "$T" "$C" send "$P.q"
rc=$?
run "$C" recv -t 0 "$P.q"
check "send from stdin: one message per line, empty lines skipped" \
	test "$rc" = 0 -a "$out" = "alpha
beta
gamma"

run "$C" recv -t 200 "$P.q"
expect "recv -t 200 on an empty channel: status 3, silent" 3 ""
check "recv -t 200 on an empty channel printed nothing" test -z "$out"

run "$C" recv -t 0 "$P.q"
expect "recv -t 0 on an empty channel: status 3" 3 ""

"$C" send "$P.q" only
run "$C" recv -n 2 -t 200 "$P.q"
check "recv -n 2 -t 200 with one message: prints it, status 3" \
	test "$rc" = 3 -a "$out" = only

"$C" send "$P.q" x y
run "$C" recv -t 200 "$P.q"
check "recv -t 200 idle after messages: status 0" test "$rc" = 0 -a "$out" = "x
y"

"$C" send "$P.q" 1 2 3 4 5
run "$C" recv -n 2 "$P.q"
check "recv -n 2 takes exactly two" \
	test "$rc" = 0 -a "$out" = "1
2" -a "$(stat_of "$P.q" depth)" = 3
"$C" recv -t 0 "$P.q" >/dev/null

seq 8 | "$C" send "$P.q"
run "$C" send -t 100 "$P.q" ninth
expect "send -t 100 into a full channel: status 3 and the error" 3 \
	"cspchan: send: $P.q: Connection timed out (message 1 not sent)"
"$C" recv -t 0 "$P.q" >/dev/null

run "$C" send "$P.q" "$(head -c 1025 /dev/zero | tr '\0' x)"
expect "send of a message longer than msg_size: status 1 and the error" 1 \
	"cspchan: send: $P.q: Message too long (message 1 is 1025 bytes; msg_size is 1024)"

run "$C" send "$P.q" -- -dash
run "$C" recv -t 0 "$P.q"
check "send -- -dash sends a message starting with a dash" test "$out" = -dash

# -0: NUL-separated in and out; an empty string is skipped.
printf 'a\0b c\0\0multi\nline\0' | timeout "$T" "$C" send -0 "$P.q"
timeout "$T" "$C" recv -0 -t 0 "$P.q" >"$tmp/nul.out"
printf 'a\0b c\0multi\nline\0' >"$tmp/nul.want"
check "send -0 / recv -0 keep NUL-separated messages" cmp -s "$tmp/nul.out" "$tmp/nul.want"

# -r: fixed-size records, the last one short.
sent0=$(stat_of "$P.q" sent)
printf 'abcdefghij' | timeout "$T" "$C" send -r 4 "$P.q"
check "send -r 4 of 10 bytes sends 3 messages" \
	test "$(stat_of "$P.q" sent)" = $((sent0 + 3))
run "$C" recv -t 0 "$P.q"
check "recv prints the records one per line" test "$out" = "abcd
efgh
ij"

head -c 10000 /dev/urandom >"$tmp/bin.in"
timeout "$T" "$C" send -r 1000 "$P.q" <"$tmp/bin.in" &
timeout "$T" "$C" recv -r -n 10 "$P.q" >"$tmp/bin.out"
wait
check "send -r / recv -r carry binary data unchanged" cmp -s "$tmp/bin.in" "$tmp/bin.out"

"$C" send "$P.q" m1 m2 m3
run "$C" recv -m -t 0 "$P.q"
check "recv -m: 'seq pid latency_us message', seq consecutive" \
	test "$rc" = 0 -a -n "$(echo "$out" | awk '
		NF != 4 || $2 !~ /^[1-9][0-9]*$/ || $3 !~ /^[0-9]+$/ { bad = 1 }
		NR > 1 && $1 != prev + 1 { bad = 1 }
		{ prev = $1 }
		END { if (!bad && NR == 3 && $4 == "m3") print "good" }')"

# --- back-pressure: a pipeline through a capacity-8 channel -------------

"$C" create -c 8 "$P.pipe"
timeout "$T" "$C" recv -n 1000 "$P.pipe" >"$tmp/seq.out" &
recv_pid=$!
seq 1000 | timeout "$T" "$C" send "$P.pipe"
send_rc=$?
wait $recv_pid
recv_rc=$?
seq 1000 >"$tmp/seq.want"
check "seq 1000 | send into capacity 8, concurrent recv -n 1000: same lines" \
	test "$send_rc" = 0 -a "$recv_rc" = 0 -a -z "$(cmp "$tmp/seq.want" "$tmp/seq.out" 2>&1)"
check "the pipeline never queued more than the capacity" \
	test "$(stat_of "$P.pipe" high_water)" -le 8 -a "$(stat_of "$P.pipe" received)" = 1000

"$C" create -c 2 "$P.bp"
seq 5 | timeout "$T" "$C" send "$P.bp" &
send_pid=$!
check "send blocks on a full channel (senders_waiting 1, depth 2)" \
	wait_for "$P.bp" senders_waiting 1
run "$C" recv -n 5 "$P.bp"
wait $send_pid
send_rc=$?
check "recv releases the blocked send; all 5 arrive in order" \
	test "$rc" = 0 -a "$send_rc" = 0 -a "$out" = "$(seq 5)"

timeout "$T" "$C" recv -n 1 "$P.unbuf" >"$tmp/unbuf.out" &
recv_pid=$!
wait_for "$P.unbuf" receivers_waiting 1
run "$C" send "$P.unbuf" hello
wait $recv_pid
check "unbuffered channel: send hands over to a waiting recv" \
	test "$rc" = 0 -a "$(cat "$tmp/unbuf.out")" = hello

# A consumer that has gone must not cost a message.
timeout 10 bash -c "\"$C\" recv \"$P.q\" | true"
rc=$?
"$C" send "$P.q" kept
check "recv whose reader has gone ends without taking a message" \
	test "$rc" != 124 -a "$(stat_of "$P.q" depth)" = 1
"$C" recv -t 0 "$P.q" >/dev/null

# --- ls, --json, --prometheus ------------------------------------------

"$C" send "$P.q" d1 d2 d3
run "$C" ls
check "ls: the header" test "$(echo "$out" | head -1 | tr -s ' ' | sed 's/^ //')" = \
	"ID NAME CAP SIZE DEPTH SENDW RECVW SHUT SENT RECV HWM LEASED REDELIV DEAD RATE BURST THROTTLED"
check "ls: the channel with capacity 8 and depth 3" \
	test "$(echo "$out" | awk -v n="$P.q" '$2 == n { print $3, $4, $5, $8 }')" = "8 1024 3 no"
check "ls: columns are aligned" \
	test "$(echo "$out" | awk '{ print length($0) }' | sort -u | wc -l)" = 1

run "$C" ls --json
if command -v python3 >/dev/null; then
	depth=$(echo "$out" | python3 -c '
import json, sys
chans = json.load(sys.stdin)
print([c["depth"] for c in chans if c["name"] == sys.argv[1]][0])' "$P.q" 2>&1)
	check "ls --json: parseable, depth 3" test "$rc" = 0 -a "$depth" = 3
else
	skip "ls --json: parseable, depth 3" "no python3"
fi

run "$C" ls --prometheus
id=$(stat_of "$P.q" id)
sent=$(stat_of "$P.q" sent)
lbl="{id=\"$id\",name=\"$P.q\"}"
check "ls --prometheus: depth, capacity, waiting, shut, high water" \
	test -n "$(echo "$out" | grep -Fx "cspchan_depth$lbl 3")" \
	-a -n "$(echo "$out" | grep -Fx "cspchan_capacity$lbl 8")" \
	-a -n "$(echo "$out" | grep -Fx "cspchan_senders_waiting$lbl 0")" \
	-a -n "$(echo "$out" | grep -Fx "cspchan_receivers_waiting$lbl 0")" \
	-a -n "$(echo "$out" | grep -Fx "cspchan_shut$lbl 0")" \
	-a -n "$(echo "$out" | grep -Fx "cspchan_high_water$lbl 8")"
check "ls --prometheus: sent_total and received_total counters" \
	test -n "$(echo "$out" | grep -Fx "cspchan_sent_total$lbl $sent")" \
	-a -n "$(echo "$out" | grep -Fx "cspchan_received_total$lbl $((sent - 3))")" \
	-a -n "$(echo "$out" | grep -Fx '# TYPE cspchan_sent_total counter')" \
	-a -n "$(echo "$out" | grep -Fx '# TYPE cspchan_received_total counter')" \
	-a -n "$(echo "$out" | grep -Fx '# TYPE cspchan_depth gauge')"
check "ls --prometheus: every sample has # HELP and # TYPE" \
	test "$(echo "$out" | awk '
		/^# HELP / { help[$3] = 1; next }
		/^# TYPE / { type[$3] = 1; next }
		{ m = $1; sub(/\{.*/, "", m); if (!help[m] || !type[m]) bad = 1 }
		END { print bad ? "bad" : "good" }')" = good

run "$C" stat --json "$P.q"
if command -v python3 >/dev/null; then
	got=$(echo "$out" | python3 -c '
import json, sys
s = json.load(sys.stdin)
print(s["name"], s["depth"], s["capacity"], s["shut"], s["mode"])' 2>&1)
	check "stat --json: parseable, with the right figures" \
		test "$rc" = 0 -a "$got" = "$P.q 3 8 False 0640"
else
	skip "stat --json: parseable, with the right figures" "no python3"
fi

# --- lease channels --------------------------------------------------------

run "$C" create --lease-ms 5 "$P.nolease"
expect "create --lease-ms without --lease: status 2" 2 \
	"cspchan: create: --lease-ms and --max-deliveries need --lease
Try 'cspchan create --help'."

run "$C" create --lease -c 0 "$P.lease0"
if echo "$err" | grep -q 'has no lease channels'; then
	for t in "create --lease -c 0: status 1, capacity explained" \
		"create --lease --dead-letter with a missing channel: status 1, nothing created" \
		"create --lease --lease-ms --max-deliveries --dead-letter: stat shows them" \
		"recv on a lease channel: prints the message, then acknowledges it" \
		"recv on a lease channel whose stdout fails: status 1, message handed back" \
		"recv -m after a handed-back message: delivered again, redelivered 1" \
		"ls: LEASED, REDELIV and DEAD of a lease channel" \
		"ls --prometheus: cspchan_leased and cspchan_redelivered_total"; do
		skip "$t" "the module has no lease channels (CSPCHAN_FEAT_LEASE)"
	done
else
	check "create --lease -c 0: status 1, capacity explained" \
		test "$rc" = 1 -a -n "$(echo "$err" | grep "^cspchan: create: $P.lease0: Invalid argument (a lease channel needs a capacity of 1 or more)")"

	run "$C" create --lease --dead-letter "$P.nodlq" "$P.lease"
	check "create --lease --dead-letter with a missing channel: status 1, nothing created" \
		test "$rc" = 1 -a -n "$(echo "$err" | grep "^cspchan: create: $P.nodlq: No such file or directory")" \
		-a -z "$(awk -v n="$P.lease" '$2 == n' /proc/cspchan)"

	"$C" create "$P.dlq"
	run "$C" create -c 4 --lease --lease-ms 60000 --max-deliveries 3 \
		--dead-letter "$P.dlq" "$P.lease"
	dlq_id=$(stat_of "$P.dlq" id)
	run2_out=$(timeout "$T" "$C" stat "$P.lease")
	check "create --lease --lease-ms --max-deliveries --dead-letter: stat shows them" \
		test "$rc" = 0 -a "$(echo "$run2_out" | grep -E "^(lease: 1|lease_ms: 60000|max_deliveries: 3|dead_letter: $dlq_id|leased: 0)\$" | wc -l)" = 5

	"$C" send "$P.lease" first second
	run "$C" recv -n 1 "$P.lease"
	check "recv on a lease channel: prints the message, then acknowledges it" \
		test "$rc" = 0 -a "$out" = first -a "$(stat_of "$P.lease" leased)" = 0 \
		-a "$(stat_of "$P.lease" depth)" = 1

	timeout "$T" "$C" recv -n 1 "$P.lease" >/dev/full 2>"$tmp/err"
	rc=$?
	err=$(cat "$tmp/err")
	check "recv on a lease channel whose stdout fails: status 1, message handed back" \
		test "$rc" = 1 -a -n "$(echo "$err" | grep 'stdout: No space left on device')" \
		-a "$(stat_of "$P.lease" depth)" = 1 -a "$(stat_of "$P.lease" leased)" = 0

	run "$C" recv -m -t 0 "$P.lease"
	check "recv -m after a handed-back message: delivered again, redelivered 1" \
		test "$rc" = 0 -a "$(echo "$out" | awk '{ print $1, $4 }')" = "1 second" \
		-a "$(stat_of "$P.lease" redelivered)" = 1

	run "$C" ls
	check "ls: LEASED, REDELIV and DEAD of a lease channel" \
		test "$(echo "$out" | awk -v n="$P.lease" '$2 == n { print $12, $13, $14 }')" = "0 1 0"

	run "$C" ls --prometheus
	lbl="{id=\"$(stat_of "$P.lease" id)\",name=\"$P.lease\"}"
	check "ls --prometheus: cspchan_leased and cspchan_redelivered_total" \
		test -n "$(echo "$out" | grep -Fx "cspchan_leased$lbl 0")" \
		-a -n "$(echo "$out" | grep -Fx "cspchan_redelivered_total$lbl 1")" \
		-a -n "$(echo "$out" | grep -Fx "cspchan_dead_total$lbl 0")"
fi

# --- paced channels ------------------------------------------------------

run "$C" pace "$P.q" fast
expect "pace with a bad rate: status 2" 2 "cspchan: pace: bad rate 'fast' (messages per second)
Try 'cspchan pace --help'."

run "$C" create --rate 5 -c 0 "$P.pace0"
if echo "$err" | grep -q 'has no paced channels'; then
	for t in "create --rate -c 0: status 1, capacity explained" \
		"create --rate 20/s --burst 3: stat shows rate 20, burst 3" \
		"create --rate 5 without --burst: burst 1" \
		"recv on a paced channel: 6 messages at 10/s take 0.5 s" \
		"stat: throttled_ns grew while recv waited for tokens" \
		"pace NAME 200/s 7: stat shows rate 200, burst 7" \
		"pace NAME 0: unpaced (rate 0, burst 0), queued messages at once" \
		"pace on an unbuffered channel: status 1, explained" \
		"ls: RATE, BURST and THROTTLED of a paced channel" \
		"ls --prometheus: cspchan_rate, cspchan_burst, cspchan_throttled_seconds_total"; do
		skip "$t" "the module has no paced channels (CSPCHAN_FEAT_PACE)"
	done
else
	check "create --rate -c 0: status 1, capacity explained" \
		test "$rc" = 1 -a -n "$(echo "$err" | grep "^cspchan: create: $P.pace0: Invalid argument (a paced channel needs a capacity of 1 or more)")" \
		-a -z "$(awk -v n="$P.pace0" '$2 == n' /proc/cspchan)"

	run "$C" create -c 8 --rate 20/s --burst 3 "$P.pace"
	run2_out=$(timeout "$T" "$C" stat "$P.pace")
	check "create --rate 20/s --burst 3: stat shows rate 20, burst 3" \
		test "$rc" = 0 -a "$(echo "$run2_out" | grep -E '^(rate: 20|burst: 3|throttled_ns: 0)$' | wc -l)" = 3

	run "$C" create -c 8 --rate 5 "$P.pace1"
	check "create --rate 5 without --burst: burst 1" \
		test "$rc" = 0 -a "$(stat_of "$P.pace1" rate)" = 5 -a "$(stat_of "$P.pace1" burst)" = 1

	"$C" create -c 8 --rate 10 "$P.pace10"
	"$C" send "$P.pace10" a b c d e f
	t0=$(date +%s%N)
	run "$C" recv -n 6 "$P.pace10"
	ms=$((($(date +%s%N) - t0) / 1000000))
	check "recv on a paced channel: 6 messages at 10/s take 0.5 s" \
		test "$rc" = 0 -a "$(echo $out)" = "a b c d e f" -a "$ms" -ge 450
	check "stat: throttled_ns grew while recv waited for tokens" \
		test "$(stat_of "$P.pace10" throttled_ns)" -gt 0

	run "$C" pace "$P.pace" 200/s 7
	check "pace NAME 200/s 7: stat shows rate 200, burst 7" \
		test "$rc" = 0 -a "$(stat_of "$P.pace" rate)" = 200 -a "$(stat_of "$P.pace" burst)" = 7

	"$C" pace "$P.pace10" 1
	"$C" send "$P.pace10" g h i j
	"$C" recv -n 1 -t 0 "$P.pace10" >/dev/null
	run "$C" pace "$P.pace10" 0
	rc1=$rc
	run "$C" recv -n 3 -t 0 "$P.pace10"
	check "pace NAME 0: unpaced (rate 0, burst 0), queued messages at once" \
		test "$rc1" = 0 -a "$rc" = 0 -a "$(echo $out)" = "h i j" \
		-a "$(stat_of "$P.pace10" rate)" = 0 -a "$(stat_of "$P.pace10" burst)" = 0

	run "$C" pace "$P.unbuf" 10
	check "pace on an unbuffered channel: status 1, explained" \
		test "$rc" = 1 -a "$err" = "cspchan: pace: $P.unbuf: Invalid argument (an unbuffered channel cannot be paced)" \
		-a "$(stat_of "$P.unbuf" rate)" = 0

	run "$C" ls
	check "ls: RATE, BURST and THROTTLED of a paced channel" \
		test "$(echo "$out" | awk -v n="$P.pace" '$2 == n { print $15, $16, $17 }')" = "200 7 0.000s"

	run "$C" ls --prometheus
	lbl="{id=\"$(stat_of "$P.pace" id)\",name=\"$P.pace\"}"
	check "ls --prometheus: cspchan_rate, cspchan_burst, cspchan_throttled_seconds_total" \
		test -n "$(echo "$out" | grep -Fx "cspchan_rate$lbl 200")" \
		-a -n "$(echo "$out" | grep -Fx "cspchan_burst$lbl 7")" \
		-a -n "$(echo "$out" | grep -Fx "cspchan_throttled_seconds_total$lbl 0.000000000")" \
		-a -n "$(echo "$out" | grep -Fx '# TYPE cspchan_throttled_seconds_total counter')"
fi

# --- watch ---------------------------------------------------------------

run "$C" watch -c 2 -i 0.1
check "watch -c 2 (not a tty): two tables, no escape codes, status 0" \
	test "$rc" = 0 -a "$(echo "$out" | grep -c '^ *ID  NAME')" = 2 \
	-a -z "$(echo "$out" | grep "$(printf '\033')")"

if command -v script >/dev/null; then
	out=$(timeout "$T" script -qec "\"$C\" watch -c 1" /dev/null)
	rc=$?
	check "watch on a terminal clears the screen (ANSI) before the table" \
		test "$rc" = 0 -a -n "$(echo "$out" | grep -F "$(printf '\033[H\033[2J')Every 1.0s")" \
		-a -n "$(echo "$out" | grep '^ *ID  NAME')"
else
	skip "watch on a terminal clears the screen (ANSI) before the table" "no script(1)"
fi

"$C" watch -i 60 >/dev/null &
watch_pid=$!
(sleep "$T"; kill -KILL $watch_pid) 2>/dev/null &
guard_pid=$!
sleep 0.5
kill -INT $watch_pid
wait $watch_pid
rc=$?
kill $guard_pid 2>/dev/null
wait $guard_pid 2>/dev/null
check "watch ends cleanly (status 0) on SIGINT" test "$rc" = 0

run "$C" watch -i 0
check "watch -i 0: status 2" test "$rc" = 2

# --- permissions -----------------------------------------------------------

if command -v setpriv >/dev/null; then
	"$C" create -m 0600 "$P.priv"
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$C" recv -t 0 "$P.priv"
	expect "recv without read permission: status 1 and the error" 1 \
		"cspchan: recv: $P.priv: Permission denied"
else
	skip "recv without read permission: status 1 and the error" "no setpriv"
fi

# --- shutdown, end of stream, rm -------------------------------------------

run "$C" send --shutdown "$P.q" last
check "send --shutdown: status 0, the channel is shut" \
	test "$rc" = 0 -a "$(stat_of "$P.q" shut)" = 1
run "$C" recv "$P.q"
check "recv drains a shut channel, then exits 0 at end of stream" \
	test "$rc" = 0 -a "$out" = "d1
d2
d3
last"
run "$C" recv "$P.q"
check "recv on a shut, drained channel: status 0 at once, no output" \
	test "$rc" = 0 -a -z "$out"

run "$C" send "$P.q" more
expect "send on a shut channel: status 4 and the error" 4 \
	"cspchan: send: $P.q: Broken pipe (the channel is shut down)"
echo more | timeout "$T" "$C" send "$P.q" 2>/dev/null
check "send from stdin on a shut channel: status 4" test $? = 4

run "$C" shutdown "$P.q"
expect "shutdown of a shut channel: status 4 and the error" 4 \
	"cspchan: shutdown: $P.q: Broken pipe"

timeout "$T" "$C" recv "$P.bp" >"$tmp/eos.out" &
recv_pid=$!
wait_for "$P.bp" receivers_waiting 1
run "$C" shutdown "$P.bp"
wait $recv_pid
recv_rc=$?
check "shutdown: status 0, wakes a waiting recv with end of stream" \
	test "$rc" = 0 -a "$recv_rc" = 0 -a ! -s "$tmp/eos.out"

run "$C" rm "$P.q" "$P.def"
check "rm: status 0, the names are gone" \
	test "$rc" = 0 -a -z "$(awk -v a="$P.q" -v b="$P.def" '$2 == a || $2 == b' /proc/cspchan)"
run "$C" stat "$P.q"
expect "stat after rm: status 1" 1 "cspchan: stat: $P.q: No such file or directory"

if [ "$n" -ne "$PLAN" ]; then
	echo "# planned $PLAN tests, ran $n"
	fails=$((fails + 1))
fi
[ "$fails" -eq 0 ]
