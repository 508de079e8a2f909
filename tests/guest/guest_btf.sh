#!/bin/bash
# The files the host makes from a guest kernel's BTF (lab/guest_btf, trace/guest_core_btf) are
# found by that guest's tristate: with them it loads the tracer and the snapshot object without
# parsing its kernel's BTF, and without them (or under another kernel's name) it parses it as
# before. Its -v log says which. Usage: guest_btf.sh TRISTATE SERIES
set -u
TS=$1
SERIES=$2
QUIZ=$(dirname "$0")/../../quizzes/post-3.quiz
WORK=$(mktemp -d /tmp/tristate-guest-btf.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL ($SERIES): $*" >&2; exit 1; }

# A quiz run through the lab makes the files (once per kernel) and ships them.
"$TS" quiz --kernel "$SERIES" "$QUIZ" --json "$WORK/quiz.json" -q
[ $? -le 1 ] || fail "tristate quiz --kernel $SERIES failed"
CACHE=$("$TS" kernels list | sed -n 's/^cache: //p' | head -1)
PACKAGE=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["kernel"]["package"])' "$WORK/quiz.json")
DIR=$CACHE/kernels/$PACKAGE/guest-btf
for kind in functions.txt func-ids.txt 'snapshot-*.btf' 'tracer-*.btf'; do
  compgen -G "$DIR/*-$kind" > /dev/null || fail "no *-$kind made in $DIR"
done

# -v in a guest, the files shipped as the lab ships them ($1: name prefix to replace, $2: by)
run_v() {
  local files=()
  for f in "$DIR"/*; do
    local name; name=$(basename "$f")
    files+=(--file "$f:/root/.cache/tristate/btf/${name/#$1/$2}")
  done
  "$TS" kernels boot "$SERIES" --timeout 300 --file "$QUIZ" "${files[@]}" -- \
    sh -c 'tristate quiz -v --quiet --detach-after-exit --json /tmp/r /data/post-3.quiz 2> /tmp/result' 2>/dev/null
}
KEY=$(basename "$(compgen -G "$DIR/*-functions.txt" | head -1)" -functions.txt)

run_v "" "" > "$WORK/shipped.log"
grep -q 'tracer attached in fentry mode' "$WORK/shipped.log" || fail "the tracer did not attach: $(tail -3 "$WORK/shipped.log")"
grep -q "the kernel's BTF read" "$WORK/shipped.log" && fail "with the shipped files, the tracer still parsed the kernel's BTF"
grep -q 'snapshot: loaded in .* (minimal BTF' "$WORK/shipped.log" || fail "the snapshot object did not use the shipped minimal BTF"

# Under another build id the files are not this kernel's: the guest parses its BTF as before.
run_v "$KEY" "00${KEY:2}" > "$WORK/other.log"
grep -q "the kernel's BTF read" "$WORK/other.log" || fail "files of another kernel were used"
grep -q 'snapshot: loaded in .* (whole BTF' "$WORK/other.log" || fail "the snapshot object used another kernel's minimal BTF"
grep -q 'tracer attached in fentry mode' "$WORK/other.log" || fail "without usable files the tracer did not attach"
echo "$SERIES: shipped files used ($KEY), another kernel's ignored"
