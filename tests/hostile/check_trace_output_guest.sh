#!/usr/bin/env bash
# `tristate trace --json /dev/full -- CMD` in a 6.12 guest (the host cannot trace): the failed
# write must be said and give exit 2, not the stopped command's 143 without a word.
set -uo pipefail
T=$1
out=$("$T" kernels boot 6.12 -- sh -c '
  tristate trace --json /dev/full -- sleep 1; echo "trace exit $?"' 2>&1)
echo "$out" | tail -5
grep -q "cannot write /dev/full: No space left on device" <<<"$out" || { echo "FAIL: no message"; exit 1; }
grep -q "trace exit 2" <<<"$out" || { echo "FAIL: exit status is not 2"; exit 1; }
echo "ok: trace said its write failure and exited 2"
