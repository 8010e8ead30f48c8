#!/bin/sh
# Module BTF: cspchan.ko carries .BTF, so fentry (bpftrace kfunc) and
# tp_btf programs attach to it.  Run in the guest as root with the module
# loaded.  Prints TAP.   test_btf.sh CSPCHAN_TOOL
tool=${1:-build/tools/cspchan}
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n $1"; }
out=/tmp/test_btf.$$

echo "TAP version 13"
echo "1..3"
if [ -r /sys/kernel/btf/cspchan ]; then
	ok "btf: /sys/kernel/btf/cspchan exists"
else
	notok "btf: /sys/kernel/btf/cspchan exists"
fi

# fentry on a module function counts exactly the sends made.
timeout 120 bpftrace -e 'kfunc:cspchan:cspchan_send_iter { @calls = count(); }' > "$out" 2>&1 &
bt=$!
for _ in $(seq 150); do grep -q Attaching "$out" && break; sleep 0.2; done
sleep 1
"$tool" create btf.$$ -c 8 >/dev/null && "$tool" send btf.$$ one two three four five
sleep 1
kill -INT $bt; wait $bt
calls=$(sed -n 's/^@calls: //p' "$out")
if [ "$calls" = 5 ]; then
	ok "btf: kfunc:cspchan:cspchan_send_iter counted the 5 sends"
else
	notok "btf: kfunc:cspchan:cspchan_send_iter counted the 5 sends (got '$calls')"
	sed 's/^/# /' "$out"
fi

# Typed access through BTF: read struct cspchan fields in an fentry program.
timeout 120 bpftrace -e 'kfunc:cspchan:cspchan_fill_info { @cap = max(args->ch->capacity); @queued = max(args->ch->queued); }' > "$out" 2>&1 &
bt=$!
for _ in $(seq 150); do grep -q Attaching "$out" && break; sleep 0.2; done
sleep 1
"$tool" stat btf.$$ >/dev/null
sleep 1
kill -INT $bt; wait $bt
cap=$(sed -n 's/^@cap: //p' "$out")
queued=$(sed -n 's/^@queued: //p' "$out")
if [ "$cap" = 8 ] && [ "$queued" = 5 ]; then
	ok "btf: fentry reads struct cspchan (capacity 8, 5 queued) through module BTF"
else
	notok "btf: fentry reads struct cspchan (got capacity '$cap', queued '$queued')"
	sed 's/^/# /' "$out"
fi
"$tool" rm btf.$$
rm -f "$out"
[ "$fails" -eq 0 ]
