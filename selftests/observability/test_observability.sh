#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The observability tools against a known workload (SPEC 7): run the
# workload under tools/bpftrace/{depth,backpressure,top}.bt and under
# cspchan-top, and check the numbers they print; then the same for lease
# and pacing events (SPEC 9, 11) under tools/bpftrace/leases.bt and
# cspchan-top's lease and throttle columns.
#
#   test_observability.sh CSPCHAN_TOP WORKLOAD [LEASEWORK]
#
# CSPCHAN_TOP is the cspchan-top binary, WORKLOAD the workload built from
# workload.c: 1,000 messages on each of two capacity-8 channels, "slow"
# (the consumer sleeps 1 ms per message, so the producer blocks) and
# "fast" (the producer sends only into an empty channel, so it never
# blocks).  LEASEWORK (default: leasework beside WORKLOAD), built from
# leasework.c, makes a known number of each lease event and of throttled
# receives (see there); its checks are skipped when the module has no
# cspchan_lease and cspchan_throttle tracepoints.
# Run as root with cspchan.ko loaded (in the guest:
# tools/vm/run-guest -- selftests/observability/test_observability.sh ...).
# Prints TAP; exits 1 if a check failed, 2 on a usage error, 4 (skip) when
# not root or the module is not loaded.
# The tools' outputs are kept in $CSPCHAN_OUTDIR/observability when
# run-guest sets CSPCHAN_OUTDIR.
#
# Environment: BPFTRACE (default bpftrace), BT_DIR (default tools/bpftrace).

top=$1
workload=$2
leasework=${3:-$(dirname "$workload")/leasework}
here=$(cd "$(dirname "$0")" && pwd)
bt_dir=${BT_DIR:-$here/../../tools/bpftrace}
bpftrace=${BPFTRACE:-bpftrace}

count=1000		# messages per channel: the workload's default
capacity=8
min_blocks=$((count / 4))	# "slow" blocks on nearly every send
min_blocked_us=250000	# ... for about 1 ms each
start_timeout=120	# seconds for a tool to attach (bpftrace: ~5 s under TCG)
stop_timeout=60
# leasework's "paced" channel: 12 messages at 20/s with a burst of 2, so
# 10 receives wait for a token, each up to 1/20 s.
throttles=10
max_wait_us=$((throttles * 50000))
min_wait_us=$((throttles * 25000))
nr_tests=42

