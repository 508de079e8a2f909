#!/usr/bin/env bash
# Where a lab guest's quiz seconds go: ONE guest, the same `tristate quiz` process
# five ways — bare (--no-trace --no-state), state only (--no-trace), traced (--no-state),
# traced with state (what the lab runs), and traced with state from an empty cache ("cold": what
# every guest did before the host shipped the files it makes from the kernel's BTF, so the
# tracer and the snapshot object parsed the kernel's BTF in the guest) — for all quizzes and for
# post-3 alone (one quiz: the per-process start-up, not the per-step work). The files are
# shipped as `tristate quiz --kernel` ships them (made first by such a run). ROUNDS rounds, the variants' order rotated each
# round, each timed by the guest's /proc/uptime around the whole process. Real time under TCG:
# a loaded host stretches every figure, so read the differences between variants of the same
# run, not the absolute seconds.
# usage: bench/guest_split.sh TRISTATE [SERIES=6.1] [ROUNDS=3] [QUIZ_DIR]
set -euo pipefail
ts=$1 series=${2:-6.1} rounds=${3:-3}
quiz_dir=${4:-$(cd "$(dirname "$0")/.." && pwd)/quizzes}
files=() names=()
for q in "$quiz_dir"/*.quiz; do files+=(--file "$q"); names+=("/data/$(basename "$q")"); done
one=/data/post-3.quiz
[ -f "$quiz_dir/post-3.quiz" ] || one=${names[0]}
# The files the host makes from this kernel's BTF (lab/guest_btf), made by a lab run if need be.
"$ts" quiz --kernel "$series" --quiet --json /tmp/guest_split.$$.json "$quiz_dir/${one#/data/}" >/dev/null 2>&1 || true
cache=$("$ts" kernels list | sed -n 's/^cache: //p' | head -1)
package=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["kernel"]["package"])' /tmp/guest_split.$$.json)
rm -f /tmp/guest_split.$$.json
for f in "$cache/kernels/$package/guest-btf"/*; do [ -f "$f" ] && files+=(--file "$f:/root/.cache/tristate/btf/$(basename "$f")"); done
# The guest's tristate is /usr/bin/<name of the host binary>.
exe=/usr/bin/$(basename "$(readlink -f "$ts")")
script="up() { cut -d' ' -f1 /proc/uptime; }
$exe quiz --quiet --no-trace --no-state --json /tmp/w $one >/dev/null 2>&1
for i in \$(seq $rounds); do
  case \$((i % 5)) in 1) order='bare state trace both cold';; 2) order='cold both bare state trace';;
    3) order='trace cold both bare state';; 4) order='state trace cold both bare';; *) order='both bare state trace cold';; esac
  for what in all one; do
    if [ \$what = all ]; then qs='${names[*]}'; else qs=$one; fi
    for v in \$order; do
      case \$v in bare) f='--no-trace --no-state';; state) f=--no-trace;; trace) f=--no-state;; both|cold) f=;; esac
      if [ \$v = cold ]; then export XDG_CACHE_HOME=/tmp/cold\$i\$what; else unset XDG_CACHE_HOME; fi
      # the previous traced process's links are released by a child it leaves (RCU-tasks grace
      # periods, ~1 s on 6.1): timed beside the next process on the one vCPU, they inflated it
      while pidof \$(basename $exe) >/dev/null; do sleep 0.05; done
      t0=\$(up); $exe quiz --quiet --detach-after-exit --json /tmp/r \$f \$qs >/dev/null 2>&1; t1=\$(up)
      echo \"SPLIT \$what \$v \$t0 \$t1\" >> /tmp/result
    done
  done
done"
out=$("$ts" kernels boot "$series" --cpus 1 --timeout 1800 "${files[@]}" -- sh -c "$script" || true)
python3 - "$series" "$rounds" "$(cut -d' ' -f1-3 /proc/loadavg)" <<PY
import re, statistics, sys
series, rounds, load = sys.argv[1], int(sys.argv[2]), sys.argv[3]
t = {}
for line in """$out""".splitlines():
    m = re.match(r"SPLIT (all|one) (bare|state|trace|both|cold) ([0-9.]+) ([0-9.]+)$", line)
    if m:
        t.setdefault((m.group(1), m.group(2)), []).append(float(m.group(4)) - float(m.group(3)))
if len(t) != 10 or any(len(v) != rounds for v in t.values()):
    sys.exit(f"guest_split: incomplete output from the guest: {t}")
med = {k: statistics.median(v) for k, v in t.items()}
print(f"guest_split: {series} guest, 1 vCPU, TCG, medians of {rounds}, load average at the end {load}")
for what, label in (("all", "all quizzes"), ("one", "post-3 alone")):
    b, s, tr, both, cold = (med[(what, v)] for v in ("bare", "state", "trace", "both", "cold"))
    print(f"  {label}: bare {b:.2f} s, state only {s:.2f} s (+{s - b:.2f}), traced {tr:.2f} s (+{tr - b:.2f}), "
          f"traced with state {both:.2f} s (+{both - b:.2f}; state's part {both - tr:.2f}); "
          f"the same from an empty cache {cold:.2f} s (+{cold - b:.2f}; ratio {both / cold:.2f})")
PY
