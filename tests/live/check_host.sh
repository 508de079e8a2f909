#!/bin/sh
# `tristate trace` where tracing is refused: exit 2 and one line naming mechanism, errno and
# the guest fix. Where the kernel can be traced (doctor says so), it must trace for 1 s and
# exit 0 instead. usage: check_host.sh TRISTATE
t=$1
mode=$("$t" doctor --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["mode"])')
err=$(mktemp)
"$t" trace -q --duration 1 > /dev/null 2> "$err"
rc=$?
if [ "$mode" = none ]; then
  lines=$(wc -l < "$err")
  cat "$err"
  [ "$rc" -eq 2 ] || { echo "FAIL: exit $rc, want 2"; exit 1; }
  [ "$lines" -eq 1 ] || { echo "FAIL: $lines lines on stderr, want 1"; exit 1; }
  grep -q 'E[A-Z]*)' "$err" || { echo "FAIL: no errno name in the message"; exit 1; }
  grep -q 'guest' "$err" || { echo "FAIL: the fix (a guest) is not named"; exit 1; }
else
  [ "$rc" -eq 0 ] || { echo "FAIL: traceable kernel ($mode) but exit $rc"; cat "$err"; exit 1; }
fi
echo PASS
