#!/bin/sh
# Boots kernel SPEC (series, package or vmlinuz) with trace_quiz and the given quizzes, runs
# them traced in MODE (fentry | kprobe) with root-namespace noise, writes the console
# document to OUTDIR/<spec>-<mode>.out and asserts it with check_events.py.
# usage: run_guest.sh SPEC TRACE_QUIZ MODE QUIZ_DIR OUTDIR
set -eu
spec=$1 trace_quiz=$2 mode=$3 quiz_dir=$4 outdir=$5
here=$(cd "$(dirname "$0")" && pwd)
tristate=${TRISTATE:-$(dirname "$trace_quiz")/../tristate}
mkdir -p "$outdir"
out="$outdir/$(basename "$spec")-$mode.out"
flag=""
[ "$mode" = kprobe ] && flag="--no-fentry"
files=""
quizzes=""
list="post-1"
if [ "$mode" = dropped ]; then
  # Events dropped on purpose; the state cross-check must catch it (check_events.py --dropped)
  flag="--drop-events bucket_state,bind_alloc"
  list="release-between-connects"
fi
[ "$list" = post-1 ] && list="post-1 post-2 post-3 post-4 post-5 post-6 post-7 post-8 post-3-fixed post-5-fixed \
    post-6-fixed cloudflare-5 reuseaddr-into-connect-bucket release-between-connects v6only-dual-stack"
for q in $list; do
  files="$files --file $quiz_dir/$q.quiz"
  quizzes="$quizzes /data/$q.quiz"
done
# shellcheck disable=SC2086
"$tristate" kernels boot "$spec" --no-self --exe "$trace_quiz" $files --timeout 400 --cpus 2 -- \
  sh -c "trace_quiz $flag --noise $quizzes > /tmp/result 2>&1" > "$out"
[ "$mode" = dropped ] && exec python3 "$here/check_events.py" --dropped "$out"
python3 "$here/show_events.py" "$out" > "${out%.out}.txt" || true
exec python3 "$here/check_events.py" "$out"
