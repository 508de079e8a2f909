#!/usr/bin/env bash
# Conventions every command shares: help and version, unknown commands, empty
# values, durations with units, -q everywhere, equal --guest-timeout defaults, quiz --list,
# NO_COLOR and --color on stdout and stderr.   check_cli.sh TRISTATE
set -uo pipefail
t=$1
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# expect STATUS CMD…: run, keep stdout/stderr in $tmp/out and $tmp/err, check the status
expect() {
  local want=$1; shift
  "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
  [[ $rc -eq $want ]] || { cat "$tmp/out" "$tmp/err"; fail "'$*' exited $rc, not $want"; }
}
has() { grep -q -- "$2" "$tmp/$1" || { cat "$tmp/$1"; fail "$1 lacks '$2'"; }; }
hasf() { grep -qF -- "$2" "$tmp/$1" || { cat -v "$tmp/$1"; fail "$1 lacks the string $(printf %q "$2")"; }; }

expect 0 "$t" help;            has out "Subcommands:"; has out "quiz"
expect 0 "$t" help quiz;       has out "tristate quiz"; has out "--guest-timeout"
expect 0 "$t" help kernels boot; has out -- "--timeout"
expect 2 "$t" help frobnicate; has err "unknown command 'frobnicate'; commands: quiz, "
expect 0 "$t" -V;              grep -Eqx 'tristate [0-9]+\.[0-9]+\.[0-9]+' "$tmp/out" || fail "-V: $(cat "$tmp/out")"
expect 0 "$t" --version;       grep -Eqx 'tristate [0-9]+\.[0-9]+\.[0-9]+' "$tmp/out" || fail "--version"
expect 2 "$t" frobnicate;      has err "unknown command 'frobnicate'; commands: quiz, matrix"
expect 2 "$t" -v frobnicate;   has err "unknown command 'frobnicate'"
expect 2 "$t";                 has err "a command is required; commands: quiz"
grep -Eq "[ ,]man[,( ]" "$tmp/err" && fail "the hidden man command is listed"

expect 2 "$t" quiz --kernel "";          has err "empty value"
expect 2 "$t" quiz -k "" post-3;         has err "empty value"
expect 2 "$t" quiz post-3 --json "";     has err "empty value"
expect 2 "$t" matrix -k "" --no-host;    has err "empty value"

expect 2 "$t" quiz post-3 --timeout 10x;          has err "unknown unit 'x'"
expect 2 "$t" quiz post-3 --guest-timeout 5500ms; has err "not a whole number of seconds"
expect 2 "$t" quiz post-3 --guest-timeout 2s;     has err "outside 5s"
expect 2 "$t" kernels boot 6.12 --timeout -3s;    has err "not a duration"
expect 0 "$t" quiz post-3 --no-trace --timeout 5s -q
expect 0 "$t" quiz post-3 --no-trace --timeout 5000 -q   # a plain number: milliseconds, as before
[[ ! -s $tmp/out ]] || fail "quiz -q printed on stdout"
expect 0 "$t" quiz --help
grep -E -- '--guest-timeout DURATION=240s' "$tmp/out" >/dev/null || fail "quiz --guest-timeout default"
expect 0 "$t" matrix --help
grep -E -- '--guest-timeout DURATION=240s' "$tmp/out" >/dev/null || fail "matrix --guest-timeout default differs"

# -q on every command that prints a report or progress
expect 0 "$t" help
commands=$(sed -n '/^Subcommands:/,$p' "$tmp/out" | grep -E '^  [a-z]' | awk '{ print $1 }')
[[ -n $commands ]] || fail "no commands in help"
for c in $commands; do
  case $c in help|completion) continue ;; esac
  expect 0 "$t" "$c" --help
  grep -Eq -- '^ +-q,--quiet ' "$tmp/out" || fail "$c has no -q,--quiet"