echo "TAP version 13"
if [ $# -lt 2 ] || [ $# -gt 3 ] || [ ! -x "$top" ] || [ ! -x "$workload" ] ||
   [ ! -x "$leasework" ]; then
	echo "Bail out! usage: $0 CSPCHAN_TOP WORKLOAD [LEASEWORK] (built and executable)"
	exit 2
fi
if [ ! -c /dev/cspchan ] || [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root and cspchan.ko loaded"
	exit 4
fi
echo "1..$nr_tests"

work=$(mktemp -d /tmp/observability.XXXXXX) || exit 1
n=0
fails=0
block_fails=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
notok() {
	n=$((n + 1))
	fails=$((fails + 1))
	block_fails=$((block_fails + 1))
	echo "not ok $n $1"
}
check() { desc=$1; shift; if "$@"; then ok "$desc"; else notok "$desc"; fi; }

# An integer comparison that is false, not an error, for a missing value.
num() { case $1 in '' | *[!0-9]*) return 1 ;; esac; }
eq() { num "$1" && [ "$1" -eq "$2" ]; }
ge() { num "$1" && [ "$1" -ge "$2" ]; }
le() { num "$1" && [ "$1" -le "$2" ]; }

# Show a tool's output after the checks on it, when one of them failed.
begin_block() { block_fails=0; }
end_block() {
	[ "$block_fails" -eq 0 ] && return
	for f in "$@"; do
		echo "# --- $(basename "$f")"
		sed 's/^/# /' "$f"
	done
}

# wait_for FILE PATTERN PID: poll FILE until it has a line matching
# PATTERN; fail if PID exits first or after $start_timeout seconds.
wait_for() {
	i=0
	while [ $i -lt $((start_timeout * 5)) ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		kill -0 "$3" 2>/dev/null || return 1
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}

# stop PID: SIGINT, then wait for it to print its END output and exit;
# its exit status in $stop_rc (124: killed after $stop_timeout seconds).
# bpftrace 0.17 notices a SIGINT only if it interrupts its epoll_wait() or
# an event follows; one landing between two waits is lost when no probe
# fires any more (depth.bt after the workload).  So every 5 s the signal is
# repeated as SIGTERM, which bpftrace handles the same way while tracing
# and ignores while printing its maps (a second SIGINT would kill it).
stop() {
	kill -INT "$1" 2>/dev/null
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt $((stop_timeout * 5)) ]; do
		sleep 0.2
		i=$((i + 1))
		if [ $((i % 25)) -eq 0 ]; then
			echo "# pid $1 still running $((i / 5)) s after SIGINT: SIGTERM"
			kill -TERM "$1" 2>/dev/null
		fi
	done
	if kill -0 "$1" 2>/dev/null; then
		kill -KILL "$1" 2>/dev/null
		wait "$1"
		stop_rc=124
	else
		wait "$1"
		stop_rc=$?
	fi
}

# traced NAME SETTLE CMD...: start CMD (a tool) with its output in
# $work/NAME.out, wait until it has attached (its "Hit Ctrl-C" banner),
# run the workload (output in $work/NAME.workload), wait SETTLE seconds,
# stop the tool.  True if all of it went well.
traced() {
	name=$1
	settle=$2
	shift 2
	"$@" >"$work/$name.out" 2>&1 &
	pid=$!
	if ! wait_for "$work/$name.out" 'Hit Ctrl-C to end' $pid; then
		echo "# $name: did not start within $start_timeout s"
		stop $pid
		return 1
	fi
	"$workload" >"$work/$name.workload" 2>&1
	wrc=$?
	sleep "$settle"
	stop $pid
	[ $wrc -eq 0 ] || echo "# $name: the workload failed (status $wrc)"
	[ $stop_rc -eq 0 ] || echo "# $name: exit status $stop_rc after SIGINT"
	[ $wrc -eq 0 ] && [ $stop_rc -eq 0 ]
}

# bpftrace hist() output: "@map[key]:" then lines "[lo, hi)  count |@@@|"
# up to a blank line.  hist_total prints the sum of the counts, hist_top
# the label of the last (highest) bucket.
hist_lines() {
	awk -v head="$2:" '
		{ sub(/[ \t]+$/, "") }	# bpftrace ends "@map[key]: " with a space
		$0 == head { on = 1; next }
		on && !/^\[/ { exit }
		on && match($0, /^\[[^])]*[])]/) {
			label = substr($0, 1, RLENGTH)
			split(substr($0, RLENGTH + 1), f, " ")
			print f[1] "\t" label
		}' "$1"
}
hist_total() { hist_lines "$1" "$2" | awk -F'\t' '{ s += $1 } END { print s + 0 }'; }
hist_top() { hist_lines "$1" "$2" | awk -F'\t' 'END { print $2 }'; }

# Value of "@map[key]: N" in bpftrace output.
map_value() { awk -v key="$2:" '$1 == key { print $2 }' "$1"; }

