#!/bin/sh
# The examples as tests, run in the guest as root with the module loaded:
# the zero-copy producer and consumer in separate processes, synchronous
# and through io_uring, and the pipeline demo's stages end to end.
# Prints TAP.   test_examples.sh BUILD_DIR
build=${1:-build}
zc=$build/examples/zerocopy
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n $1"; }

echo "TAP version 13"
echo "1..5"
# consumer mode, producer mode: synchronous, io_uring, and mixed
for pair in "sync sync" "-u -u" "-u sync"; do
	mode=${pair% *}; pmode=${pair#* }
	[ "$mode" = sync ] && mode=
	[ "$pmode" = sync ] && pmode=
	"$zc/consumer" $mode > /tmp/zc-consumer.out 2>&1 &
	c=$!
	"$zc/producer" $pmode > /tmp/zc-producer.out 2>&1
	p=$?
	wait $c
	cs=$?
	desc="zero-copy: producer '${pmode:-sync}' -> consumer '${mode:-sync}': every record in place, exactly once"
	if [ $p -eq 0 ] && [ $cs -eq 0 ]; then
		ok "$desc"
	else
		notok "$desc (producer $p, consumer $cs)"
		sed 's/^/# /' /tmp/zc-producer.out /tmp/zc-consumer.out
	fi
done

# The pipeline with a fixed count: source -> decoder -> enricher -> writer.
pl=$build/examples/pipeline
run=/tmp/pl-test
rm -rf "$run"; mkdir -p "$run"
"$pl/writer" "$run" "$run/out.csv" > "$run/writer.out" &
w=$!
"$pl/enricher" "$run" 100000 & e=$!
"$pl/decoder" "$run" & d1=$!
"$pl/decoder" "$run" & d2=$!
"$pl/source" "$run" 2000 > /dev/null
wait $w $e $d1 $d2
if [ "$(wc -l < "$run/out.csv")" -eq 2000 ] &&
   awk -F, '$1 != NR - 1 { exit 1 }' "$run/out.csv"; then
	ok "pipeline: 2000 events through two decoders arrive once each, in order"
else
	notok "pipeline: 2000 events through two decoders arrive once each, in order"
	sed 's/^/# /' "$run/writer.out"
fi
# The demo itself: a decoder SIGKILLed mid-run, SIGTERM to the source; it
# verifies the output file (order, no duplicates, exactly the events not
# lost with the killed worker) and exits non-zero otherwise.
here=$(cd "$(dirname "$0")" && pwd)
if DEMO_SECONDS=8 "$here/../../examples/pipeline/run-demo" /tmp/demo-test > /tmp/demo-test.out 2>&1 &&
   grep -q '^VERIFIED' /tmp/demo-test.out; then
	ok "pipeline demo: SIGKILLed worker and SIGTERM shutdown, output verified ($(grep -o '[0-9]* events written' /tmp/demo-test.out | head -1))"
else
	notok "pipeline demo: SIGKILLed worker and SIGTERM shutdown, output verified"
	tail -30 /tmp/demo-test.out | sed 's/^/# /'
fi
[ "$fails" -eq 0 ]
