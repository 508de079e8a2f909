#!/usr/bin/env bash
# Bucket state snapshots in a lab guest: the whole quiz suite, traced, with a
# snapshot after every step vs --no-state, ROUNDS rounds in ONE guest, alternating which goes
# first. The guest runs under qemu -icount (its clock counts executed instructions), as
# bench/trace_bench does: real-time TCG figures moved by 2x between identical runs on a busy
# host (measured here: 1.0 - 3.6 s for the same suite). Figure: the quizzes' own time (the sum
# of each quiz's duration, boot excluded), median per variant, and the ratio.
# usage: [QUIZ_FLAGS=--no-trace] bench/state_guest_bench.sh TRISTATE [SERIES=6.12] [ROUNDS=3] [QUIZ_DIR]
set -euo pipefail
ts=$1 series=${2:-6.12} rounds=${3:-3}
quiz_dir=${4:-$(cd "$(dirname "$0")/.." && pwd)/quizzes}
files=() names=()
for q in "$quiz_dir"/*.quiz; do files+=(--file "$q"); names+=("/data/$(basename "$q")"); done
script="for i in \$(seq $rounds); do
  if [ \$((i % 2)) = 1 ]; then order='state nostate'; else order='nostate state'; fi
  for v in \$order; do
    flag=''; [ \$v = nostate ] && flag=--no-state
    echo \"=== \$v\" >> /tmp/result
    tristate quiz \$flag ${QUIZ_FLAGS:-} ${names[*]} >> /tmp/result 2>/dev/null
  done
done"
out=$("$ts" kernels boot "$series" --icount 0 --cpus 1 --timeout 1800 "${files[@]}" -- sh -c "$script" || true)
python3 - "$series" "$rounds" "${QUIZ_FLAGS:-traced}" <<PY
import re, statistics, sys
series, rounds, how = sys.argv[1], int(sys.argv[2]), sys.argv[3]
runs = {"state": [], "nostate": []}
cur = None
for line in """$out""".splitlines():
    m = re.match(r"=== (state|nostate)$", line)
    if m:
        cur = m.group(1); runs[cur].append(0.0); continue
    m = re.search(r"steps matched  \((\d+) ms\)", line)
    if m and cur:
        runs[cur][-1] += float(m.group(1))
w, wo = runs["state"], runs["nostate"]
if len(w) != rounds or len(wo) != rounds or not all(w) or not all(wo):
    sys.exit(f"state_guest_bench: incomplete output from the guest: {runs}")
mw, mwo = statistics.median(w), statistics.median(wo)
print(f"guest {series} (qemu -icount: 1 ns per instruction) suite ({how}): with state {mw:.0f} ms, "
      f"--no-state {mwo:.0f} ms (medians of {rounds}: {w} / {wo}); ratio {mw / mwo:.3f} "
      f"(target <= 1.2): {'met' if mw / mwo <= 1.2 else 'NOT met'}")
PY
