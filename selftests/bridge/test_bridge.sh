#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cspchan-bridge (SPEC 13) against real brokers, in the guest as root with
# cspchan.ko loaded: a three-node nats-server JetStream cluster on loopback
# (replicated streams), and librdkafka's mock cluster (kafka-mock), which
# the bridge reaches like any Kafka cluster.
#
#   selftests/bridge/test_bridge.sh BUILDDIR
#
# Prints TAP; exit status 1 if any test failed.  Each test asserts what a
# broken bridge would get wrong: a message lost, reordered, doubled in the
# channel, taken from a channel it should not have touched, an exit status.

set -u

if [ $# -ne 1 ]; then
	echo "usage: $0 BUILDDIR" >&2
	exit 2
fi
B=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
BR=$B/tools/cspchan-bridge/cspchan-bridge
CLI=$B/tools/cspchan
PEER=$B/selftests/bridge/chanpeer
NATSCTL=$B/selftests/bridge/natsctl
KMOCK=$B/selftests/bridge/kafka-mock
CLUSTER=$here/nats-cluster
N=${BRIDGE_MESSAGES:-10000}	# messages per round trip
P=br$$				# channel and stream name prefix

n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
notok() {
	n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n $1"
	shift
	local line
	for line in "$@"; do echo "#   $line"; done
}
check() {	# check NAME COND-STATUS DETAIL...: ok when the status is 0
	local name=$1 st=$2
	shift 2
	if [ "$st" -eq 0 ]; then ok "$name"; else notok "$name" "$@"; fi
}

tmp=$(mktemp -d)
NATS_DIR=$tmp/nats
cleanup() {
	local pids
	pids=$(jobs -p)
	[ -n "$pids" ] && kill -9 $pids 2>/dev/null
	[ -d "$NATS_DIR" ] && "$CLUSTER" stop "$NATS_DIR" >/dev/null 2>&1
	sed -n "s/^[0-9][0-9]* \($P\.[^ ]*\) .*/\1/p" /proc/cspchan 2>/dev/null |
		while read -r c; do "$CLI" unlink "$c" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

stat_field() {	# stat_field CHANNEL FIELD
	"$CLI" stat "$1" 2>/dev/null | sed -n "s/^$2: //p"
}
wait_for() {	# wait_for SECONDS CMD...: until CMD succeeds
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.2
	done
}
received_at_least() {	# received_at_least CHANNEL COUNT
	local s
	s=$(stat_field "$1" sent)
	[ -n "$s" ] && [ "$s" -ge "$2" ]
}
rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$1/status"; }

# --- Bad arguments: exit 2 and a message, before anything is touched ---------------
"$PEER" create "$P.keep" --capacity 8 --lease >/dev/null
"$PEER" send "$P.keep" 3 >/dev/null
bad_url() {	# bad_url DESCRIPTION URL EXPECTED-WORDS
	local out st
	out=$(timeout 30 "$BR" "$P.keep" "$2" 2>&1)
	st=$?
	if [ $st -eq 2 ] && grep -q -- "$3" <<<"$out" && [ "$(stat_field "$P.keep" depth)" = 3 ]; then
		ok "bad URL: $1 -> exit 2, '$3', nothing taken"
	else
		notok "bad URL: $1 -> exit 2, '$3', nothing taken" "exit $st: $out" \
			"depth $(stat_field "$P.keep" depth)"
	fi
}
bad_url "NATS without stream" "nats://127.0.0.1:4222/ev" "needs ?stream="
bad_url "no port" "nats://127.0.0.1/ev?stream=S" "bad server"
bad_url "port out of range" "nats://127.0.0.1:99999/ev?stream=S" "bad server"
bad_url "unknown parameter" "nats://127.0.0.1:4222/ev?stream=S&colour=red" "unknown parameter"
bad_url "no topic" "kafka://127.0.0.1:9092" "no /TOPIC"
bad_url "unknown scheme" "amqp://127.0.0.1:5672/q" "unknown URL scheme"
out=$(timeout 30 "$BR" "$P.keep" "$P.other" 2>&1)
st=$?
[ $st -eq 2 ] && grep -q "one side must be" <<<"$out"
check "two channels -> exit 2" $? "exit $st: $out"
out=$(timeout 30 "$BR" --window 0 "$P.keep" "nats://127.0.0.1:4222/ev?stream=S" 2>&1)
st=$?
[ $st -eq 2 ] && grep -q -- "--window" <<<"$out"
check "--window 0 -> exit 2" $? "exit $st: $out"

# --- Unreachable: exit 3, nothing taken from the channel -----------------------------
for url in "nats://127.0.0.1:1/ev?stream=S" "kafka://127.0.0.1:1/t"; do
	out=$(timeout 60 "$BR" --timeout 2000 "$P.keep" "$url" 2>&1)
	st=$?
	[ $st -eq 3 ] && grep -q "cannot reach" <<<"$out" && [ "$(stat_field "$P.keep" depth)" = 3 ]
	check "unreachable ${url%%:*} -> exit 3, 'cannot reach', nothing taken" $? \
		"exit $st: $out" "depth $(stat_field "$P.keep" depth)"
done
out=$(timeout 60 "$BR" --timeout 2000 "nats://127.0.0.1:1/ev?stream=S" "$P.keep" 2>&1)
st=$?
[ $st -eq 3 ] && [ "$(stat_field "$P.keep" depth)" = 3 ]
check "unreachable NATS, inbound -> exit 3, nothing sent into the channel" $? "exit $st: $out"

# --- The NATS cluster ----------------------------------------------------------------------
t0=$SECONDS
if ! NATS=$("$CLUSTER" start "$NATS_DIR" 14222); then
	notok "three-node JetStream cluster starts" "$(tail -n 5 "$NATS_DIR"/n*.log 2>/dev/null)"
	echo "1..$n"
	exit 1
fi
ok "three-node JetStream cluster starts ($((SECONDS - t0)) s)"
NSERV=$(sed 's,nats://,,g' <<<"$NATS")
nurl() {	# nurl SUBJECT STREAM [EXTRA]: a bridge URL
	 echo "nats://$NSERV/$1?stream=$2${3:+&$3}"; }

stream() {	# stream NAME SUBJECT
	timeout 120 "$NATSCTL" -s "$NATS" add-stream "$1" "$2" --replicas 3 >/dev/null
}

out=$(timeout 60 "$BR" "$P.keep" "$(nurl ev.none NOPE)" 2>&1)
st=$?
[ $st -eq 4 ] && grep -q "no stream" <<<"$out" && [ "$(stat_field "$P.keep" depth)" = 3 ]
check "unknown stream -> exit 4, 'no stream', nothing taken" $? "exit $st: $out"
stream "${P}x" "x.>"
out=$(timeout 60 "$BR" "$P.keep" "$(nurl ev.other "${P}x")" 2>&1)
st=$?
[ $st -eq 4 ] && grep -q "does not take subject" <<<"$out" && [ "$(stat_field "$P.keep" depth)" = 3 ]
check "subject outside the stream -> exit 4, nothing taken" $? "exit $st: $out"

# round_trip TAG DISRUPT: channel -> JetStream -> channel, N messages; DISRUPT
# (a command, split into words, or "") runs once a third has arrived.  Sets
# RT_LINE (chanpeer's summary), RT_RATE (msg/s).
OUT_PID= IN_PID=
start_out() {	# start_out SRC URL [ARGS]
	local src=$1 url=$2
	shift 2
	"$BR" --stats 5 "$@" "$src" "$url" 2>>"$tmp/out.log" &
	OUT_PID=$!
}
start_in() {	# start_in URL DST [ARGS]
	local url=$1 dst=$2
	shift 2
	"$BR" --stats 5 "$@" "$url" "$dst" 2>>"$tmp/in.log" &
	IN_PID=$!
}
stop_bridges() {	# SIGTERM both; sets STOP_ST "out in" exit statuses
	local a b
	kill -TERM "$OUT_PID" "$IN_PID" 2>/dev/null
	wait "$OUT_PID"; a=$?
	wait "$IN_PID"; b=$?
	STOP_ST="$a $b"
}
round_trip() {	# round_trip TAG URL DISRUPT
	local tag=$1 url=$2 disrupt=$3 t0 rc
	"$PEER" create "$P.$tag.src" --capacity 256 --msg-size 64 --lease >/dev/null
	"$PEER" create "$P.$tag.dst" --capacity 256 --msg-size 64 --relay >/dev/null
	start_out "$P.$tag.src" "$url"
	start_in "$url" "$P.$tag.dst"
	t0=$(date +%s.%N)
	"$PEER" send "$P.$tag.src" "$N" >/dev/null &
	local send_pid=$!
	"$PEER" recv "$P.$tag.dst" "$N" --timeout 600 --by seq >"$tmp/$tag.recv" &
	local recv_pid=$!
	if [ -n "$disrupt" ]; then
		wait_for 300 received_at_least "$P.$tag.dst" $((N / 3))
		$disrupt "$P.$tag.src" "$url" "$P.$tag.dst"
	fi
	wait "$recv_pid"
	rc=$?
	RT_RATE=$(awk -v n="$N" -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", n / (b - a) }')
	wait "$send_pid"
	RT_LINE=$(cat "$tmp/$tag.recv")
	echo "# $tag: $RT_LINE"
	stop_bridges
	return $rc
}

# 1. The plain round trip.
stream "${P}a" "a.ev"
round_trip a "$(nurl a.ev "${P}a")" ""
rc=$?
check "NATS: $N messages channel -> 3-node JetStream -> channel, all once, in order, seq kept ($RT_RATE msg/s)" \
	$rc "$RT_LINE"
grep -q "first_seq 0 last_seq $((N - 1))" <<<"$RT_LINE"
check "NATS: the destination sees the source's seq 0..$((N - 1))" $? "$RT_LINE"
[ "$STOP_ST" = "0 0" ]
check "NATS: both bridges exit 0 on SIGTERM" $? "exit statuses (out in): $STOP_ST"
msgs=$("$NATSCTL" -s "$NATS" stream-info "${P}a" | sed -n 's/.*messages=\([0-9]*\).*/\1/p')
[ "$msgs" = "$N" ]
check "NATS: the stream holds each message once ($msgs)" $? "stream-info: $("$NATSCTL" -s "$NATS" stream-info "${P}a")"
[ "$(stat_field "$P.a.src" depth)" = 0 ] &&
	[ "$(stat_field "$P.a.src" received)" -ge "$N" ]
check "NATS: the source channel is drained and every lease acknowledged" $? \
	"$("$CLI" stat "$P.a.src")"
stream "${P}r" "r.ev"
t=$(date +%s.%N)
timeout 300 "$NATSCTL" -s "$NATS" pub r.ev "$N" --msg-id ref >/dev/null
echo "# JetStream alone, same run (natsctl pub, async, R3, with message ids): $(awk -v n="$N" -v a="$t" \
	-v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", n / (b - a) }') msg/s"
echo "# plain channel, same run: $("$PEER" create "$P.plain" --capacity 256 --msg-size 64 >/dev/null;
	t=$(date +%s.%N); "$PEER" send "$P.plain" "$N" >/dev/null & "$PEER" recv "$P.plain" "$N" >/dev/null;
	awk -v n="$N" -v a="$t" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", n / (b - a) }') msg/s; bridged: $RT_RATE msg/s"

# 2. A NATS node SIGKILLed mid-stream (the stream's leader: the worst one).
kill_leader() {
	local leader
	leader=$("$NATSCTL" -s "$NATS" stream-info "${P}b" | sed -n 's/.*leader=n\([0-9]\).*/\1/p')
	echo "# SIGKILL nats node n${leader:-1} (stream leader)"
	"$CLUSTER" kill "$NATS_DIR" "${leader:-1}"
	KILLED=${leader:-1}
}
stream "${P}b" "b.ev"
round_trip b "$(nurl b.ev "${P}b")" kill_leader
rc=$?
check "NATS: stream leader SIGKILLed mid-stream: 0 lost, in order, duplicates dropped by seq" \
	$rc "$RT_LINE" "$(tail -n 5 "$tmp/out.log")" "$(tail -n 5 "$tmp/in.log")"
"$CLUSTER" restart "$NATS_DIR" "$KILLED"

# 2b. Started while JetStream has no quorum (two of three nodes down): the
# stream's info, or the creation of its consumer (when the surviving node
# leads the stream), gets no answer.  With a short --timeout the bridge
# exits 3 and says why; with a long one it keeps asking and starts once
# the nodes are back.
stream "${P}q" "q.ev"
"$NATSCTL" -s "$NATS" pub q.ev 5 --sync >/dev/null
"$PEER" create "$P.q.dst" --capacity 16 --msg-size 64 >/dev/null
# Keep the stream's leader (it may answer stream info, not create a consumer).
keep=$("$NATSCTL" -s "$NATS" stream-info "${P}q" | sed -n 's/.*leader=n\([0-9]\).*/\1/p')
keep=${keep:-1}
down=$(printf '%s\n' 1 2 3 | grep -vx "$keep" | tr '\n' ' ')
for i in $down; do "$CLUSTER" kill "$NATS_DIR" "$i"; done
qurl="nats://$(sed 's,nats://,,' <<<"$("$CLUSTER" url "$NATS_DIR" "$keep")")/q.ev?stream=${P}q"
out=$(timeout 60 "$BR" --timeout 3000 "$qurl" "$P.q.dst" 2>&1)
st=$?
[ $st -eq 3 ] && grep -q "stream '${P}q' on nats://[^ ]*: [A-Za-z]" <<<"$out" &&
	[ "$(stat_field "$P.q.dst" depth)" = 0 ]
check "no JetStream quorum, --timeout 3000 -> exit 3 with the reason, nothing sent" $? \
	"exit $st: $out"
"$BR" --timeout 90000 "$qurl" "$P.q.dst" 2>"$tmp/q.log" &
pid=$!
sleep 3
for i in $down; do "$CLUSTER" restart "$NATS_DIR" "$i"; done
wait_for 120 sh -c "[ \"\$(\"$CLI\" stat $P.q.dst | sed -n 's/^depth: //p')\" = 5 ]"
check "no JetStream quorum at start, --timeout 90000: the bridge waits and delivers once the nodes are back" \
	$? "depth $(stat_field "$P.q.dst" depth)" "$(cat "$tmp/q.log")"
kill -TERM "$pid"
wait "$pid" 2>/dev/null

# 3. The outbound bridge SIGKILLed and restarted.
kill_bridge() {	# kill_bridge out|in SRC URL DST: SIGKILL that bridge, restart it
	local side=$1 pid
	shift
	if [ "$side" = out ]; then pid=$OUT_PID; else pid=$IN_PID; fi
	echo "# SIGKILL the ${side}bound bridge, restart it"
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	sleep 0.3
	if [ "$side" = out ]; then start_out "$1" "$2"; else start_in "$2" "$3"; fi
}
stream "${P}c" "c.ev"
round_trip c "$(nurl c.ev "${P}c")" "kill_bridge out"
rc=$?
check "NATS: outbound bridge SIGKILLed and restarted: 0 lost, in order" $rc "$RT_LINE" \
	"$(tail -n 5 "$tmp/out.log")"
msgs=$("$NATSCTL" -s "$NATS" stream-info "${P}c" | sed -n 's/.*messages=\([0-9]*\).*/\1/p')
[ "$msgs" = "$N" ]
check "NATS: re-published messages were de-duplicated by message id ($msgs stored)" $? \
	"$("$NATSCTL" -s "$NATS" stream-info "${P}c")"

# 4. The inbound bridge SIGKILLed and restarted.
stream "${P}d" "d.ev"
round_trip d "$(nurl d.ev "${P}d")" "kill_bridge in"
rc=$?
check "NATS: inbound bridge SIGKILLed and restarted: 0 lost, in order, duplicates only of seen seqs" \
	$rc "$RT_LINE" "$(tail -n 5 "$tmp/in.log")"

# 5. Back-pressure: the destination's consumer stopped.
stream "${P}e" "e.ev"
"$PEER" create "$P.e.src" --capacity 256 --msg-size 64 --lease >/dev/null
"$PEER" create "$P.e.dst" --capacity 16 --msg-size 64 --relay >/dev/null
url=$(nurl e.ev "${P}e" durable=bp)
start_out "$P.e.src" "$url"
start_in "$url" "$P.e.dst" --window 32
"$PEER" send "$P.e.src" 3000 >/dev/null
wait_for 300 sh -c "\"$NATSCTL\" -s \"$NATS\" stream-info ${P}e | grep -q messages=3000"
sleep 3
r1=$(rss_kb "$IN_PID")
ci1=$("$NATSCTL" -s "$NATS" consumer-info "${P}e" bp)
sleep 5
r2=$(rss_kb "$IN_PID")
ci2=$("$NATSCTL" -s "$NATS" consumer-info "${P}e" bp)
ap=$(sed -n 's/.*num_ack_pending=\([0-9]*\).*/\1/p' <<<"$ci2")
np=$(sed -n 's/.*num_pending=\([0-9]*\).*/\1/p' <<<"$ci2")
[ "$(stat_field "$P.e.dst" depth)" = 16 ] && [ "${ap:-99}" -le 32 ] && [ "${np:-0}" -gt 2000 ]
check "NATS back-pressure: channel full, ack pending stops at max_ack_pending (32), the rest waits in the stream" \
	$? "depth $(stat_field "$P.e.dst" depth)" "$ci1" "$ci2"
[ -n "$r1" ] && [ -n "$r2" ] && [ "$r2" -le $((r1 + 1024)) ] && [ "$r2" -lt 65536 ]
check "NATS back-pressure: the blocked bridge's memory stays bounded (RSS $r1 -> $r2 KiB)" $? "rss $r1 $r2"
"$PEER" recv "$P.e.dst" 3000 --timeout 300 --by seq >"$tmp/e.recv"
check "NATS back-pressure: resuming the consumer drains all 3000, in order" $? "$(cat "$tmp/e.recv")"
stop_bridges

# 5b. The blocked figure counts from the first refused send: five waits for
# room (the channel filled, then one message taken each second, four times),
# each counted whole.  (It used to start after the first 500 ms wait, and
# read about 2.5 s short here.)
stream "${P}g" "g.ev"
"$NATSCTL" -s "$NATS" pub g.ev 20 --sync >/dev/null
"$PEER" create "$P.g.dst" --capacity 2 --msg-size 64 >/dev/null
url=$(nurl g.ev "${P}g")
"$BR" --drain 500 "$url" "$P.g.dst" 2>"$tmp/g.log" &
pid=$!
wait_for 120 sh -c "[ \"\$(\"$CLI\" stat $P.g.dst | sed -n 's/^depth: //p')\" = 2 ]"
t_full=$(date +%s.%N)
for i in 1 2 3 4; do
	sleep 1
	timeout 10 "$CLI" recv "$P.g.dst" -n 1 >/dev/null
done
sleep 1
t_stop=$(date +%s.%N)
kill -TERM "$pid"
wait "$pid" 2>/dev/null
blocked=$(sed -n 's/.*cspchan-bridge: total: .* blocked \([0-9.]*\) s$/\1/p' "$tmp/g.log")
window=$(awk -v a="$t_full" -v z="$t_stop" 'BEGIN { printf "%.1f", z - a }')
# Upper bound: the window, the drain, and the moment the test took to see
# the channel full (a quarter of the window on the slow debug kernel).
awk -v b="${blocked:--1}" -v w="$window" 'BEGIN { exit !(b >= w - 0.6 && b <= w * 1.25 + 1.5) }'
check "the blocked figure counts every wait for room from its start (${blocked:-?} s blocked in a $window s window, then a 0.5 s drain)" \
	$? "$(cat "$tmp/g.log")"

# 6. A message larger than the destination's msg_size.
stream "${P}f" "f.ev"
"$PEER" create "$P.f.src" --capacity 16 --msg-size 64 --lease >/dev/null
"$PEER" create "$P.f.dst" --capacity 16 --msg-size 32 --relay >/dev/null
"$PEER" create "$P.f.dlq" --capacity 16 --msg-size 128 >/dev/null
url=$(nurl f.ev "${P}f")
start_out "$P.f.src" "$url"
"$PEER" send "$P.f.src" 2 --size 64 >/dev/null
wait_for 120 sh -c "\"$NATSCTL\" -s \"$NATS\" stream-info ${P}f | grep -q messages=2"
out=$(timeout 120 "$BR" "$url" "$P.f.dst" 2>&1)
st=$?
[ $st -eq 5 ] && grep -q "sequence 1 is 64 bytes, larger than $P.f.dst's msg_size 32" <<<"$out" &&
	[ "$(stat_field "$P.f.dst" depth)" = 0 ]
check "too large for the channel, no dead-letter channel -> exit 5 naming the stream sequence" $? \
	"exit $st: $out"
timeout 120 "$BR" --dead-letter "$P.f.dlq" "$url" "$P.f.dst" 2>"$tmp/f.log" &
pid=$!
wait_for 60 sh -c "[ \"\$(\"$CLI\" stat $P.f.dlq | sed -n 's/^depth: //p')\" = 2 ]"
check "too large for the channel -> the dead-letter channel gets it, the bridge goes on" $? \
	"$(cat "$tmp/f.log")" "dlq depth $(stat_field "$P.f.dlq" depth)"
kill -TERM "$pid" "$OUT_PID"
wait "$pid" "$OUT_PID" 2>/dev/null

# 6b. A message larger than the stream takes (max_msg_size 700: headers
# included, which take about 300 bytes here).
timeout 120 "$NATSCTL" -s "$NATS" add-stream "${P}h" h.ev --replicas 3 --max-msg-size 700 >/dev/null
"$PEER" create "$P.h.src" --capacity 16 --msg-size 2048 --lease >/dev/null
"$PEER" create "$P.h.dlq" --capacity 16 --msg-size 2048 >/dev/null
"$PEER" send "$P.h.src" 2 --size 64 >/dev/null
"$PEER" send "$P.h.src" 1 --size 1000 --start 2 >/dev/null
"$PEER" send "$P.h.src" 2 --size 64 --start 3 >/dev/null
url=$(nurl h.ev "${P}h")
out=$(timeout 120 "$BR" "$P.h.src" "$url" 2>&1)
st=$?
msgs=$("$NATSCTL" -s "$NATS" stream-info "${P}h" | sed -n 's/.*messages=\([0-9]*\).*/\1/p')
[ $st -eq 5 ] && grep -q "message seq 2 (1000 bytes) is larger than the broker accepts" <<<"$out" &&
	[ "$msgs" = 2 ] && [ "$(stat_field "$P.h.src" depth)" = 3 ]
check "too large for the stream, no dead-letter channel -> exit 5 naming the seq; it and what follows stay in the channel" \
	$? "exit $st: $out" "stream messages $msgs, source depth $(stat_field "$P.h.src" depth)"
timeout 120 "$BR" --dead-letter "$P.h.dlq" "$P.h.src" "$url" 2>"$tmp/h.log" &
pid=$!
wait_for 60 sh -c "\"$NATSCTL\" -s \"$NATS\" stream-info ${P}h | grep -q messages=4"
st=$?
kill -TERM "$pid"
wait "$pid"
[ $st -eq 0 ] && [ "$(stat_field "$P.h.dlq" depth)" = 1 ] && [ "$(stat_field "$P.h.src" depth)" = 0 ]
check "too large for the stream -> dead-lettered; the messages after it are stored in order" $? \
	"$(cat "$tmp/h.log")" "dlq depth $(stat_field "$P.h.dlq" depth)" \
	"$("$NATSCTL" -s "$NATS" stream-info "${P}h")"
"$PEER" create "$P.h.dst" --capacity 16 --msg-size 2048 --relay >/dev/null
start_in "$url" "$P.h.dst"
seqs=$(timeout 120 "$CLI" recv -m -n 4 "$P.h.dst" | cut -d' ' -f1 | tr '\n' ' ')
kill -TERM "$IN_PID"
wait "$IN_PID"
[ "$seqs" = "0 1 3 4 " ]
check "... and read back in order: seqs 0 1 3 4 (2 dead-lettered)" $? "seqs: $seqs"

# 7. Figures.
stream "${P}g" "g.ev"
"$PEER" create "$P.g.src" --capacity 64 --msg-size 64 --lease >/dev/null
"$PEER" send "$P.g.src" 500 >/dev/null &
timeout 300 "$BR" --metrics "$tmp/g.prom" --stats 1 "$P.g.src" "$(nurl g.ev "${P}g")" \
	2>"$tmp/g.log" &
pid=$!
wait_for 120 sh -c "grep -q 'cspchan_bridge_messages_total{direction=\"out\"} 500' $tmp/g.prom 2>/dev/null"
st=$?
kill -TERM "$pid"
wait "$pid"
[ $st -eq 0 ] && grep -q '^cspchan_bridge_latency_seconds_count 500' "$tmp/g.prom" &&
	grep -q "stats: out" "$tmp/g.log"
check "figures: --metrics writes Prometheus text (500 out, 500 latencies), --stats prints lines" $? \
	"$(cat "$tmp/g.prom" 2>/dev/null | grep -v '^#')" "$(tail -n 3 "$tmp/g.log")"
"$CLUSTER" stop "$NATS_DIR" >/dev/null
pgrep -x nats-server >/dev/null
[ $? -ne 0 ]
check "the NATS cluster stops, no server left" $?

# --- Kafka through librdkafka's mock cluster ---------------------------------------------
coproc KM { "$KMOCK" --brokers 3 --topic "$P.k1" --topic "$P.k2" 2>"$tmp/kmock.log"; }
read -r -t 60 KBOOT <&"${KM[0]}"
if [ -z "$KBOOT" ]; then
	notok "kafka mock cluster starts" "$(cat "$tmp/kmock.log")"
else
	ok "kafka mock cluster starts (3 brokers: $KBOOT)"
	kcmd() { echo "$*" >&"${KM[1]}"; read -r -t 30 ans <&"${KM[0]}"; echo "# kafka-mock $*: $ans"; }
	out=$(timeout 60 "$BR" "$P.keep" "kafka://$KBOOT/nosuchtopic" 2>&1)
	st=$?
	[ $st -eq 4 ] && [ "$(stat_field "$P.keep" depth)" = 3 ]
	check "kafka: unknown topic -> exit 4, nothing taken" $? "exit $st: $out"
	round_trip k1 "kafka://$KBOOT/$P.k1?group=g1" ""
	rc=$?
	check "kafka: $N messages channel -> mock cluster -> channel, all once, in order, seq kept ($RT_RATE msg/s)" \
		$rc "$RT_LINE" "$(tail -n 3 "$tmp/out.log")" "$(tail -n 3 "$tmp/in.log")"
	[ "$STOP_ST" = "0 0" ]
	check "kafka: both bridges exit 0 on SIGTERM" $? "exit statuses (out in): $STOP_ST"
	kcmd leader "$P.k2" 0 1
	broker_down() {
		kcmd down 1
		sleep 3
		kcmd up 1
	}
	round_trip k2 "kafka://$KBOOT/$P.k2?group=g2" broker_down
	rc=$?
	check "kafka: a broker set down mid-stream: 0 lost, in order" $rc "$RT_LINE" \
		"$(tail -n 3 "$tmp/out.log")" "$(tail -n 3 "$tmp/in.log")"
	km_pid=$KM_PID
	echo quit >&"${KM[1]}"
	wait "$km_pid"
fi

echo "1..$n"
[ $fails -eq 0 ]
