#!/bin/bash
# The same quizzes on the same kernel, three times: the reports must compare as identical
# (`tristate compare` exit 0; timestamps, ids and thread numbers are not compared). A row that
# differs here is the lab's, not the kernel's, and `tristate matrix` would show it as a kernel
# difference. Usage: determinism.sh TRISTATE SERIES
set -u
TS=$1
SERIES=$2
WORK=$(mktemp -d /tmp/tristate-determinism.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
# Every shipped quiz but the exceptions listed for this series (each said, with its reason).
EXCEPTIONS=$(dirname "$0")/determinism_exceptions.txt
QUIZZES=()
while read -r name _; do
  [ "$name" = NAME ] && continue
  reason=$(awk -v s="$SERIES" -v q="$name" '$1 == s && $2 == q { $1 = $2 = ""; sub(/^ +/, ""); print }' "$EXCEPTIONS")
  if [ -n "$reason" ]; then echo "left out on $SERIES: $name: $reason"; continue; fi
  QUIZZES+=("$name")
done < <("$TS" quiz --list)
[ "${#QUIZZES[@]}" -gt 20 ] || { echo "FAIL: quiz --list gave ${#QUIZZES[@]} quizzes" >&2; exit 1; }
# A run whose tracer reports operations it could not follow (trace.missed: a release nested in
# another socket's operation by softirq timing, see bpf/release.bpf.h) says itself that its
# events are incomplete; it is run again, and says so. A difference without that is a failure.
missed() { /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["trace"].get("missed", 0))' "$1"; }
for i in 1 2 3; do
  for attempt in 1 2 3; do
    "$TS" quiz "${QUIZZES[@]}" --kernel "$SERIES" --json "$WORK/run$i.json" -q
    rc=$?
    # 1 = some step differs from its quiz's expectation: a finding, still a report
    if [ "$rc" -gt 1 ]; then echo "FAIL: run $i on $SERIES exited $rc" >&2; exit 1; fi
    m=$(missed "$WORK/run$i.json")
    [ "$m" = 0 ] && break
    echo "run $i on $SERIES (attempt $attempt): the tracer reports $m operation(s) not followed; running it again"
  done
done
if ! "$TS" compare "$WORK/run1.json" "$WORK/run2.json" "$WORK/run3.json" > "$WORK/compare.txt"; then
  grep -E '^(≠|  first|    ≠)' "$WORK/compare.txt" | head -40 >&2
  echo "FAIL: three runs on $SERIES differ" >&2
  exit 1
fi
echo "three runs on $SERIES compare as identical"
