#!/bin/sh
# The module's life cycle, run in the guest as root with cspchan loaded:
# the device node, and rmmod refused while a descriptor is open.
# Prints TAP.  Leaves the module loaded.
ko=${CSPCHAN_KO:-$(dirname "$0")/../../kmod/cspchan.ko}
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n $1"; }
check() { desc=$1; shift; if "$@"; then ok "$desc"; else notok "$desc"; fi; }

echo "TAP version 13"
echo "1..7"
check "module: /dev/cspchan is a character device" test -c /dev/cspchan
mode=$(stat -c %a /dev/cspchan 2>/dev/null)
check "module: /dev/cspchan has mode 0666 (got $mode)" test "$mode" = 666
check "module: /sys/module/cspchan/parameters/max_capacity is readable" \
	test -r /sys/module/cspchan/parameters/max_capacity

exec 3<>/dev/cspchan
if rmmod cspchan 2>/dev/null; then
	notok "module: rmmod is refused while /dev/cspchan is open"
	insmod "$ko"
else
	ok "module: rmmod is refused while /dev/cspchan is open"
fi
check "module: still loaded after the refused rmmod" test -c /dev/cspchan
exec 3<&-

check "module: rmmod succeeds when idle" rmmod cspchan
check "module: insmod again after rmmod" insmod "$ko"
[ "$fails" -eq 0 ]
