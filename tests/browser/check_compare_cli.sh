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
# a report written before tristate.report/2 (integer bucket ids) is still read
python3 - a.json old-1.1.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["schema"] = "tristate.report/1.1"
for q in d["quizzes"]:
    for s in q["steps"]:
        for e in s["events"]:
            e["bucket"] = int(e["bucket"])
json.dump(d, open(sys.argv[2], "w"))
PY
expect 1 "1 step differs" old-1.1.json b.json
expect 0 "all agree" old-1.1.json a.json
expect 2 "schema3.json: schema tristate.report/3, this tristate reads tristate.report/1 and tristate.report/2" a.json schema3.json
expect 2 "corrupt.json:[0-9]*:[0-9]*: not valid JSON: .*cut short" a.json corrupt.json
expect 2 "nothere.json: no such file" a.json nothere.json
expect 2 "no quiz in common between a.json (post-1, post-2, post-3) and disjoint.json (other-post-1" a.json disjoint.json
expect 2 "at least two report files" a.json

# The files: JSON matrix, Markdown and HTML, written next to the table.
expect 1 "1 step differs" a.json b.json --json m.json --markdown m.md --html m.html
grep -q '"schema": "tristate.matrix/2"' m.json || { echo "FAIL: m.json has no matrix schema"; fail=1; }
grep -q '^## Differences' m.md || { echo "FAIL: m.md has no Differences section"; fail=1; }
grep -q '<svg ' m.html || { echo "FAIL: m.html has no SVG"; fail=1; }
# Colour never reaches a pipe unless asked.
if grep -q "$(printf '\033')" out; then echo "FAIL: ANSI escapes on a pipe"; fail=1; fi
# Width: --width N fits the text in N columns; a pipe gets unlimited lines; a terminal (script(1)
# gives one) its width, from COLUMNS or the tty's size. --only-differences keeps the differing row.
widest() { python3 -c 'import sys; print(max(len(l.rstrip("\r\n")) for l in sys.stdin))'; }
NO_COLOR=1 "$TRISTATE" compare a.json b.json --width 60 >w60.txt
[ "$(widest <w60.txt)" -le 60 ] || { echo "FAIL: --width 60 printed $(widest <w60.txt) columns"; fail=1; }
grep -q "EADDRNOTAVAIL" w60.txt || { echo "FAIL: --width 60 lost the outcome"; fail=1; }
NO_COLOR=1 "$TRISTATE" compare a.json b.json >pipe.txt
[ "$(widest <pipe.txt)" -gt 100 ] || { echo "FAIL: into a pipe the table was wrapped ($(widest <pipe.txt) columns)"; fail=1; }
COLUMNS=70 script -qec "NO_COLOR=1 '$TRISTATE' compare a.json b.json" /dev/null >tty70.txt
[ "$(widest <tty70.txt)" -le 70 ] || { echo "FAIL: a COLUMNS=70 terminal got $(widest <tty70.txt) columns"; fail=1; }
script -qec "stty cols 90; NO_COLOR=1 '$TRISTATE' compare a.json b.json" /dev/null >tty90.txt
[ "$(widest <tty90.txt)" -le 90 ] && [ "$(widest <tty90.txt)" -gt 70 ] ||
  { echo "FAIL: a 90-column terminal got $(widest <tty90.txt) columns"; fail=1; }
echo "ok: --width 60 → $(widest <w60.txt), pipe → $(widest <pipe.txt), COLUMNS=70 tty → $(widest <tty70.txt), 90-column tty → $(widest <tty90.txt)"
expect 1 "(1 shown: only those that differ)" a.json b.json --only-differences
if grep -q "s1.connect(('127.1.1.1', 1234))" "$DIR/out"; then echo "FAIL: --only-differences shows an agreeing row"; fail=1; fi
expect 2 "must be 0 (never wrap) or 40..100000" a.json b.json --width 20

exit $fail
