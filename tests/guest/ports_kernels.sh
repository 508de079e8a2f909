#!/bin/bash
# `tristate ports` inside a lab guest: the object loads, with the task_file program of its
# kernel (5.10: the sockfs-inode test; 5.11+: bpf_sock_from_file(), which 6.18's verifier once
# refused in a form the older kernels took, and the object fell back to 5.10's unnoticed), and
# the guest's own listener is counted and named. Usage: ports_kernels.sh TRISTATE SERIES
set -u
TS=$1
SERIES=$2
WORK=$(mktemp -d /tmp/tristate-guest-ports.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL ($SERIES): $*" >&2; exit 1; }

# A listener bound inside the guest's port range by busybox nc holds a bind()-made bucket (0/0).
"$TS" kernels boot "$SERIES" --timeout 300 -- sh -c \
  'echo 40000 40009 > /proc/sys/net/ipv4/ip_local_port_range; nc -l -p 40005 >/dev/null 2>&1 & sleep 1;
   tristate ports --json /tmp/result 2>/tmp/err || cat /tmp/err' > "$WORK/ports.json" 2>"$WORK/boot.log" ||
  fail "the guest run failed: $(tail -3 "$WORK/boot.log") $(head -3 "$WORK/ports.json")"
python3 - "$WORK/ports.json" "$SERIES" <<'PY' || fail "see above"
import json, sys
doc = json.load(open(sys.argv[1]))
series = sys.argv[2]
method = doc["method"]
want = "sockfs inode, 5.10" if series == "5.10" else "bpf_sock_from_file"
ok = want in method
print(("ok   " if ok else "FAIL ") + "method names %r: %s" % (want, method))
[ns] = doc["namespaces"]
nc = [h for h in ns["holders"] if h["comm"] == "nc" and "listener" in h["kinds"]]
held = ns["blocked"] == 1 and ns["free"] == 9 and len(nc) == 1
print(("ok   " if held else "FAIL ") + "1 of the 10 ports blocked, by nc's listener: blocked %d, free %d, holders %s"
      % (ns["blocked"], ns["free"], [h["comm"] for h in ns["holders"]]))
sys.exit(0 if ok and held else 1)
PY