done
expect 0 "$t" quiz --list;                     has out "^NAME  *TITLE"; has out "^post-3 "
expect 0 "$t" quiz --list post-3 post-1;       [[ $(wc -l <"$tmp/out") -eq 3 ]] || fail "--list NAMES"
expect 0 "$t" quiz --list --json -
python3 -c 'import json, sys, jsonschema
jsonschema.Draft202012Validator(json.load(open(sys.argv[1]))).validate(json.load(open(sys.argv[2])))' \
  "$(dirname "$0")/../../docs/quiz-list.schema.json" "$tmp/out" || fail "--list --json against docs/quiz-list.schema.json"
expect 2 "$t" quiz --list nosuchquiz
expect 2 "$t" quiz --list -k 6.12;             has err "leave out --kernel"

# --json FILE (- = stdout) in doctor and state too; bare --json still means stdout there
expect 0 "$t" doctor --json "$tmp/doctor.json"
mode=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["mode"])' "$tmp/doctor.json") || fail "doctor --json FILE"
expect 0 "$t" doctor --json;  python3 -c 'import json,sys; json.load(sys.stdin)' <"$tmp/out" || fail "doctor --json"
"$t" doctor -q >"$tmp/out" 2>&1; rc=$?
[[ -s $tmp/out ]] && fail "doctor -q printed"
[[ $rc -eq $([[ $mode == none ]] && echo 1 || echo 0) ]] || fail "doctor -q exited $rc with trace mode $mode"
expect 0 "$t" state --json "$tmp/state.json" -P 1-65535
python3 -c 'import json,sys; assert "buckets" in json.load(open(sys.argv[1]))' "$tmp/state.json" || fail "state --json FILE"
expect 0 "$t" state -q; [[ ! -s $tmp/out ]] || fail "state -q printed"

esc=$'\033[' 
expect 0 "$t" --color=always quiz post-3 --no-trace;   hasf out "$esc"
expect 0 "$t" quiz post-3 --no-trace --color always;   hasf out "$esc"
expect 0 env NO_COLOR=1 "$t" --color=always quiz post-3 --no-trace; hasf out "$esc"  # the flag wins
expect 2 "$t" --color=always quiz nosuchquiz;  hasf err "$esc"
expect 2 "$t" --color=never quiz nosuchquiz;   grep -qF "$esc" "$tmp/err" && fail "--color=never: escape on stderr"
expect 2 "$t" --color=sometimes quiz post-3
# auto: colour on a terminal unless NO_COLOR; script(1) gives both streams a terminal
script -qec "$t quiz nosuchquiz" /dev/null >"$tmp/tty" 2>&1
grep -qF "$esc" "$tmp/tty" || fail "auto on a terminal: no colour"
script -qec "env NO_COLOR=1 $t quiz nosuchquiz" /dev/null >"$tmp/tty" 2>&1
grep -qF "$esc" "$tmp/tty" && { cat -v "$tmp/tty"; fail "NO_COLOR on a terminal: colour"; }
script -qec "env NO_COLOR=1 $t quiz post-3 --no-trace" /dev/null >"$tmp/tty" 2>&1
grep -qF "$esc" "$tmp/tty" && fail "NO_COLOR: colour on stdout"
# TERM=dumb (Emacs' shell, some CI consoles) shows escapes as text, as ls and git know
script -qec "env TERM=dumb $t quiz nosuchquiz" /dev/null >"$tmp/tty" 2>&1
grep -qF "$esc" "$tmp/tty" && { cat -v "$tmp/tty"; fail "TERM=dumb on a terminal: colour on stderr"; }
script -qec "env TERM=dumb $t quiz post-3 --no-trace" /dev/null >"$tmp/tty" 2>&1
grep -qF "$esc" "$tmp/tty" && fail "TERM=dumb: colour on stdout"
script -qec "env TERM=dumb $t --color=always quiz post-3 --no-trace" /dev/null >"$tmp/tty" 2>&1
grep -qF "$esc" "$tmp/tty" || fail "TERM=dumb with --color=always: no colour"
echo PASS
