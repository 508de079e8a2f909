#!/bin/sh
# Boots kernel SPEC with tristate, live_load and bpftool, runs live_guest.sh there and asserts
# the result with check_live.py. usage: run_guest.sh SPEC TRISTATE LIVE_LOAD OUTDIR
set -eu
spec=$1 tristate=$2 live_load=$3 outdir=$4
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$outdir"
out="$outdir/live-$(basename "$spec").out"
"$tristate" kernels boot "$spec" --exe "$live_load" --exe /usr/sbin/bpftool \
  --file "$here/live_guest.sh:/data/live_guest.sh" --timeout 600 -- sh /data/live_guest.sh > "$out"
exec python3 "$here/check_live.py" "$out"
