#!/bin/sh
# The `tristate compare` contract, through the real binary: exit 0 when the reports agree,
# 1 when a step differs, 2 (with a message naming the file) when they cannot be compared.
# usage: check_compare_cli.sh TRISTATE COMPARE_FIXTURES WORKDIR
set -u
TRISTATE=$1 FIXTURES=$2 DIR=$3
rm -rf "$DIR" && mkdir -p "$DIR" && "$FIXTURES" "$DIR" || exit 1
fail=0

# expect CODE PATTERN ARGS…: run compare, check the exit status and that stdout+stderr match.
expect() {
  code=$1 pattern=$2; shift 2
  NO_COLOR=1 "$TRISTATE" compare "$@" >"$DIR/out" 2>"$DIR/err"
  got=$?
  if [ "$got" != "$code" ]; then
    echo "FAIL: compare $* exited $got, expected $code"; cat "$DIR/out" "$DIR/err"; fail=1
  elif ! cat "$DIR/out" "$DIR/err" | grep -q -- "$pattern"; then
    echo "FAIL: compare $*: output lacks: $pattern"; cat "$DIR/out" "$DIR/err"; fail=1
  else
    echo "ok: compare $* → $got ($pattern)"
  fi
}

cd "$DIR"
expect 0 "all agree" a.json same.json
expect 1 "1 step differs" a.json b.json
expect 1 "first divergence at event #1" a.json same.json b.json
expect 2 "schema2.json: schema tristate.report/2, this tristate reads tristate.report/1.1" a.json schema2.json
expect 2 "corrupt.json: not valid JSON (at byte" a.json corrupt.json
expect 2 "nothere.json: no such file" a.json nothere.json
expect 2 "no quiz in common between a.json (post-1, post-2, post-3) and disjoint.json (other-post-1" a.json disjoint.json
expect 2 "at least two report files" a.json

# The files: JSON matrix, Markdown and HTML, written next to the table.
expect 1 "1 step differs" a.json b.json --json m.json --markdown m.md --html m.html
grep -q '"schema": "tristate.matrix/1"' m.json || { echo "FAIL: m.json has no matrix schema"; fail=1; }
grep -q '^## Differences' m.md || { echo "FAIL: m.md has no Differences section"; fail=1; }
grep -q '<svg ' m.html || { echo "FAIL: m.html has no SVG"; fail=1; }
# Colour never reaches a pipe unless asked.
if grep -q "$(printf '\033')" out; then echo "FAIL: ANSI escapes on a pipe"; fail=1; fi
exit $fail
