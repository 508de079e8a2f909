#!/usr/bin/env bash
# An unprivileged user on a kernel that CAN be traced (a 6.12 guest; the host cannot): doctor
# said "trace mode: kprobe" and `trace` blamed the verifier and pointed at a lab guest. Both
# must say the process lacks CAP_BPF+CAP_PERFMON and that root is the fix; root's view is
# checked in the same guest, so the kernel really does allow tracing there.
set -uo pipefail
T=$1
script='
/usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all sh -c "
  cd /; tristate doctor -q; echo \"nobody doctor -q \$?\"; tristate doctor | grep \"^trace mode\"
  tristate trace --duration 1s; echo \"nobody trace \$?\"" 2>&1
tristate doctor -q; echo "root doctor -q $?"'
out=$("$T" kernels boot 6.12 --exe /usr/bin/setpriv -- sh -c "$script" 2>&1)
echo "$out" | grep -v "^tristate: info" | tail -8
fail=0
check() { grep -qF -- "$1" <<<"$out" && echo "ok: $2" || { echo "FAIL: $2 (no '$1')"; fail=1; }; }
check "root doctor -q 0" "root can trace this kernel"
check "nobody doctor -q 1" "doctor -q: nobody cannot"
check "trace mode: none (this process lacks CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN): run tristate as root" "doctor names the privileges as the reason"
check "tristate: error: this process lacks the privileges BPF needs" "trace names the privileges first"
check "nobody trace 2" "trace exits 2"
exit $fail