# Predicates for check.
workload_ok() { # FILE STATUS
	[ "$2" -eq 0 ] &&
		grep -q "slow: .*sent $count, received $count, high water $capacity" "$1" &&
		grep -q "fast: .*sent $count, received $count" "$1"
}
one_of() { # VALUE CHOICES...
	v=$1
	shift
	for c in "$@"; do [ "$v" = "$c" ] && return 0; done
	return 1
}
lacks() { ! grep -q "$1" "$2"; } # PATTERN FILE
# "all CMD1 -- CMD2 -- ...": every command succeeds.
all() {
	while [ $# -gt 0 ]; do
		cmd=''
		while [ $# -gt 0 ] && [ "$1" != -- ]; do
			cmd="$cmd '$(printf '%s' "$1" | sed "s/'/'\\\\''/g")'"
			shift
		done
		[ $# -gt 0 ] && shift
		eval "$cmd" || return 1
	done
}

# --- the workload on its own ----------------------------------------------
begin_block
"$workload" >"$work/workload.out" 2>&1
rc=$?
check "workload: runs (status $rc), $count messages through each channel" \
	workload_ok "$work/workload.out" $rc
end_block "$work/workload.out"

# --- the lease workload on its own -------------------------------------------
# Run before any tool: a failure here is the module's or the library's.
have_lease_tps() {
	for d in /sys/kernel/tracing /sys/kernel/debug/tracing; do
		[ -d "$d/events/cspchan/cspchan_lease" ] &&
			[ -d "$d/events/cspchan/cspchan_throttle" ] && return 0
	done
	return 1
}
lease_skip=
have_lease_tps || lease_skip="the module has no cspchan_lease/cspchan_throttle tracepoints"

# Figures of leasework's report: "leasework: NAME: id N: ..., KEY V, ...".
lw_stat() { # FILE CHANNEL KEY
	awk -v ch="leasework: $2:" -v key="$3" '
		index($0, ch) == 1 {
			n = split(substr($0, length(ch) + 1), f, ",")
			for (i = 1; i <= n; i++) {
				sub(/^ +/, "", f[i])
				sub(/^id [0-9]+: /, "", f[i])
				if (index(f[i], key " ") == 1) {
					print substr(f[i], length(key) + 2)
					exit
				}
			}
		}' "$1"
}
leasework_ok() { # FILE STATUS
	[ "$2" -eq 0 ] || return 1
	grep -q '^leasework: done$' "$1" || return 1
	all eq "$(lw_stat "$1" lease leased)" 2 -- \
		eq "$(lw_stat "$1" lease redelivered)" 2 -- \
		eq "$(lw_stat "$1" lease dead)" 1 -- \
		eq "$(lw_stat "$1" lease.timed redelivered)" 1 -- \
		eq "$(lw_stat "$1" lease.timed leased)" 0 -- \
		eq "$(lw_stat "$1" paced rate)" 20 -- \
		eq "$(lw_stat "$1" paced burst)" 2 -- \
		ge "$(lw_stat "$1" paced throttled_ns)" $((min_wait_us * 1000))
}

begin_block
"$leasework" >"$work/leasework.out" 2>&1
rc=$?
check "leasework: runs (status $rc); stat: lease leased 2, redelivered 2, dead 1; lease.timed redelivered 1; paced rate 20, burst 2, throttled >= $((min_wait_us / 1000)) ms" \
	leasework_ok "$work/leasework.out" $rc
end_block "$work/leasework.out"

# --- depth.bt ---------------------------------------------------------------
begin_block
out=$work/depth.bt.out
check "depth.bt: attaches, workload runs, exits 0 on SIGINT" \
	traced depth.bt 0 "$bpftrace" "$bt_dir/depth.bt"
v=$(hist_total "$out" '@depth[slow]')
check "depth.bt: slow histogram counts $count sends (got $v)" eq "$v" $count
v=$(hist_total "$out" '@depth[fast]')
check "depth.bt: fast histogram counts $count sends (got $v)" eq "$v" $count
v=$(hist_top "$out" '@depth[slow]')
check "depth.bt: slow's highest bucket is [8, 16), holding capacity $capacity (got '$v')" \
	one_of "$v" "[8, 16)"
v=$(hist_top "$out" '@depth[fast]')
check "depth.bt: fast's highest bucket is [0] or [1] (got '$v')" \
	one_of "$v" "[0]" "[1]"
end_block "$out" "$work/depth.bt.workload"

# --- backpressure.bt --------------------------------------------------------
begin_block
out=$work/backpressure.bt.out
check "backpressure.bt: attaches, workload runs, exits 0 on SIGINT" \
	traced backpressure.bt 0 "$bpftrace" "$bt_dir/backpressure.bt"
v=$(hist_total "$out" '@send_blocked_us[slow]')
check "backpressure.bt: slow senders blocked at least $min_blocks times (got $v)" \
	ge "$v" $min_blocks
v=$(map_value "$out" '@total_us[slow]')
check "backpressure.bt: slow senders blocked at least $min_blocked_us us in all (got $v)" \
	ge "$v" $min_blocked_us
check "backpressure.bt: no entry for fast" lacks 'fast' "$out"
end_block "$out" "$work/backpressure.bt.workload"

# --- top.bt -----------------------------------------------------------------
# Settle 4 s after the workload: by then every map has had its turn, so
# every send is in a per-second line, and the Ctrl-C finds them empty.
begin_block
out=$work/top.bt.out
traced top.bt 4 "$bpftrace" "$bt_dir/top.bt"
rc=$?
ticks=$(grep -c '^[0-9][0-9]:[0-9][0-9]:[0-9][0-9]$' "$out")
check "top.bt: attaches, workload runs, exits 0 on SIGINT, $ticks timestamps" \
	all eq $rc 0 -- ge "$ticks" 3
per_sec_sum() { # FILE KEY: the sum of the @msgs_a/b/c[KEY] lines
	awk -v a="@msgs_a[$2]:" -v b="@msgs_b[$2]:" -v c="@msgs_c[$2]:" \
		'$1 == a || $1 == b || $1 == c { s += $2; n++ } END { print n ? s : "" }' "$1"
}
v=$(per_sec_sum "$out" slow)
check "top.bt: slow's per-second counts add up to $count (got $v)" eq "$v" $count
v=$(per_sec_sum "$out" fast)
check "top.bt: fast's per-second counts add up to $count (got $v)" eq "$v" $count
end_block "$out" "$work/top.bt.workload"

# --- cspchan-top --------------------------------------------------------------
# Totals table: NAME ID SENT RECV MAXDEPTH CAP BLOCKS BLOCKED-ms p50 p99.
totals() { # FILE NAME: that channel's totals line, split into $t_*
	# shellcheck disable=SC2046 # split into fields on purpose
	set -- $(awk -v name="$2" '/^Totals since start:/ { on = 1; next }
		on && $1 == name { print; exit }' "$1")
	t_sent=$3 t_recv=$4 t_maxdepth=$5 t_cap=$6 t_blocks=$7 t_blocked_ms=$8
}
# The sum of the counts of the histograms printed after the totals.
totals_hist_sum() {
	awk '/^Totals since start:/ { on = 1 }
	     on && / -> .* : [0-9]+ +\|/ { split($0, f, ":"); s += f[2] + 0 }
	     END { print s + 0 }' "$1"
}
ms_at_least() { awk -v v="$1" -v m="$2" 'BEGIN { exit !(v + 0 >= m) }'; }

begin_block
out=$work/cspchan-top.out
traced cspchan-top 1.5 "$top" -i 1 --totals
rc=$?
# A live row: NAME ID RATE/s DEPTH MAXDEPTH CAP BLOCKED p50 p99
live=$(awk '$1 == "slow" && $5 == 8 && $6 == 8 && NF >= 9 && !done { print "yes"; done = 1 }' "$out")
check "cspchan-top: attaches, workload runs, exits 0 on SIGINT, live rows show slow at depth 8 of 8" \
	all eq $rc 0 -- one_of "$live" yes -- grep -q '^NAME  *ID  *RATE/s' "$out"
totals "$out" slow
check "cspchan-top: slow totals: sent $count, received $count (got $t_sent, $t_recv)" \
	all eq "$t_sent" $count -- eq "$t_recv" $count
s_blocks=$t_blocks s_ms=$t_blocked_ms
check "cspchan-top: slow totals: max depth $capacity, capacity $capacity (got $t_maxdepth, $t_cap)" \
	all eq "$t_maxdepth" $capacity -- eq "$t_cap" $capacity
totals "$out" fast
check "cspchan-top: fast totals: sent $count, received $count (got $t_sent, $t_recv)" \
	all eq "$t_sent" $count -- eq "$t_recv" $count
check "cspchan-top: fast totals: max depth at most 1, capacity $capacity (got $t_maxdepth, $t_cap)" \
	all le "$t_maxdepth" 1 -- eq "$t_cap" $capacity
check "cspchan-top: slow senders blocked >= $min_blocks times, >= $((min_blocked_us / 1000)) ms (got $s_blocks, $s_ms ms)" \
	all ge "$s_blocks" $min_blocks -- ms_at_least "$s_ms" $((min_blocked_us / 1000))
check "cspchan-top: fast senders never blocked (got $t_blocks blocks, $t_blocked_ms ms)" \
	all eq "$t_blocks" 0 -- one_of "$t_blocked_ms" 0.0
end_block "$out" "$work/cspchan-top.workload"

begin_block
out=$work/cspchan-top-hist.out
traced cspchan-top-hist 0 "$top" --hist --totals --name slow
rc=$?
totals "$out" slow
check "cspchan-top --hist --name slow: exits 0, shows only slow, sent $count (got $t_sent)" \
	all eq $rc 0 -- lacks fast "$out" -- eq "$t_sent" $count
v=$(grep -c '^channel = slow' "$out")
check "cspchan-top --hist: per-interval and total histograms printed ($v)" \
	ge "$v" 2
v=$(totals_hist_sum "$out")
check "cspchan-top --hist: histogram counts add up to the $t_blocks blocked sends (got $v)" \
	all ge "$v" $min_blocks -- eq "$v" "$t_blocks"
end_block "$out" "$work/cspchan-top-hist.workload"

# -c: exits by itself after COUNT intervals.
begin_block
out=$work/cspchan-top-count.out
"$top" -i 1 -c 2 >"$out" 2>&1 &
pid=$!
i=0
while kill -0 $pid 2>/dev/null && [ $i -lt $((start_timeout * 5)) ]; do
	sleep 0.2
	i=$((i + 1))
done
if kill -0 $pid 2>/dev/null; then
	kill -KILL $pid
	wait $pid
	rc=124
else
	wait $pid
	rc=$?
fi
v=$(grep -c '^NAME  *ID  *RATE/s' "$out")
check "cspchan-top -c 2: exits by itself with status 0 (got $rc) after 2 tables (got $v)" \
	all eq $rc 0 -- eq "$v" 2
end_block "$out"

begin_block
"$top" --help >"$work/cspchan-top-help.out" 2>&1
rc=$?
check "cspchan-top --help: status 0, lists examples" \
	all eq $rc 0 -- grep -q '^EXAMPLES:' "$work/cspchan-top-help.out"
end_block "$work/cspchan-top-help.out"

# --- leases and pacing ---------------------------------------------------------
# traced_hold NAME SETTLE CMD...: as traced, with "leasework -w": once it
# holds its last 2 leases, wait SETTLE seconds, stop the tool, then let
# leasework finish (which returns those leases, untraced).
traced_hold() {
	name=$1
	settle=$2
	shift 2
	"$@" >"$work/$name.out" 2>&1 &
	pid=$!
	if ! wait_for "$work/$name.out" 'Hit Ctrl-C to end' $pid; then
		echo "# $name: did not start within $start_timeout s"
		stop $pid
		return 1
	fi
	"$leasework" -w >"$work/$name.workload" 2>&1 &
	lpid=$!
	hold_ok=0
	wait_for "$work/$name.workload" '^leasework: holding' $lpid || hold_ok=1
	sleep "$settle"
	stop $pid
	kill -USR1 $lpid 2>/dev/null
	wait $lpid
	wrc=$?
	[ $hold_ok -eq 0 ] || echo "# $name: leasework did not reach its held leases"
	[ $wrc -eq 0 ] || echo "# $name: leasework failed (status $wrc)"
	[ $stop_rc -eq 0 ] || echo "# $name: exit status $stop_rc after SIGINT"
	[ $hold_ok -eq 0 ] && [ $wrc -eq 0 ] && [ $stop_rc -eq 0 ]
}

# Lease figures of one channel from leases.bt: granted acked returned
# revoked dead redelivered max_deliveries leased ("-" for no entry).
bt_leases() { # FILE NAME
	for m in granted acked returned revoked dead redelivered max_deliveries leased; do
		v=$(map_value "$1" "@${m}[$2]")
		printf '%s ' "${v:--}"
	done
}

# cspchan-top's live rows of one channel (before the totals): the sum of
# column COL over the intervals, or the last value with "last".
top_live() { # FILE NAME COL [last]
	awk -v name="$2" -v col="$3" -v last="$4" '
		/^Totals since start:/ { exit }
		$1 == name && $2 ~ /^[0-9]+$/ && NF >= 13 { s += $col; v = $col; n++ }
		END { if (n) print (last ? v : s) }' "$1"
}
# Its "Leases and throttling since start" line of one channel: GRANTED
# ACKED RETURNED REVOKED DEAD REDELIV MAXDELIV LEASED THROTTLED WAIT-ms.
top_leases() { # FILE NAME
	awk -v name="$2" '/^Leases and throttling since start:/ { on = 1; next }
		on && $1 == name { $1 = ""; $2 = ""; sub(/^ +/, ""); print; exit }' "$1"
}

bt_separate() { # FILE
	! grep -Eq '^@(granted|acked|returned|revoked|dead|redelivered|max_deliveries|leased)\[paced\]' "$1" &&
		! grep -Eq '^@throttle[a-z_]*\[lease' "$1"
}

lease_tests() {
	# leases.bt ---------------------------------------------------------
	begin_block
	out=$work/leases.bt.out
	check "leases.bt: attaches, leasework runs, exits 0 on SIGINT" \
		traced_hold leases.bt 0 "$bpftrace" "$bt_dir/leases.bt"
	lv=$(bt_leases "$out" lease)
	v=$(echo "$lv" | cut -d' ' -f1-5)
	check "leases.bt: lease: granted 7, acked 2, returned 2, revoked none, dead 1 (got $v)" \
		one_of "$v" "7 2 2 - 1"
	v=$(echo "$lv" | cut -d' ' -f6-8)
	check "leases.bt: lease: redelivered 2, max deliveries 2, leased 2 (got $v)" \
		one_of "$v" "2 2 2"
	v=$(bt_leases "$out" lease.timed)
	check "leases.bt: lease.timed: granted 2, acked 1, revoked 1, redelivered 1, max deliveries 2, leased 0 (got $v)" \
		one_of "$v" "2 1 - 1 - 1 2 0 "
	v=$(map_value "$out" '@throttled[paced]')
	h=$(hist_total "$out" '@throttle_wait_us[paced]')
	check "leases.bt: paced: $throttles throttled receives, $throttles in the histogram (got $v, $h)" \
		all eq "$v" $throttles -- eq "$h" $throttles
	v=$(map_value "$out" '@throttle_total_us[paced]')
	top_bucket=$(hist_top "$out" '@throttle_wait_us[paced]')
	check "leases.bt: paced: waits sum to $min_wait_us..$max_wait_us us, none above 64 ms (got $v, top bucket '$top_bucket')" \
		all ge "$v" $min_wait_us -- le "$v" $max_wait_us -- \
		one_of "$top_bucket" "[16K, 32K)" "[32K, 64K)"
	check "leases.bt: no lease entries for paced, no throttle entries for lease" \
		bt_separate "$out"
	end_block "$out" "$work/leases.bt.workload"

	# cspchan-top ----------------------------------------------------------
	begin_block
	out=$work/cspchan-top-leases.out
	check "cspchan-top (leases): attaches, leasework runs, exits 0 on SIGINT; lease columns in the header" \
		all traced_hold cspchan-top-leases 1.5 "$top" -i 1 --totals -- \
		grep -q '^NAME .* p99  *LEASED  *REDELIV  *DEAD  *THROTTLE$' "$out"
	v="$(top_live "$out" lease 11) $(top_live "$out" lease 12) $(top_live "$out" lease 10 last)"
	check "cspchan-top (leases): lease live rows: redelivered 2, dead 1 in all, leased 2 at the end (got $v)" \
		one_of "$v" "2 1 2"
	v="$(top_live "$out" lease.timed 11) $(top_live "$out" lease.timed 12) $(top_live "$out" lease.timed 10 last)"
	check "cspchan-top (leases): lease.timed live rows: redelivered 1, dead 0, leased 0 (got $v)" \
		one_of "$v" "1 0 0"
	v="$(top_live "$out" paced 13) $(top_live "$out" lease 13)"
	check "cspchan-top (leases): live rows: paced throttled $throttles times, lease never (got $v)" \
		one_of "$v" "$throttles 0"
	v=$(top_leases "$out" lease)
	check "cspchan-top (leases): lease totals: granted 7 acked 2 returned 2 revoked 0 dead 1 redelivered 2 max 2 leased 2, not throttled (got $v)" \
		one_of "$v" "7 2 2 0 1 2 2 2 0 0.0"
	v=$(top_leases "$out" lease.timed)
	check "cspchan-top (leases): lease.timed totals: granted 2 acked 1 revoked 1 redelivered 1 max 2 (got $v)" \
		one_of "$v" "2 1 0 1 0 1 2 0 0 0.0"
	# shellcheck disable=SC2046 # split into fields on purpose
	set -- $(top_leases "$out" paced)
	check "cspchan-top (leases): paced totals: no lease events, throttled $throttles times, waits $((min_wait_us / 1000))..$((max_wait_us / 1000)) ms (got $*)" \
		all one_of "$1 $2 $3 $4 $5 $6 $7 $8" "0 0 0 0 0 0 0 0" -- \
		eq "$9" $throttles -- ms_at_least "${10}" $((min_wait_us / 1000)) -- \
		ms_at_least $((max_wait_us / 1000)) "${10}"
	totals "$out" paced
	p_cap=$t_cap p_sent=$t_sent p_recv=$t_recv
	totals "$out" lease
	check "cspchan-top (leases): totals: paced capacity 16, 12 sent and received; lease capacity 8, 5 sent, 7 received (got $p_cap $p_sent $p_recv; $t_cap $t_sent $t_recv)" \
		all eq "$p_cap" 16 -- eq "$p_sent" 12 -- eq "$p_recv" 12 -- \
		eq "$t_cap" 8 -- eq "$t_sent" 5 -- eq "$t_recv" 7
	check "cspchan-top: no lease table for the workload's channels" \
		lacks '^Leases and throttling' "$work/cspchan-top.out"
	end_block "$out" "$work/cspchan-top-leases.workload"
}
nr_lease_tests=16

if [ -n "$lease_skip" ]; then
	i=0
	while [ $i -lt $nr_lease_tests ]; do
		n=$((n + 1))
		i=$((i + 1))
		echo "ok $n # SKIP $lease_skip"
	done
else
	lease_tests
fi

if [ -n "$CSPCHAN_OUTDIR" ] && [ -d "$CSPCHAN_OUTDIR" ]; then
	mkdir -p "$CSPCHAN_OUTDIR/observability" &&
		cp "$work"/* "$CSPCHAN_OUTDIR/observability/"
fi
rm -rf "$work"
echo "# $((n - fails)) passed, $fails failed"
[ "$fails" -eq 0 ] && [ "$n" -eq "$nr_tests" ]
