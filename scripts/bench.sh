#!/usr/bin/env bash
# Every benchmark, each printing its figures and its ratio against a baseline measured in the
# same run. Run on a quiet machine: TCG guests and namespace creation are CPU-bound, and
# the load average is printed next to the figures for that reason.
#   scripts/bench.sh [quiz|startup|state|compare|lab|matrix|trace|live|ports|bisect ...]   (default: all but bisect,
#   whose first run downloads ~30 kernels' worth of builds it probes)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$here/build}
"$here/scripts/deps.sh" test
dpkg-query -W -f='${Status}' libbpf-tools 2>/dev/null | grep -q "install ok installed" ||
  apt-get install -y -qq libbpf-tools >/dev/null   # bcc's bindsnoop, the peer we compare with
"$here/scripts/build.sh"
# 6.1: the newest lab kernel on which Debian 12's bindsnoop (libbpf-tools) still loads
kernel=${BENCH_KERNEL:-6.1}
which=("$@"); ((${#which[@]})) || which=(quiz startup state compare lab matrix trace live ports)
for b in "${which[@]}"; do
  echo "=== $b  (load: $(cut -d' ' -f1-3 /proc/loadavg))"
  case $b in
    quiz) "$build/bench/quiz_bench" -n 3 ;;
    startup) "$build/bench/startup_bench" "$build/tristate" -n 15 ;;
    state) "$build/bench/state_bench" -n 5
           "$build/tristate" kernels fetch 6.12 >/dev/null
           "$here/bench/state_guest_bench.sh" "$build/tristate" 6.12 3 ;;
    compare) "$build/bench/compare_bench" ;;
    ports) "$build/bench/ports_bench" "$build/tristate" -n 9 ;;
    bisect) "$here/bench/bisect_bench.sh" "$build/tristate" ;;
    lab) "$build/tristate" kernels fetch 5.10 6.1 6.12 latest >/dev/null
         "$build/bench/lab_bench" "$build/tristate" "$here/quizzes" 3
         "$here/bench/guest_split.sh" "$build/tristate" 6.1 3 ;;
    matrix) "$build/tristate" kernels fetch 5.10 6.1 6.12 latest >/dev/null
            "$build/bench/matrix_bench" "$build/tristate" 3 ;;
    trace) # Instruction-counted: with qemu -icount the guest's clock counts executed
           # instructions, so the rates (and the per-program profile) repeat to 0.1 % whatever
           # the host is doing. Real-time TCG rates were no use at this scale: a two-vCPU run
           # found the untraced loop slower than every traced one (docs/design.md).
           # Two loops: bind+connect (bindsnoop has binds to see) and connect alone (the
           # issue's loop, a proxy's upstream connections; bindsnoop sees nothing there).
           "$build/tristate" kernels boot "$kernel" --icount 0 --cpus 1 --timeout 3600 --no-self \
             --exe "$build/bench/trace_bench" --exe /usr/sbin/bindsnoop -- \
             sh -c 'for loop in bind connect; do
                      trace_bench --loop $loop --bindsnoop /usr/bin/bindsnoop >> /tmp/result 2>&1
                    done
                    for loop in bind connect; do
                      trace_bench --loop $loop --profile --seconds 3 >> /tmp/result 2>&1
                    done' ;;
    live) "$build/tristate" kernels boot "$kernel" --timeout 600 \
             --exe "$build/bench/live_bench" --exe /usr/sbin/bindsnoop -- \
             sh -c 'live_bench --seconds 5 --bindsnoop /usr/bin/bindsnoop > /tmp/result 2>&1' ;;
    *) echo "unknown benchmark $b (quiz, startup, state, compare, lab, matrix, trace, live, ports, bisect)" >&2; exit 2 ;;
  esac
done
