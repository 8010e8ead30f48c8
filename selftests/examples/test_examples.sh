#!/bin/sh
# The examples as tests, run in the guest as root with the module loaded:
# the zero-copy producer and consumer in separate processes, synchronous
# and through io_uring, the pipeline demo's stages end to end, and the
# reply-channel service.
# Prints TAP.   test_examples.sh BUILD_DIR
build=${1:-build}
zc=$build/examples/zerocopy
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n $1"; }

echo "TAP version 13"
echo "1..6"
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

# The pipeline with a fixed count: source -> decoder -> enricher (and its
# lookup service) -> writer, unpaced.
pl=$build/examples/pipeline
cli=$build/tools/cspchan
run=/tmp/pl-test
rm -rf "$run"; mkdir -p "$run"
"$pl/writer" "$run" "$run/out.csv" > "$run/writer.out" &
w=$!
"$pl/lookup" "$run" > /dev/null & l=$!
"$pl/enricher" "$run" & e=$!
"$pl/decoder" "$run" & d1=$!
"$pl/decoder" "$run" & d2=$!
"$pl/source" "$run" 2000 > /dev/null
wait $w $e $d1 $d2
"$cli" shutdown demo.lookup > /dev/null
wait $l
"$cli" rm -f demo.events demo.dead demo.decoded demo.enriched demo.lookup
if [ "$(wc -l < "$run/out.csv")" -eq 2000 ] &&
   awk -F, '$1 != NR - 1 { exit 1 }' "$run/out.csv"; then
	ok "pipeline: 2000 events through two decoders arrive once each, in order"
else
	notok "pipeline: 2000 events through two decoders arrive once each, in order"
	sed 's/^/# /' "$run/writer.out"
fi
# The demo itself: a poison event, a decoder and an enricher SIGKILLed
# mid-run, SIGTERM to the source; it verifies the output file (in order,
# each event once, all but the poison one, which is in demo.dead) and the
# paced rate, and exits non-zero otherwise.
here=$(cd "$(dirname "$0")" && pwd)
if DEMO_SECONDS=8 "$here/../../examples/pipeline/run-demo" /tmp/demo-test > /tmp/demo-test.out 2>&1 &&
   grep -q '^VERIFIED' /tmp/demo-test.out; then
	ok "pipeline demo: poison event dead-lettered, SIGKILLed workers, SIGTERM shutdown, output and pace verified ($(grep -o '[0-9]* events written' /tmp/demo-test.out | head -1))"
else
	notok "pipeline demo: poison event dead-lettered, SIGKILLed workers, SIGTERM shutdown, output and pace verified"
	tail -30 /tmp/demo-test.out | sed 's/^/# /'
fi
# Request/response: 4 servers, 8 clients x 200 calls, every 7th request
# dropped (the caller sees ECONNRESET at once and asks again).
if "$build/examples/reply/reply-service" -s 4 -c 8 -n 200 -d 7 > /tmp/reply-service.out 2>&1 &&
   grep -q ': ok$' /tmp/reply-service.out; then
	ok "reply service: 8 clients x 200 calls over 4 servers, dropped requests retried, every answer the caller's own"
else
	notok "reply service: 8 clients x 200 calls over 4 servers, dropped requests retried, every answer the caller's own"
	tail -20 /tmp/reply-service.out | sed 's/^/# /'
fi
[ "$fails" -eq 0 ]
