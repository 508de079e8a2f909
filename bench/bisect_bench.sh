#!/bin/bash
# Kernel history: `tristate bisect` over every build from 6.12 to the newest, twice:
# the first run downloads what is not cached (reported apart), the second is the measured one
# (kernels cached). Prints builds, boots used vs ceil(log2(builds - 1)) + 2 ends, rounds and the
# wall time against the target of 60 s on 2 cores.
# Usage: bench/bisect_bench.sh build/tristate [QUIZ] [FROM]
set -u
TS=${1:?usage: bisect_bench.sh TRISTATE [QUIZ] [FROM]}
QUIZ=${2:-release-between-connects}
FROM=${3:-6.12}
W=$(mktemp -d /tmp/tristate-bisect-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
for run in fetch cached; do
  t0=$(date +%s.%N)
  "$TS" bisect "$QUIZ" --from "$FROM" --json "$W/$run.json" > "$W/$run.out" 2> "$W/$run.err"
  rc=$?
  t1=$(date +%s.%N)
  [ "$rc" -le 1 ] || { cat "$W/$run.err" >&2; echo "bisect failed (exit $rc)" >&2; exit 2; }
  python3 - "$W/$run.json" "$run" "$(echo "$t1 - $t0" | bc)" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); run = sys.argv[2]; wall = float(sys.argv[3])
b = ", ".join(f'{x["last_good"]} -> {x["first_bad"]}' for x in r["boundaries"]) or "none"
print(f'{run:7s} {r["from"]} .. {r["to"]}: {r["builds"]} builds, {r["boots"]} boots '
      f'(ceil(log2 {r["builds"] - 1}) + 2 ends = {r["log2_builds"] + 2}), {r["rounds"]} rounds, '
      f'wall {wall:.1f} s{" (target <= 60 s)" if run == "cached" else " (downloads included)"}; boundaries: {b}')
PY
done
